"""The risk-limiting audit run in the web app: audits, their counties and contests, the
uploaded manifests and CVR files, rounds, the drawn sample and the audit boards' entries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 05:49:37.048266
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the audit tables."""
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sampling", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("seed_entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('setup', 'published', 'in progress', 'complete')",
            name=op.f("ck_audits_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
    )
    op.create_table(
        "audit_contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("audit_type", sa.String(length=32), nullable=False),
        sa.Column("risk_limit", sa.Float(), nullable=False),
        sa.Column("winners", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Text(), nullable=True),
        sa.Column("spec", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "audit_type IN ('ballot comparison', 'ballot polling', 'batch comparison')",
            name=op.f("ck_audit_contests_type_known"),
        ),
        sa.CheckConstraint(
            "risk_limit > 0 AND risk_limit < 1", name=op.f("ck_audit_contests_risk_limit_range")
        ),
        sa.CheckConstraint("winners >= 1", name=op.f("ck_audit_contests_winners_positive")),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_contests_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_contests")),
        sa.UniqueConstraint("audit_id", "name", name=op.f("uq_audit_contests_audit_id_name")),
    )
    op.create_table(
        "audit_counties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_counties_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_counties")),
        sa.UniqueConstraint("audit_id", "county", name=op.f("uq_audit_counties_audit_id_county")),
    )
    op.create_table(
        "audit_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("contest", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('manifest', 'cvrs', 'batch tallies')", name=op.f("ck_audit_files_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_files_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_files")),
    )
    with op.batch_alter_table("audit_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_files_audit_id"), ["audit_id"], unique=False)

    op.create_table(
        "audit_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("cards_drawn", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("measurement", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_rounds_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_rounds")),
        sa.UniqueConstraint("audit_id", "number", name=op.f("uq_audit_rounds_audit_id_number")),
    )
    op.create_table(
        "audit_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("round_number", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=64), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("container", sa.Text(), nullable=True),
        sa.Column("tabulator", sa.Text(), nullable=True),
        sa.Column("batch", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("imprinted_id", sa.Text(), nullable=True),
        sa.Column("cvr", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_sample_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_sample")),
        sa.UniqueConstraint("audit_id", "sequence", name=op.f("uq_audit_sample_audit_id_sequence")),
    )
    with op.batch_alter_table("audit_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_sample_county"), ["county"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["audit_sample.id"],
            name=op.f("fk_audit_entries_sample_id_audit_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_sample_id"), ["sample_id"], unique=False)


def downgrade() -> None:
    """Drop the audit tables."""
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_sample_id"))

    op.drop_table("audit_entries")
    with op.batch_alter_table("audit_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_sample_county"))

    op.drop_table("audit_sample")
    op.drop_table("audit_rounds")
    with op.batch_alter_table("audit_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_files_audit_id"))

    op.drop_table("audit_files")
    op.drop_table("audit_counties")
    op.drop_table("audit_contests")
    op.drop_table("audits")
