"""A learner has one mentor: a unique index on mentorship (learner). Reversible: backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T14:48:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one mentor per learner"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("CREATE UNIQUE INDEX mentorship_one_per_learner ON mentorship (learner)")

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX mentorship_one_per_learner")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
