"""Routes of the edge: the proxy to the services, health, and the merged API docs."""
