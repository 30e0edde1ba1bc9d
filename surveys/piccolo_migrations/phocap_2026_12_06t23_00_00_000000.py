"""A stored digest may be a province's (`digest.province`): the weekly reminder to a province's officers
of the ward reports past due, sent from the same outbox as the wards' digests (its `ward` is then
empty). Reversible: backwards drops the column (and the province reminders with it: a digest with no
ward would be nobody's)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a province's digest: its reminder of the ward reports past due"


class Province(Table, tablename="province", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Digest",
        tablename="digest",
        column_name="province",
        db_column_name="province",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Province,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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

    async def forget_province_reminders() -> None:
        from surveys.core.db import current_engine

        await current_engine().run_ddl("DELETE FROM digest WHERE ward IS NULL")

    manager.add_raw_backwards(forget_province_reminders)
    return manager
