"""Every state-changing table verifiable from the activity log, and a log of several chains.

``activity_rows`` keeps, per log entry, the table, key and content hash of each row it wrote;
``activity_log`` gains its ``chain`` (``""``: the main chain, whose entries keep their hashes)
and ``activity_heads`` the last entry of each chain, locked by its appenders.

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
    """Add the chain to the log, the chains' heads (filled from the log) and the row hashes."""
    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chain", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.drop_constraint("pk_activity_log", type_="primary")
        batch_op.create_primary_key("pk_activity_log", ["sequence", "chain"])
    op.create_table(
        "activity_heads",
        sa.Column("chain", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("anchored", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_activity_heads")),
    )
    op.execute(
        "INSERT INTO activity_heads (chain, sequence, entry_hash, anchored) "
        "SELECT chain, sequence, entry_hash, NULL FROM activity_log "
        "WHERE sequence = (SELECT max(sequence) FROM activity_log)"
    )
    op.create_table(
        "activity_rows",
        sa.Column("chain", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "chain", "sequence", "table_name", "row_key", name=op.f("pk_activity_rows")
        ),
    )


def downgrade() -> None:
    """Drop the row hashes and the heads; the log goes back to one chain (side chains go)."""
    op.drop_table("activity_rows")
    op.drop_table("activity_heads")
    op.execute("DELETE FROM activity_log WHERE chain <> ''")
    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.drop_constraint("pk_activity_log", type_="primary")
        batch_op.create_primary_key("pk_activity_log", ["sequence"])
        batch_op.drop_column("chain")
