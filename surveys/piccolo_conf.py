"""Piccolo's configuration module (`PICCOLO_CONF=surveys.piccolo_conf`).

`surveys.core.db` owns the engine; `DB` here only points to it, so Piccolo's migration machinery uses
whatever database the process (or a test) bound.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["surveys.piccolo_app"])


def __getattr__(name: str) -> Any:
    if name == "DB":
        from surveys.core.db import current_engine

        return current_engine()
    raise AttributeError(name)
