"""When a member left the community digital team (`team_member.left_at`), so a period's report counts the
team as it stood at the period's end; and a province's default targets for a year (`province_target`),
which a ward without its own inherits. Filled for those who already left: the time of their last
"team.member_left" in the audit log, else when they were entered (they then never count, as before).

Piccolo runs a migration's raw steps before its columns, and the fill needs the column: the raw step adds
the column itself, fills it, and leaves the registered `add_column` (kept for the migrations' schema
snapshot) nothing to do. Reversible: backwards drops the column and the table."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.auto.serialisation import deserialise_params
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, SmallInt, Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table, create_table_class

ID = "2026-12-06T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when a team member left the team; province default targets"


class Province(Table, tablename="province", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)  # fmt: skip


# The province's targets: (column, default), as WardTarget's.
TARGETS = (("informed", 100), ("digital_family", 100), ("identity", 100), ("skills_confirmed", 80),
           ("vneid_level2", 100), ("bank", 100), ("basic_skills", 100), ("ai_tool", 60))  # fmt: skip


def _plain(**params: Any) -> dict[str, Any]:
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False,
            **params}  # fmt: skip


def _province_targets(manager: MigrationManager) -> None:
    manager.add_table(class_name="ProvinceTarget", tablename="province_target", schema=None, columns=None)
    columns: list[tuple[str, str, type, dict[str, Any]]] = [
        ("province", "ForeignKey", ForeignKey,
         _plain(references=Province, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None,
                null=True, index=True)),
        ("year", "SmallInt", SmallInt, _plain(default=0)),
        *[(name, "SmallInt", SmallInt, _plain(default=default)) for name, default in TARGETS],
    ]  # fmt: skip
    for name, class_name, column_class, params in columns:
        manager.add_column(table_class_name="ProvinceTarget", tablename="province_target", column_name=name,
                           db_column_name=name, column_class_name=class_name, column_class=column_class,
                           params=params, schema=None)  # fmt: skip

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
        added = manager.add_columns.add_columns
        added[:] = [c for c in added if c.table_class_name != "TeamMember"]  # left_at: added above

    manager.add_raw(add_and_fill)
    _province_targets(manager)
    return manager
