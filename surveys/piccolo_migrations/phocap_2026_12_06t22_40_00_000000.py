"""A mentorship ends instead of being deleted (`mentorship.ended_at`): unpairing a learner, or their mentor
leaving the team, kept no trace of the pair, so a period's report counted a mentor's learners as they
stand now, not as they stood at the period's end. A learner has one mentor at a time: the unique index on
mentorship (learner) now covers the pairs not ended.

Piccolo runs a migration's raw steps before its columns, and the index needs the column: the raw step adds
it itself and leaves the registered `add_column` (kept for the migrations' schema snapshot) nothing to do.
Reversible: backwards deletes the ended pairs (what the app did before), makes the index whole again and
drops the column."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.auto.serialisation import deserialise_params
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.table import create_table_class

ID = "2026-12-06T22:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a mentorship ends instead of being deleted"

PARAMS = {
    "default": None,
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Mentorship",
        tablename="mentorship",
        column_name="ended_at",
        db_column_name="ended_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=PARAMS,
        schema=None,
    )

    async def add_and_index() -> None:
        from surveys.core.db import current_engine

        table = create_table_class(class_name="Mentorship", class_kwargs={"tablename": "mentorship"})
        await table.alter().add_column("ended_at", Timestamptz(**deserialise_params(dict(PARAMS))))
        engine = current_engine()
        await engine.run_ddl("DROP INDEX mentorship_one_per_learner")
        await engine.run_ddl(
            "CREATE UNIQUE INDEX mentorship_one_per_learner ON mentorship (learner) WHERE ended_at IS NULL"
        )
        added = manager.add_columns.add_columns
        added[:] = [c for c in added if c.table_class_name != "Mentorship"]  # ended_at: added above

    async def back() -> None:
        from surveys.core.db import current_engine

        engine = current_engine()
        await engine.run_ddl("DELETE FROM mentorship WHERE ended_at IS NOT NULL")
        await engine.run_ddl("DROP INDEX mentorship_one_per_learner")
        await engine.run_ddl("CREATE UNIQUE INDEX mentorship_one_per_learner ON mentorship (learner)")

    manager.add_raw(add_and_index)
    manager.add_raw_backwards(back)
    return manager
