"""A member attends a class once: a unique index on (session, member), which walk-ins (no member) do not
hit. Reversible: backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T14:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one attendance per class and member"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl(
            "CREATE UNIQUE INDEX attendance_session_member ON attendance (session, member)"
        )

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX attendance_session_member")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
