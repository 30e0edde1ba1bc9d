"""The index on visit (household) goes: visit_household_at (household, at, id) begins with the same
column and serves every lookup by household (the visits of a household, the foreign key's checks) as
well, so the plain one only cost each visit written one more index entry (issue 27: the cost of one
visit). Reversible: backwards makes it again."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop the index on visit (household), covered by visit_household_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def drop() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX IF EXISTS visit_household")

    async def make() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("CREATE INDEX IF NOT EXISTS visit_household ON visit (household)")

    manager.add_raw(drop)
    manager.add_raw_backwards(make)
    return manager
