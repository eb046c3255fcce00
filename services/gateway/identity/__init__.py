"""Who is calling: units, users and passwords, API keys, sign-in tokens and the console's session,
and the authentication middleware. api.py is what the console may use of it."""
