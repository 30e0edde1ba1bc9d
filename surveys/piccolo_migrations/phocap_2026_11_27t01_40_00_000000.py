"""The periodic report's other indicators in the per-village daily counts (citizens with the basic
skills, using an AI tool, 60+ and 60+ with VNeID; households of the priority groups and those of them
covered), so a past period's report reads the counts, not the visit history. The next migration fills
them. Reversible: backwards drops the columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village counts: the periodic report's columns"

_PARAMS = {
    "default": 0,
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


COLUMNS = ("basic_skills", "ai_tool", "seniors", "seniors_vneid", "poor", "poor_covered", "elderly_alone",
           "elderly_alone_covered")  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    for column in COLUMNS:
        manager.add_column(
            table_class_name="VillageCount",
            tablename="village_count",
            column_name=column,
            db_column_name=column,
            column_class_name="Integer",
            column_class=Integer,
            params=_PARAMS,
            schema=None,
        )
    return manager
