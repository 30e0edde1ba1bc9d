"""A class's trainers from the ward's digital team: a class_trainer link table (class, team member).
The typed `trainers` of class_session stays as it is, as the class's other trainers. Reversible:
backwards drops the link table."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class ClassSession(Table, tablename="class_session", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)  # fmt: skip


class TeamMember(Table, tablename="team_member", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)  # fmt: skip


ID = "2026-11-26T15:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "class trainers from the team"


def _link(references: type[Table]) -> dict[str, object]:
    return {
        "references": references,
        "on_delete": OnDelete.cascade,
        "on_update": OnUpdate.cascade,
        "target_column": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": True,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_table(class_name="ClassTrainer", tablename="class_trainer", schema=None, columns=None)
    for column, references in (("session", ClassSession), ("team_member", TeamMember)):
        manager.add_column(
            table_class_name="ClassTrainer",
            tablename="class_trainer",
            column_name=column,
            db_column_name=column,
            column_class_name="ForeignKey",
            column_class=ForeignKey,
            params=_link(references),
            schema=None,
        )
    return manager
