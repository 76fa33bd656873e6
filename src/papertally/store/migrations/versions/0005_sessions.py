"""Server-side sessions and user accounts (sessions table, user status).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Reserved for sessions; filled in by the change that needs it."""


def downgrade() -> None:
    """Nothing to undo yet."""
