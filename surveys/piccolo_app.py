"""Piccolo's app registry entry for phocap's tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from surveys.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="phocap",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
