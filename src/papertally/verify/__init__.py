"""Public verification: recompute an audit from its published export and compare.

See :mod:`papertally.verify.audit_export` (``papertally verify EXPORT.zip``).
"""

from papertally.verify.audit_export import Check, Verification, verify_export

__all__ = ["Check", "Verification", "verify_export"]
