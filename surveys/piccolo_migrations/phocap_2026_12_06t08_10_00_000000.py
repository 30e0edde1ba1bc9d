"""When a member left the community digital team (`team_member.left_at`), so a period's report counts the
team as it stood at the period's end. Filled for those who already left: the time of their last
"team.member_left" in the audit log, else when they were entered (they then never count, as before).

Piccolo runs a migration's raw steps before its columns, and the fill needs the column: the raw step adds
the column itself, fills it, and leaves the registered `add_column` (kept for the migrations' schema
snapshot) nothing to do. Reversible: backwards drops the column."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.auto.serialisation import deserialise_params
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.table import create_table_class

ID = "2026-12-06T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when a team member left the team"

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
UPDATE team_member SET left_at = COALESCE(
    (SELECT MAX(a.at) FROM audit_entry a
     WHERE a.action = 'team.member_left' AND a.entity = 'team_member' AND a.entity_id = team_member.id),
    created_at)
WHERE active = {false}
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="TeamMember",
        tablename="team_member",
        column_name="left_at",
        db_column_name="left_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=PARAMS,
        schema=None,
    )

    async def add_and_fill() -> None:
        from surveys.core.db import current_engine

        table = create_table_class(class_name="TeamMember", class_kwargs={"tablename": "team_member"})
        column = Timestamptz(**deserialise_params(dict(PARAMS)))
        await table.alter().add_column("left_at", column)
        engine = current_engine()
        await engine.run_ddl(FILL.format(false="false" if engine.engine_type == "postgres" else "0"))
        manager.add_columns.add_columns.clear()  # added above

    manager.add_raw(add_and_fill)
    return manager
