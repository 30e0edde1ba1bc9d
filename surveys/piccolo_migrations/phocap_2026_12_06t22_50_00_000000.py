"""When a ward's coverage thresholds were last saved (`ward.rules_changed_at`): every household's status
may change then without a write of its own, so a phone refreshing a village of the ward draws its copy
again whole instead of keeping the pages and rows drawn under the old thresholds. Filled for wards that
saved theirs before: the time of their last "ward.thresholds_saved" in the audit log.

Piccolo runs a migration's raw steps before its columns, and the fill needs the column: the raw step adds
the column itself, fills it, and leaves the registered `add_column` (kept for the migrations' schema
snapshot) nothing to do. Reversible: backwards drops the column."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.auto.serialisation import deserialise_params
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.table import create_table_class

ID = "2026-12-06T22:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when a ward's coverage thresholds were last saved"

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

FILL = """
UPDATE ward SET rules_changed_at = (
    SELECT MAX(a.at) FROM audit_entry a
    WHERE a.action = 'ward.thresholds_saved' AND a.entity = 'ward' AND a.entity_id = ward.id)
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Ward",
        tablename="ward",
        column_name="rules_changed_at",
        db_column_name="rules_changed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=PARAMS,
        schema=None,
    )

    async def add_and_fill() -> None:
        from surveys.core.db import current_engine

        table = create_table_class(class_name="Ward", class_kwargs={"tablename": "ward"})
        await table.alter().add_column("rules_changed_at", Timestamptz(**deserialise_params(dict(PARAMS))))
        await current_engine().run_ddl(FILL)
        added = manager.add_columns.add_columns
        added[:] = [c for c in added if c.table_class_name != "Ward"]  # rules_changed_at: added above

    manager.add_raw(add_and_fill)
    return manager
