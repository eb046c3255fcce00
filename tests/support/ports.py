"""Free loopback ports for servers started by tests: the same as ``sortes up`` and the benchmarks take."""

from sortes_cli.local_system import free_port

__all__ = ["free_port"]
