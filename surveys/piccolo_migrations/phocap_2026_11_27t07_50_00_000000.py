"""Each visit's household's village on the visit row (`visit.village`), so a period's activity reads the
period's visits of some villages without joining the household table (surveys/reporting/history.py
`activity_in`, docs/scaling.md §4). The next migration fills it and indexes it. Reversible: backwards
drops the column."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T07:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village on each visit"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Visit",
        tablename="visit",
        column_name="village",
        db_column_name="village",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
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
