"""Every existing visit gets its household's village now (the village the reports have always counted
it in), and an index on visit (village, at): a period's visits of a province's villages in one index
range per village. Its own migration, after the column's (Piccolo runs a migration's raw steps before
its columns). Reversible: backwards drops the index (the column goes with the migration before)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T07:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "visits' village filled and indexed"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def fill_and_index() -> None:
        from surveys.core.db import current_engine

        engine = current_engine()
        # UPDATE … FROM: PostgreSQL, and SQLite since 3.33.
        await engine.run_ddl(
            "UPDATE visit SET village = household.village FROM household WHERE household.id = visit.household"
        )
        await engine.run_ddl("CREATE INDEX visit_village_at ON visit (village, at)")

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX visit_village_at")

    manager.add_raw(fill_and_index)
    manager.add_raw_backwards(drop_index)
    return manager
