"""One reminder per province and week: a unique index on digest (province, week, audience), which decides
between two schedulers racing, as `digest_ward_week_audience` does for the wards (a ward's digest has no
province: NULLs never clash). Reversible: backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T23:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one province reminder per province and week"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl(
            "CREATE UNIQUE INDEX digest_province_week_audience ON digest (province, week, audience)"
        )

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX digest_province_week_audience")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
