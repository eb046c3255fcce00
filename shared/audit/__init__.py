"""The tamper-evident audit log every service keeps (docs/audit-log.md)."""

from shared.audit.chain import Actor, AuditEntry, ChainReport, verify_chain
from shared.audit.recorder import AuditRecorder, actor_of, system_actor
from shared.audit.settings import AuditSettings
from shared.audit.tables import AuditTables, audit_tables

__all__ = ["Actor", "AuditEntry", "AuditRecorder", "AuditSettings", "AuditTables", "ChainReport",
           "actor_of", "audit_tables", "system_actor", "verify_chain"]
