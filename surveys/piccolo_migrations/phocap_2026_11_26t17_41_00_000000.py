"""A team member's `client_id` is unique: a unique index, which the rows made before (NULL) do not hit.
Its own migration, after the column's (Piccolo runs a migration's raw steps before its columns).
Reversible: backwards drops it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T17:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one team member per client_id"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("CREATE UNIQUE INDEX team_member_client_id ON team_member (client_id)")

    async def drop_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DROP INDEX team_member_client_id")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
