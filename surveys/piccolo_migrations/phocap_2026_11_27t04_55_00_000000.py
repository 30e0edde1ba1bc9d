"""A household's completed visits before a moment in one index lookup: an index on visit (household, at),
for a period's activity (surveys/reporting/history.py `activity_in`: the latest visit before the period of
each household visited in it), which the index on `visit.household` alone answers by reading every visit
of the household from the table. Reversible: backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T04:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index on visit (household, at)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("CREATE INDEX visit_household_at ON visit (household, at)")

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX visit_household_at")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
