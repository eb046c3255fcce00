"""The edge: what every request passes (client address, quotas, idempotency, metrics, security
headers), the proxy to the services with its routing table, balancer and upstream client, health and
the API docs."""
