"""Every state-changing table verifiable from the activity log: the rows each entry wrote.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``activity_rows``: per log entry, the table, key and content hash of each row."""
    op.create_table(
        "activity_rows",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sequence", "table_name", "row_key", name=op.f("pk_activity_rows")),
    )


def downgrade() -> None:
    """Drop ``activity_rows``."""
    op.drop_table("activity_rows")
