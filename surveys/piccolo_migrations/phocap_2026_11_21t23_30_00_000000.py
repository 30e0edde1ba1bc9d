"""Unique keys over several columns, as unique indexes (SQLite cannot add table constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys over several columns"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX village_ward_code ON village (ward, code)",
    "CREATE UNIQUE INDEX household_village_code ON household (village, code)",
    'CREATE UNIQUE INDEX user_village_user_village ON user_village ("user", village)',
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_indexes() -> None:
        from surveys.core.db import current_engine

        for statement in UNIQUE_INDEXES:
            await current_engine().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
