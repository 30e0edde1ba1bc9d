"""Reports that go upward (docs/design.md §6): a `report_submission` row per version a ward submits of
a period's report, holding the report's numbers and its Word file as submitted, and the province's
decision on it; one version number per ward and period (a unique index). The province's due dates per
period kind: days after the period's end (`report_due_quarter`, `report_due_half`, `report_due_year`).

One migration, so its steps are raw (Piccolo runs a migration's raw steps before its tables and columns,
and the index needs the table). Reversible: backwards drops the table and the province's columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Bytea, ForeignKey, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table

ID = "2026-12-06T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report submissions and the province's due dates"


class Ward(Table, tablename="ward", schema=None):
    id = Serial(primary_key=True)


class User(Table, tablename="app_user", schema=None):
    id = Serial(primary_key=True)


class ReportSubmission(Table, tablename="report_submission", schema=None):
    id = Serial(primary_key=True)
    ward = ForeignKey(Ward, index=True)
    period = Varchar(length=10)
    version = SmallInt(default=1)
    status = Varchar(length=10, default="submitted")
    submitted_at = Timestamptz()
    submitted_by = ForeignKey(User, null=True, default=None)
    report = JSON(default="{}")
    document = Bytea()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, null=True, default=None)
    comment = Text(default="")


# (column, default): the 10th day after a quarter or a half-year ends; the year's report by 15 January.
DUE_COLUMNS = (("report_due_quarter", 10), ("report_due_half", 10), ("report_due_year", 15))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="phocap", description=DESCRIPTION)

    async def create() -> None:
        from surveys.core.db import current_engine

        engine = current_engine()
        # The database being migrated now: a table class keeps the engine it first met otherwise.
        for table in (ReportSubmission, Ward, User):
            table._meta.db = engine
        await ReportSubmission.create_table()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX report_submission_ward_period_version "
            "ON report_submission (ward, period, version)"
        )
        for column, default in DUE_COLUMNS:
            await engine.run_ddl(
                f"ALTER TABLE province ADD COLUMN {column} SMALLINT NOT NULL DEFAULT {default}"
            )

    async def drop() -> None:
        from surveys.core.db import current_engine

        engine = current_engine()
        await engine.run_ddl("DROP TABLE report_submission")
        for column, _ in DUE_COLUMNS:
            await engine.run_ddl(f"ALTER TABLE province DROP COLUMN {column}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
