"""Routes of the composite API."""
