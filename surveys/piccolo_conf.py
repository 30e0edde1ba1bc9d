"""Piccolo's configuration module (`PICCOLO_CONF=surveys.piccolo_conf`).

`DB` is the engine for the configured `DATABASE_URL`, made on first use (so importing this module
touches no file); `surveys.core.db.bind` sets it when a process (or a test) chooses another database, so
Piccolo's migration machinery follows.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["surveys.piccolo_app"])


def __getattr__(name: str) -> Any:
    if name == "DB":
        from surveys.core.db import engine_for_url
        from surveys.core.settings import get_settings

        engine = engine_for_url(get_settings().resolved_database_url)
        globals()["DB"] = engine
        return engine
    raise AttributeError(name)
