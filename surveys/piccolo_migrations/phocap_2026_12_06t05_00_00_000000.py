"""When a visit and an attendance reached the server (`visit.received_at`, `attendance.received_at`),
beside `at`, which is now when the volunteer saved it (on the phone, for work sent later: docs/architecture.md §7).
The next migration fills them. Reversible: backwards drops the columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when visits and attendances reached the server"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    for table_class_name, tablename in (("Visit", "visit"), ("Attendance", "attendance")):
        manager.add_column(
            table_class_name=table_class_name,
            tablename=tablename,
            column_name="received_at",
            db_column_name="received_at",
            column_class_name="Timestamptz",
            column_class=Timestamptz,
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
