"""Routes of identity: accounts (units, users, API keys, sign-in) and the gateway's key set."""
