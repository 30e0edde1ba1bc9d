"""The per-village daily counts filled for existing data, every column (the table's of 2026-11-26 and the
periodic report's of the migration before): every village counted, today's row from its households and
the past days' from the visit history, as `phocap counts rebuild` does. Its own migration, after the
columns', as Piccolo runs a migration's raw steps before its columns; a later column of the counts moves
this filling after it. Backwards: the rows go (they are derived; forwards makes them again)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T01:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village counts: the periodic report's columns filled"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def fill() -> None:
        from surveys.reporting.village_counts import count_villages_again
        from surveys.tables import Village

        await count_villages_again([int(r["id"]) for r in await Village.select(Village.id).order_by(Village.id)])

    async def forget() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DELETE FROM village_count")

    manager.add_raw(fill)
    manager.add_raw_backwards(forget)
    return manager
