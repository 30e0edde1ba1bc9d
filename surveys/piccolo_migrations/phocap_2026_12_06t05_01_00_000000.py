"""Every earlier visit and attendance reached the server when it was recorded: `received_at` = `at`
(until now the server dated each one on arrival). Its own migration, after the columns' (Piccolo runs a
migration's raw steps before its columns). Backwards has nothing to undo: the columns go with the migration
before."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T05:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "visits' and attendances' arrival filled"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def fill() -> None:
        from surveys.core.db import current_engine

        engine = current_engine()
        await engine.run_ddl("UPDATE visit SET received_at = at WHERE received_at IS NULL")
        await engine.run_ddl("UPDATE attendance SET received_at = at WHERE received_at IS NULL")

    manager.add_raw(fill)
    return manager
