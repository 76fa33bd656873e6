"""Data entry that prevents errors: recount and audit settings, blind second entries, sign-offs.

``recount_settings`` and ``audit_settings`` hold each recount's and audit's time zone and how
it is entered (blind tally, double entry, the two-person sign-off); ``sheet_checks`` the second,
blind entries of tally sheets; ``audit_signoffs`` the second board member's sign-off of a
reading. New tables only: rows already in the integrity log keep their content hashes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the settings, sheet-check and sign-off tables."""
    op.create_table(
        "recount_settings",
        sa.Column("recount_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("show_canvass", sa.Boolean(), nullable=False),
        sa.Column("double_entry", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recount_id"],
            ["recounts.id"],
            name=op.f("fk_recount_settings_recount_id_recounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recount_id", name=op.f("pk_recount_settings")),
    )
    op.create_table(
        "sheet_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Text(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("checked_by", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["tally_sheets.id"],
            name=op.f("fk_sheet_checks_sheet_id_tally_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_checks")),
    )
    op.create_index(op.f("ix_sheet_checks_sheet_id"), "sheet_checks", ["sheet_id"], unique=False)
    op.create_table(
        "audit_settings",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("sign_off", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_settings_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_settings")),
    )
    op.create_table(
        "audit_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("signed_by", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entries.id"],
            name=op.f("fk_audit_signoffs_entry_id_audit_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_signoffs")),
    )
    op.create_index(
        op.f("ix_audit_signoffs_entry_id"), "audit_signoffs", ["entry_id"], unique=False
    )


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_index(op.f("ix_audit_signoffs_entry_id"), table_name="audit_signoffs")
    op.drop_table("audit_signoffs")
    op.drop_table("audit_settings")
    op.drop_index(op.f("ix_sheet_checks_sheet_id"), table_name="sheet_checks")
    op.drop_table("sheet_checks")
    op.drop_table("recount_settings")
