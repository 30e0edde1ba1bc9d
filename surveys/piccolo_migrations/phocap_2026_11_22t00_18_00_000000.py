"""One digest per ward, ISO week and audience, as a unique index: the database, not the scheduler's
memory, is what makes a digest go out once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T00:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique digest per ward, week and audience"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.db import current_engine

        await current_engine().run_ddl(
            "CREATE UNIQUE INDEX digest_ward_week_audience ON digest (ward, week, audience)"
        )

    manager.add_raw(create_index)
    return manager
