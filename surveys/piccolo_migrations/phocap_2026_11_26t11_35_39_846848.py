"""A ward's adult age (default 18) beside its identity age: the plans' adult targets count from it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import SmallInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T11:35:39:846848"
VERSION = "1.38.0"
DESCRIPTION = "ward adult age"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Ward",
        tablename="ward",
        column_name="adult_age",
        db_column_name="adult_age",
        column_class_name="SmallInt",
        column_class=SmallInt,
        params={
            "default": 18,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
