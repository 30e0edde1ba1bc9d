"""One target row per ward and year, as a unique index (SQLite cannot add table constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T23:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique ward targets per year"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.db import current_engine

        await current_engine().run_ddl(
            "CREATE UNIQUE INDEX ward_target_ward_year ON ward_target (ward, year)"
        )

    manager.add_raw(create_index)
    return manager
