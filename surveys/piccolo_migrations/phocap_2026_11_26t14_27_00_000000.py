"""One village count per village and day, as a unique index (SQLite cannot add table constraints
later); and every village counted, today's row and the past days' from the visit history, so the
dashboards and their trends read counts from the first start.
Backwards: the index and the rows go (the table itself goes with the migration before)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T14:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village counts: unique per village and day, filled for existing data"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index_and_fill() -> None:
        from surveys.core.db import current_engine
        from surveys.reporting.village_counts import count_villages_again
        from surveys.tables import Village

        await current_engine().run_ddl("CREATE UNIQUE INDEX village_count_village_day ON village_count (village, day)")
        await count_villages_again([int(r["id"]) for r in await Village.select(Village.id).order_by(Village.id)])

    async def drop_index_and_rows() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX village_count_village_day")
        await current_engine().run_ddl("DELETE FROM village_count")

    manager.add_raw(create_index_and_fill)
    manager.add_raw_backwards(drop_index_and_rows)
    return manager
