from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T11:52:43:973675"
VERSION = "1.38.0"
DESCRIPTION = "What a ward calls its villages (thôn, xóm, tổ dân phố…), default thôn"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Ward",
        tablename="ward",
        column_name="village_word",
        db_column_name="village_word",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "thon",
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
