"""The results: elections, imports with their files and warnings, contests, choices,
reporting units, counts, unit tallies and votes.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the results tables."""
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    op.create_table(
        "contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("office", sa.Text(), nullable=True),
        sa.Column("district", sa.Text(), nullable=True),
        sa.Column("votes_allowed", sa.Integer(), nullable=False),
        sa.CheckConstraint("votes_allowed >= 1", name=op.f("ck_contests_votes_allowed_positive")),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_contests_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
        sa.UniqueConstraint("election_id", "name", name=op.f("uq_contests_election_id_name")),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_imports_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index(op.f("ix_imports_election_id"), "imports", ["election_id"])
    op.create_table(
        "reporting_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("municipality", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "type IN ('state', 'county', 'municipality', 'ward', 'precinct', 'other')",
            name=op.f("ck_reporting_units_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_reporting_units_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_units")),
        sa.UniqueConstraint(
            "election_id", "external_id", name=op.f("uq_reporting_units_election_id_external_id")
        ),
    )
    op.create_table(
        "choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("party", sa.Text(), nullable=True),
        sa.Column("is_write_in", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_choices_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choices")),
        sa.UniqueConstraint("contest_id", "name", name=op.f("uq_choices_contest_id_name")),
        sa.UniqueConstraint("contest_id", "position", name=op.f("uq_choices_contest_id_position")),
    )
    op.create_table(
        "counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("count_item_type", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "count_item_type IN ('total', 'election-day', 'absentee', 'early', 'provisional')",
            name=op.f("ck_counts_count_item_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('unofficial-complete', 'certified', 'recount', 'correction', 'audit')",
            name=op.f("ck_counts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_counts_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_counts_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counts")),
        sa.UniqueConstraint("contest_id", "name", name=op.f("uq_counts_contest_id_name")),
    )
    op.create_index(op.f("ix_counts_import_id"), "counts", ["import_id"])
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("detected_format", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "sha256 IS NULL OR length(sha256) = 64", name=op.f("ck_import_files_sha256_hex")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_files_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_files")),
        sa.UniqueConstraint(
            "import_id", "position", name=op.f("uq_import_files_import_id_position")
        ),
    )
    op.create_table(
        "import_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_warnings_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_warnings")),
        sa.UniqueConstraint(
            "import_id", "position", name=op.f("uq_import_warnings_import_id_position")
        ),
    )
    op.create_table(
        "unit_tallies",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("ballots_cast", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_sheet", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("source_column", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "ballots_cast IS NULL OR ballots_cast >= 0",
            name=op.f("ck_unit_tallies_ballots_cast_nonneg"),
        ),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["counts.id"],
            name=op.f("fk_unit_tallies_count_id_counts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["reporting_units.id"],
            name=op.f("fk_unit_tallies_unit_id_reporting_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("count_id", "unit_id", name=op.f("pk_unit_tallies")),
    )
    op.create_index(op.f("ix_unit_tallies_unit_id"), "unit_tallies", ["unit_id"])
    op.create_table(
        "votes",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.CheckConstraint("votes >= 0", name=op.f("ck_votes_votes_nonneg")),
        sa.ForeignKeyConstraint(
            ["choice_id"],
            ["choices.id"],
            name=op.f("fk_votes_choice_id_choices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["count_id", "unit_id"],
            ["unit_tallies.count_id", "unit_tallies.unit_id"],
            name=op.f("fk_votes_count_id_unit_id_unit_tallies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("count_id", "unit_id", "choice_id", name=op.f("pk_votes")),
    )


def downgrade() -> None:
    """Drop the results tables, children first."""
    op.drop_table("votes")
    op.drop_index(op.f("ix_unit_tallies_unit_id"), table_name="unit_tallies")
    op.drop_table("unit_tallies")
    op.drop_table("import_warnings")
    op.drop_table("import_files")
    op.drop_index(op.f("ix_counts_import_id"), table_name="counts")
    op.drop_table("counts")
    op.drop_table("choices")
    op.drop_table("reporting_units")
    op.drop_index(op.f("ix_imports_election_id"), table_name="imports")
    op.drop_table("imports")
    op.drop_table("contests")
    op.drop_table("elections")
