"""A register's latest change per village in one index lookup: an index on household (village, updated_at),
for the province report's "last activity" (surveys/reporting/province.py `_activity`). Reversible:
backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T15:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index on household (village, updated_at)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl(
            "CREATE INDEX household_village_updated_at ON household (village, updated_at)"
        )

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX household_village_updated_at")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
