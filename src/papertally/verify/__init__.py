"""Public verification: recompute an audit from its published export and compare.

See :mod:`papertally.verify.audit_export` (``papertally verify EXPORT.zip``).
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.verify.audit_export import Check, Verification, verify_export
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "audit_export": ("Check", "Verification", "verify_export"),
        },
    )

__all__ = ["Check", "Verification", "verify_export"]
