"""Households archived before the archive time was recorded count from their last change, so the
retention job treats them like the others; consents given before notices had versions were given to
the first one, 2026-11 (the same text)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T01:29:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "archive time and consent notice version of earlier households"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def backfill() -> None:
        from surveys.db import current_engine

        engine = current_engine()
        await engine.run_ddl(
            "UPDATE household SET archived_at = updated_at WHERE archived AND archived_at IS NULL"
        )
        await engine.run_ddl(
            "UPDATE household SET consent_notice = '2026-11' WHERE consent_at IS NOT NULL AND consent_notice = ''"
        )

    manager.add_raw(backfill)
    return manager
