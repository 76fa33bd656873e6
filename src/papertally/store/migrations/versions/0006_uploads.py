"""Uploaded files kept on disk: the file rows hold path, size and SHA-256.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Reserved for uploads; filled in by the change that needs it."""


def downgrade() -> None:
    """Nothing to undo yet."""
