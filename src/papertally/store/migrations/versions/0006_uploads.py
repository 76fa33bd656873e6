"""Uploaded files kept on disk: the file rows hold name, size, SHA-256 and key; upload jobs.

The bytes of every existing audit file move out of ``audit_files.content`` into the file store
(:mod:`papertally.store.files`, named by SHA-256) and the column is dropped; the downgrade reads
them back in. ``upload_jobs`` records each upload read off the request in a worker.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from papertally.store.files import FileIntegrityError, FileStore

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_FILES = sa.table(
    "audit_files",
    sa.column("id", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("content", sa.LargeBinary()),
    sa.column("size", sa.BigInteger()),
    sa.column("stored_key", sa.String()),
)


def _file_store() -> FileStore:
    """Return the file store of the database being migrated."""
    url = op.get_bind().engine.url.render_as_string(hide_password=False)
    return FileStore.for_url(url)


def upgrade() -> None:
    """Move file bytes to disk, keep their size and key; create the upload jobs."""
    with op.batch_alter_table("audit_files") as batch:
        batch.add_column(sa.Column("size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("stored_key", sa.String(length=100), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_FILES.c.id, _FILES.c.sha256, _FILES.c.content)).all()
    if rows:
        files = _file_store()
        for file_id, sha256, content in rows:
            blob = files.put_bytes(bytes(content))
            if blob.sha256 != sha256:
                raise FileIntegrityError(
                    f"audit file {file_id}: its bytes do not match its recorded SHA-256"
                )
            connection.execute(
                sa.update(_FILES)
                .where(_FILES.c.id == file_id)
                .values(size=blob.size, stored_key=blob.key)
            )
    with op.batch_alter_table("audit_files") as batch:
        batch.alter_column("size", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("stored_key", existing_type=sa.String(length=100), nullable=False)
        batch.drop_column("content")
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('audit file', 'canvass')", name=op.f("ck_upload_jobs_purpose_known")
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'parsing', 'done', 'failed')",
            name=op.f("ck_upload_jobs_state_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_jobs")),
    )


def downgrade() -> None:
    """Read the bytes back into the rows (checked against their SHA-256); drop the jobs."""
    op.drop_table("upload_jobs")
    with op.batch_alter_table("audit_files") as batch:
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_FILES.c.id, _FILES.c.sha256, _FILES.c.stored_key)).all()
    if rows:
        files = _file_store()
        for file_id, sha256, key in rows:
            content = files.read_verified(key, sha256, f"audit file {file_id}")
            connection.execute(
                sa.update(_FILES).where(_FILES.c.id == file_id).values(content=content)
            )
    with op.batch_alter_table("audit_files") as batch:
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("stored_key")
        batch.drop_column("size")
