"""One official figure per ward, indicator and period end, as a unique index (SQLite cannot add table
constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T11:48:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one official figure per ward, indicator and period end"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create_index() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl(
            "CREATE UNIQUE INDEX official_figure_ward_indicator_period_end "
            "ON official_figure (ward, indicator, period_end)"
        )

    manager.add_raw(create_index)
    return manager
