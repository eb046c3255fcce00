"""``sortes``, the operators' command line, and the local process supervisor it starts services with.

This package sits above the services, never beside them in ``shared/``: ``shared/`` holds what the
services have in common and imports none of them, whereas a command line that starts, migrates,
backs up and verifies all three must know each of them. Commands that span services (``run``, ``up``,
``db``, ``audit``, ``keys``, ``backup``/``restore``, ``reconcile``, ``verify``) live here; a command
that belongs to one service alone lives in that service's ``cli.py`` (``services/experts/cli.py``:
``sortes experts import``) and registers itself with the same ``register(subparsers)`` call, listed in
:mod:`sortes_cli.main`. A plain import list rather than an entry-point group: the commands are all in
this one distribution, so a list that a reader (and the type checker) can follow is enough, and no
command goes missing because an editable install predates it.
"""
