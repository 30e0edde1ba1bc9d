"""One village count per village and day, as a unique index (SQLite cannot add table constraints
later). Every village is counted (today's row and the past days' from the visit history, so the
dashboards and their trends read counts from the first start) by the migration of 2026-11-27 01:41,
after the last of the columns it fills: counting here would write columns not made yet.
Backwards: the index and the rows go (the table itself goes with the migration before)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T14:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village counts: unique per village and day"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("CREATE UNIQUE INDEX village_count_village_day ON village_count (village, day)")

    async def drop_index_and_rows() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX village_count_village_day")
        await current_engine().run_ddl("DELETE FROM village_count")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index_and_rows)
    return manager
