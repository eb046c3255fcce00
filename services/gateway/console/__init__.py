"""The web console: pages/ (its routes), i18n/ (its words), templates/ and static/.

Only the app factory imports it, through site.py; it imports only identity/api.py and the clients
(the contracts in .importlinter).
"""
