"""Unit statistics and vote-type breakdowns of imported results (issue 11).

``unit_statistics`` holds a whole unit's figures as one import gave them (registered voters,
ballots cast); ``tally_statistics`` a contest's figures in a unit that are no choice's votes
(under and over votes); ``vote_breakdowns`` a choice's votes in a unit by how they were cast
(absentee, election day, early, provisional). New tables only: an election imported before
has no rows in them, and its logged canvass hash stays valid.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the statistics and breakdown tables."""
    op.create_table(
        "tally_statistics",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_tally_statistics_value_nonneg")),
        sa.ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            name=op.f("fk_tally_statistics_count_id_unit_id_unit_tallies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("count_id", "unit_id", "name", name=op.f("pk_tally_statistics")),
    )
    op.create_table(
        "vote_breakdowns",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=False),
        sa.Column("vote_type", sa.Text(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.CheckConstraint("votes >= 0", name=op.f("ck_vote_breakdowns_votes_nonneg")),
        sa.ForeignKeyConstraint(
            ["choice_id"],
            ["choices.id"],
            name=op.f("fk_vote_breakdowns_choice_id_choices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            name=op.f("fk_vote_breakdowns_count_id_unit_id_unit_tallies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "count_id", "unit_id", "choice_id", "vote_type", name=op.f("pk_vote_breakdowns")
        ),
    )
    op.create_table(
        "unit_statistics",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_unit_statistics_value_nonneg")),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_unit_statistics_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["reporting_units.id"],
            name=op.f("fk_unit_statistics_unit_id_reporting_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "unit_id", "name", name=op.f("pk_unit_statistics")),
    )
    op.create_index(op.f("ix_unit_statistics_unit_id"), "unit_statistics", ["unit_id"])


def downgrade() -> None:
    """Drop the statistics and breakdown tables."""
    op.drop_index(op.f("ix_unit_statistics_unit_id"), table_name="unit_statistics")
    op.drop_table("unit_statistics")
    op.drop_table("vote_breakdowns")
    op.drop_table("tally_statistics")
