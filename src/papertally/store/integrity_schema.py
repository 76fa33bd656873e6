"""The row hashes the activity log vouches for, and the heads of the log's chains.

Each entry of the hash-chained log (``activity_log``) that changed state lists here the rows it
wrote, one line per row: the table, the row's primary key, the SHA-256 of the row's canonical
content (``NULL`` when the entry deleted the row) and that content itself, so a later
mismatch can name the column. The entry's own details carry a digest of its lines, so these
lines are as tamper-evident as the chain (:mod:`papertally.store.integrity`).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from papertally.store.schema import Base


class ActivityRowStateRow(Base):
    """One row as a log entry wrote it (or deleted it)."""

    __tablename__ = "activity_rows"

    chain: Mapped[str] = mapped_column(String(200), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The log entry (``activity_log`` chain and sequence) that wrote the row."""
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """The row's primary key as text (an election id for the imported canvass)."""
    digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the row's canonical content; ``None`` when the entry deleted the row."""
    content: Mapped[str | None] = mapped_column(Text)
    """The row's canonical content (JSON list of its columns' values as text), where kept."""


class ActivityHeadRow(Base):
    """The last entry of each chain of the log: what the next entry links to.

    Appenders lock their chain's row (``SELECT ... FOR UPDATE``), so writers of different
    chains never wait for each other. The main chain's row also keeps which side-chain heads
    it last anchored (``anchored``, JSON ``{chain: sequence}``).
    """

    __tablename__ = "activity_heads"

    chain: Mapped[str] = mapped_column(String(200), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    """0 before the chain's first entry."""
    entry_hash: Mapped[str] = mapped_column(String(64))
    anchored: Mapped[str | None] = mapped_column(Text)
