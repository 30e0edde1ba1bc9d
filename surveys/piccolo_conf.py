"""Piccolo's configuration module (`PICCOLO_CONF=surveys.piccolo_conf`).

`DB` is the engine for the configured `DATABASE_URL`; `surveys.db.bind` replaces it when a process
(or a test) chooses another database, so Piccolo's migration machinery follows.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from surveys.db import engine_for_url
from surveys.settings import get_settings

DB: Engine = engine_for_url(get_settings().resolved_database_url)

APP_REGISTRY = AppRegistry(apps=["surveys.piccolo_app"])
