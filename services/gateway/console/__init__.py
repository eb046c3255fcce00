"""The web console: pages/ (its routes), i18n/ (its words), templates/ and static/.

Only the app factory imports it, through site.py; it imports only identity/api.py and the clients
(the contracts in .importlinter).

A new page touches only this package: a handler in the area's module under pages/ (listed in that
module's ``*_PAGES``), its template under templates/console/, its words in both languages in the
area's catalogue under i18n/, and, when the page changes something, its script under static/. A new
area is a new module under pages/ whose list site.py adds to ``PAGES``.
"""
