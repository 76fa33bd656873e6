"""Hybrid audits: "hybrid" joins the audit types a contest may have.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = "audit_type IN ('ballot comparison', 'ballot polling', 'batch comparison')"
_NEW = "audit_type IN ('ballot comparison', 'ballot polling', 'batch comparison', 'hybrid')"


def _replace_check(condition: str) -> None:
    """Swap the audit-type CHECK of ``audit_contests`` (a table copy on SQLite: batch mode)."""
    with op.batch_alter_table("audit_contests") as batch:
        batch.drop_constraint(op.f("ck_audit_contests_type_known"), type_="check")
        batch.create_check_constraint("type_known", condition)


def upgrade() -> None:
    """Allow hybrid contests."""
    _replace_check(_NEW)


def downgrade() -> None:
    """Allow the three earlier types only (fails while a hybrid contest is stored)."""
    _replace_check(_OLD)
