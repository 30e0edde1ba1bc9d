"""A team member's `version` (an edit checks it: a concurrent change is a conflict, not an overwrite) and
the API's `client_id` (a retried create returns the first result; NULL for the rows made before, which a
unique index allows: the next migration's, as SQLite cannot add a UNIQUE column). Reversible: backwards
drops both columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "team member version and client_id"


def _params(default: object, null: bool, unique: bool) -> dict[str, object]:
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": unique,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="TeamMember",
        tablename="team_member",
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(1, null=False, unique=False),
        schema=None,
    )
    manager.add_column(
        table_class_name="TeamMember",
        tablename="team_member",
        column_name="client_id",
        db_column_name="client_id",
        column_class_name="UUID",
        column_class=UUID,
        params=_params(None, null=True, unique=False),
        schema=None,
    )

    return manager
