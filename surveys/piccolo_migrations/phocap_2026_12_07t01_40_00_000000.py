"""When in its week a province's reminder of the wards' reports past due goes out, as the province sets
it beside the reports' due days: an ISO weekday (1 = Monday) and an hour, in phocap's time zone
(`province.reminder_weekday`, `province.reminder_hour`; Monday 07:00, the time every province had
before). Reversible: backwards drops the columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when a province's reminder goes out"

# (column, default)
COLUMNS = (("reminder_weekday", 1), ("reminder_hour", 7))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def add() -> None:
        from surveys.core.db import current_engine

        for column, default in COLUMNS:
            await current_engine().run_ddl(
                f"ALTER TABLE province ADD COLUMN {column} SMALLINT NOT NULL DEFAULT {default}"
            )

    async def drop() -> None:
        from surveys.core.db import current_engine

        for column, _ in COLUMNS:
            await current_engine().run_ddl(f"ALTER TABLE province DROP COLUMN {column}")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
