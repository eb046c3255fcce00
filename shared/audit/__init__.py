"""The tamper-evident audit log every service keeps (docs/audit-log.md)."""

from shared.audit.chain import Actor, AuditEntry, ChainReport, verify_chain
from shared.audit.recorder import AuditChange, AuditRecorder, actor_of, operator_actor, system_actor
from shared.audit.settings import AuditSettings
from shared.audit.tables import AuditTables, audit_tables

__all__ = ["Actor", "AuditChange", "AuditEntry", "AuditRecorder", "AuditSettings", "AuditTables", "ChainReport",
           "actor_of", "audit_tables", "operator_actor", "system_actor", "verify_chain"]
