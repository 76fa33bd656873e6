"""Accounts in the store on SQLite and PostgreSQL: the upgrade to server-side sessions keeps
existing users, and a deleted user's id is never handed out again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import delete, insert, select

from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.engine import writing
from papertally.store.migrate import alembic_config
from papertally.store.recount_schema import UserRow
from papertally.store.users import UserStore


def test_upgrading_keeps_users_and_never_reuses_their_ids(db_url: str) -> None:
    store = Store(db_url)
    with writing(store.engine) as connection:
        command.upgrade(alembic_config(connection), "0004")
        for name in ("first", "second"):
            connection.execute(
                insert(UserRow).values(
                    username=name,
                    password_hash="h",
                    role="observer",
                    county=None,
                    created_at=datetime.now(UTC),
                )
            )
    store.migrate()
    users = UserStore(store.engine)
    kept = users.users()
    assert [(u.username, u.disabled) for u in kept] == [("first", False), ("second", False)]

    last = max(u.id for u in kept)
    with writing(store.engine) as connection:
        connection.execute(delete(UserRow).where(UserRow.id == last))
    newcomer = users.add_user("third", "h", Role.ADMINISTRATOR, None, actor="test")
    assert newcomer.id > last
    with store.engine.connect() as connection:
        ids = connection.execute(select(UserRow.id).order_by(UserRow.id)).scalars().all()
    assert last not in ids
    store.close()
