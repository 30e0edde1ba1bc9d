"""The per-village daily activity (`village_activity`) and who visited each village on each day
(`village_volunteer`): the tables, their unique indexes, and every village counted from its visits, as
`phocap counts rebuild` does. Piccolo runs a migration's raw steps before its tables: `_TablesFirst` runs
them after, in the same transaction. Backwards: the tables go (derived; forwards makes them again)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Village(Table, tablename="village", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-06T08:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "village activity and volunteers per day, counted from the visits"


class _TablesFirst(MigrationManager):
    """Runs the raw steps forwards once the tables are made (they index and fill them)."""

    async def _run_add_tables(self, backwards: bool = False) -> None:
        await super()._run_add_tables(backwards=backwards)
        if not backwards:
            for step in self.after_tables:
                await step()


async def forwards():
    manager = _TablesFirst(
        migration_id=ID, app_name="phocap", description=DESCRIPTION
    )

    async def index_and_fill() -> None:
        from surveys.core.db import current_engine
        from surveys.reporting.activity_counts import count_villages_again
        from surveys.tables import Village

        engine = current_engine()
        await engine.run_ddl("CREATE UNIQUE INDEX village_activity_village_day ON village_activity (village, day)")
        await engine.run_ddl(
            "CREATE UNIQUE INDEX village_volunteer_village_day ON village_volunteer (village, day, volunteer)"
        )
        await count_villages_again([int(r["id"]) for r in await Village.select(Village.id).order_by(Village.id)])

    manager.after_tables = [index_and_fill]

    manager.add_table(
        class_name="VillageVolunteer",
        tablename="village_volunteer",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="VillageActivity",
        tablename="village_activity",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="VillageVolunteer",
        tablename="village_volunteer",
        column_name="village",
        db_column_name="village",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Village,
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

    manager.add_column(
        table_class_name="VillageVolunteer",
        tablename="village_volunteer",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
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

    manager.add_column(
        table_class_name="VillageVolunteer",
        tablename="village_volunteer",
        column_name="volunteer",
        db_column_name="volunteer",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageVolunteer",
        tablename="village_volunteer",
        column_name="visits",
        db_column_name="visits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="village",
        db_column_name="village",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Village,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="visits",
        db_column_name="visits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="completed",
        db_column_name="completed",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="nobody_home",
        db_column_name="nobody_home",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="first_visits",
        db_column_name="first_visits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="newly_covered",
        db_column_name="newly_covered",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="VillageActivity",
        tablename="village_activity",
        column_name="newly_uncovered",
        db_column_name="newly_uncovered",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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
