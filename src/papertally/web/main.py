"""The ASGI app for ``uvicorn papertally.web.main:app``, over the store in ``$PAPERTALLY_DB``."""

from __future__ import annotations

import os

from papertally.store.engine import DB_ENV, DEFAULT_DB_URL
from papertally.web.app import create_app

app = create_app(os.environ.get(DB_ENV, DEFAULT_DB_URL))
