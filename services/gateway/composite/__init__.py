"""The gateway's own composite API: panels and projects, each one call made of calls to both services."""
