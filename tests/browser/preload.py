"""What the fork server of the test's phocap processes (tests/browser/processes.py) loads once, so that
each process forked from it only builds the app: the app's modules and the ones Litestar imports when an
app is built, and the static files compressed (`assets` keeps them per process, as a server keeps them
from its start)."""

import litestar.plugins.pydantic  # noqa: F401  (imported by Litestar's default plugins on the first app)
import uvicorn.main  # noqa: F401

import server.app  # noqa: F401
from server.static import assets

assets()
