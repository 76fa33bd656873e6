"""The recount run in the web app: users, sign-in failures, recounts, county progress, wards,
tally sheets, paper records and the hash-chained activity log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:30:06.304022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the recount tables."""
    op.create_table(
        "activity_log",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_activity_log")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_activity_log_entry_hash")),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_failures_username"), ["username"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("county", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('administrator', 'clerk', 'board', 'observer')",
            name=op.f("ck_users_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "recounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("contest", sa.Text(), nullable=False),
        sa.Column("base_count", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("certified_by", sa.Text(), nullable=True),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'certified')", name=op.f("ck_recounts_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_recounts_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recounts")),
    )
    with op.batch_alter_table("recounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recounts_election_id"), ["election_id"], unique=False)

    op.create_table(
        "recount_counties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recount_id", sa.Integer(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("cost_estimate_cents", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "method IN ('hand', 'machine')", name=op.f("ck_recount_counties_method_known")
        ),
        sa.CheckConstraint(
            "status IN ('not started', 'in progress', 'submitted', "
            "'returned for correction', 'accepted')",
            name=op.f("ck_recount_counties_status_known"),
        ),
        sa.CheckConstraint(
            "cost_estimate_cents IS NULL OR cost_estimate_cents >= 0",
            name=op.f("ck_recount_counties_cost"),
        ),
        sa.ForeignKeyConstraint(
            ["recount_id"],
            ["recounts.id"],
            name=op.f("fk_recount_counties_recount_id_recounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recount_counties")),
        sa.UniqueConstraint(
            "recount_id", "county", name=op.f("uq_recount_counties_recount_id_county")
        ),
    )
    op.create_table(
        "recount_wards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recount_id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.Text(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recount_id"],
            ["recounts.id"],
            name=op.f("fk_recount_wards_recount_id_recounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recount_wards")),
        sa.UniqueConstraint(
            "recount_id", "unit_key", name=op.f("uq_recount_wards_recount_id_unit_key")
        ),
    )
    op.create_table(
        "paper_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_id"],
            ["recount_wards.id"],
            name=op.f("fk_paper_records_ward_id_recount_wards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_records")),
    )
    with op.batch_alter_table("paper_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_records_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "tally_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("votes", sa.Text(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"],
            ["recount_wards.id"],
            name=op.f("fk_tally_sheets_ward_id_recount_wards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_sheets")),
    )
    with op.batch_alter_table("tally_sheets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tally_sheets_ward_id"), ["ward_id"], unique=False)


def downgrade() -> None:
    """Drop the recount tables."""
    with op.batch_alter_table("tally_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tally_sheets_ward_id"))

    op.drop_table("tally_sheets")
    with op.batch_alter_table("paper_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_records_ward_id"))

    op.drop_table("paper_records")
    op.drop_table("recount_wards")
    op.drop_table("recount_counties")
    with op.batch_alter_table("recounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recounts_election_id"))

    op.drop_table("recounts")
    op.drop_table("users")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_username"))

    op.drop_table("sign_in_failures")
    op.drop_table("activity_log")
