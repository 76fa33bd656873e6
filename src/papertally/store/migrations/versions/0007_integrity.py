"""Every state-changing table verifiable from the activity log.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Reserved for integrity; filled in by the change that needs it."""


def downgrade() -> None:
    """Nothing to undo yet."""
