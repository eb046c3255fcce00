"""The console's pages: handlers that render templates/console/*.html, and what they read through the clients."""
