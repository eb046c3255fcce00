"""Webhooks: subscriptions, the targets they may name, and the dispatcher that delivers the services' outboxes."""
