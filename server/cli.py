"""The `phocap` command: set-up and operations (serve, demo, migrate, import, users, scheduler).

This launcher is where the web app and the embedded scheduler meet; neither package imports the other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn

from server.app import configure_logging, create_app
from surveys.core.settings import Settings, SettingsError, get_settings
from surveys.people.passwords import password_problem

T = TypeVar("T")
log = logging.getLogger("phocap")


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` against the settings' database."""
    from surveys.core.db import DatabaseNotMigrated, bind, close_pool, engine_for_url, open_pool

    async def main() -> T:
        engine = engine_for_url(settings.resolved_database_url, settings.replica_urls)
        bind(engine)
        await open_pool(engine, settings.database_pool_size)
        try:
            return await work()
        finally:
            await close_pool(engine)

    try:
        return asyncio.run(main())
    except DatabaseNotMigrated as exc:
        raise click.ClickException(str(exc)) from exc


def _serve(settings: Settings, host: str, port: int) -> None:
    background = None
    if settings.embedded_scheduler:
        from scheduler.runner import embedded

        background = embedded
    app = create_app(settings, background=background)
    uvicorn.run(
        app, host=host, port=port, proxy_headers=False, access_log=False, log_level=settings.log_level.lower()
    )


@click.group()
def main() -> None:
    """phocap: the field survey and coverage tracker of the "Bình dân học vụ số" movement."""
    try:
        settings = get_settings()
    except SettingsError as exc:  # a setting it cannot read stops every command, saying which
        raise click.ClickException(str(exc)) from exc
    configure_logging(settings.log_level)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app (the scheduler too when PHOCAP_EMBEDDED_SCHEDULER is on)."""
    _serve(get_settings(), host, port)


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from surveys.core.db import migrate as apply

    applied = _run(get_settings(), apply)
    click.echo(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")


@main.command("import-units")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
def import_units(path: Path | None) -> None:
    """Import or update the official list of provinces and wards."""
    from surveys.core.db import ensure_migrated
    from surveys.register.admin_units import DEFAULT_UNITS_FILE
    from surveys.register.admin_units import import_units as run_import

    async def work() -> Any:
        await ensure_migrated()
        return await run_import(path or DEFAULT_UNITS_FILE)

    counts = _run(get_settings(), work)
    click.echo(
        f"Provinces: {counts.provinces_added} added, {counts.provinces_renamed} renamed. "
        f"Wards: {counts.wards_added} added, {counts.wards_changed} changed."
    )


@main.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--data-dir", default="./data", show_default=True, type=click.Path(file_okay=False))
def demo(port: int, host: str, data_dir: str) -> None:
    """Create the demo commune (Xã Phong Quang) with accounts, and serve it with the scheduler."""
    from surveys.core.db import migrate as apply
    from surveys.demo import ACCOUNTS, DEMO_PASSWORD, load_demo

    base = get_settings()
    settings = dataclasses.replace(
        base,
        data_dir=data_dir,
        cookie_secure=False,  # the demo is served over plain http on this machine
        embedded_scheduler=True,
        base_url=f"http://{host}:{port}" if base.base_url == Settings.base_url else base.base_url,
    )

    async def work() -> bool:
        await apply()
        return await load_demo()

    created = _run(settings, work)
    click.echo(
        ("Demo data created" if created else "Demo data already present") + f" in {settings.data_dir}."
    )
    click.echo(f"\nphocap demo: {settings.base_url}  (password for every account: {DEMO_PASSWORD})")
    for account in ACCOUNTS:
        click.echo(f"  {account.login:<11} {account.description}")
    click.echo("")
    _serve(settings, host, port)


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("create")
@click.option("--login", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(
        ["volunteer", "village_head", "ward_officer", "province_officer", "national_officer", "admin"]
    ),
)
@click.option("--name", "display_name", required=True, help="Name shown in the app.")
@click.option("--ward", "ward_code", default=None, help="Ward code (5 digits) for ward roles.")
@click.option(
    "--province", "province_code", default=None, help="Province code (2 digits) for a province officer."
)
@click.option("--village", "villages", multiple=True, type=int, help="Village id (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(
    login: str,
    role: str,
    display_name: str,
    ward_code: str | None,
    province_code: str | None,
    villages: tuple[int, ...],
    password_stdin: bool,
) -> None:
    """Create an account (or reset its password)."""
    from surveys.core.db import ensure_migrated
    from surveys.people.accounts import create_user
    from surveys.register.places import province_id, ward_id

    # A province officer reads the wards of one province: without it they would see nothing.
    if role == "province_officer" and not province_code:
        raise click.BadParameter(
            "a province officer needs --province (2 digits, e.g. 19)", param_hint="--province"
        )
    if province_code and role != "province_officer":
        raise click.BadParameter("only a province officer has a province", param_hint="--province")
    # A national officer reads the whole country's reports and no village: an area would mean nothing.
    if role == "national_officer" and (ward_code or villages):
        raise click.BadParameter(
            "a national officer reads the whole country: no --ward or --village", param_hint="--ward"
        )
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass()
    if problem := password_problem(password, login):
        raise click.BadParameter(f"the password cannot be used ({problem.replace('_', ' ')})")

    async def work() -> int:
        await ensure_migrated()
        found = await ward_id(ward_code) if ward_code else None
        if ward_code and found is None:
            raise click.BadParameter(f"no ward with code {ward_code} (run `phocap import-units`)")
        province = await province_id(province_code) if province_code else None
        if province_code and province is None:
            raise click.BadParameter(
                f"no province with code {province_code} (run `phocap import-units`)", param_hint="--province"
            )
        return await create_user(
            login, password, role, display_name, ward_id=found, province_id=province, village_ids=villages
        )

    user_id = _run(get_settings(), work)
    click.echo(f"User {login} saved (id {user_id}).")


@main.command("scheduler")
def run_scheduler() -> None:
    """Run the scheduler as its own process (Procfile `scheduler:`)."""
    from scheduler.runner import run_forever

    asyncio.run(run_forever(get_settings()))


@main.group()
def digest() -> None:
    """Weekly digests."""


def _week_option(week: str | None) -> str:
    from surveys.core.clock import now, week_label, week_start

    if week is None:
        return week_label(week_start(now()))
    if not re.fullmatch(r"\d{4}-W\d{2}", week):
        raise click.BadParameter("the week looks like 2026-W47", param_hint="--week")
    return week


async def _ward_id(code: str) -> int:
    from surveys.core.db import ensure_migrated
    from surveys.register.places import ward_id

    await ensure_migrated()
    found = await ward_id(code)
    if found is None:
        raise click.BadParameter(f"no ward with code {code}", param_hint="--ward")
    return found


async def _province_id(code: str) -> int:
    from surveys.core.db import ensure_migrated
    from surveys.register.places import province_id

    await ensure_migrated()
    found = await province_id(code)
    if found is None:
        raise click.BadParameter(f"no province with code {code}", param_hint="--province")
    return found


@digest.command("preview")
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. 01849.")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: this week).")
def digest_preview(ward_code: str, week: str | None) -> None:
    """Print the ward's digest as it would be sent now (plain text), without storing it."""
    from surveys.reporting.digests import WARD, build_digest

    settings = get_settings()

    async def work() -> Any:
        return await build_digest(await _ward_id(ward_code), _week_option(week), WARD, settings)

    content = _run(settings, work)
    click.echo(f"Subject: {content.subject}\n\n{content.text_body}")


@digest.command("send")
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. 01849.")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: this week).")
def digest_send(ward_code: str, week: str | None) -> None:
    """Make the ward's digest of the week (unless it exists: never twice) and send the outbox now."""
    from surveys.reporting.digest_archive import digest_delivery
    from surveys.reporting.digests import WARD, make_digest
    from surveys.reporting.outbox import deliver_due

    settings = get_settings()

    async def work() -> tuple[int, bool, dict[str, Any] | None]:
        digest_id, created = await make_digest(await _ward_id(ward_code), _week_option(week), WARD, settings)
        await deliver_due(settings)
        return digest_id, created, await digest_delivery(digest_id)

    digest_id, created, row = _run(settings, work)
    state = row["status"] if row else "?"
    click.echo(f"Digest {digest_id} ({'made now' if created else 'already made'}): {state}.")
    if row and row["last_error"]:
        click.echo(f"Last error: {row['last_error']}")


@main.group()
def ward() -> None:
    """A ward's settings."""


@ward.command("rules")
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. 01849.")
@click.option("--identity-age", type=int, default=None, help="Citizens from this age need VNeID (6-100).")
@click.option("--adult-age", type=int, default=None, help="Adult age of the plans' adult targets (14-100).")
@click.option("--min-vneid-level", type=click.Choice(["1", "2"]), default=None, help="Minimum VNeID level.")
@click.option("--bank-required/--no-bank-required", default=None, help="A digital bank account is required.")
@click.option(
    "--family-criteria",
    default=None,
    help="Comma-separated skills criteria that make a digital family: learned,understands,uses_services,guides_others.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change, save nothing.")
def ward_rules(
    ward_code: str,
    identity_age: int | None,
    adult_age: int | None,
    min_vneid_level: str | None,
    bank_required: bool | None,
    family_criteria: str | None,
    dry_run: bool,
) -> None:
    """Show a ward's coverage thresholds; with options, change them (audited), after printing how many
    households change status."""
    from surveys.core.validation import InvalidInput
    from surveys.reporting.thresholds import (
        parse_thresholds,
        preview_thresholds,
        save_thresholds,
        ward_thresholds,
    )

    asked = {
        "identity_age": identity_age,
        "adult_age": adult_age,
        "identity_min_level": int(min_vneid_level) if min_vneid_level else None,
        "identity_requires_bank": bank_required,
        "family_criteria": [c.strip() for c in family_criteria.split(",") if c.strip()]
        if family_criteria is not None
        else None,
    }
    options = {
        "identity_age": "--identity-age",
        "adult_age": "--adult-age",
        "identity_min_level": "--min-vneid-level",
        "identity_requires_bank": "--bank-required",
        "family_criteria": "--family-criteria",
    }

    async def work() -> list[str]:
        ward_id = await _ward_id(ward_code)
        current = dataclasses.asdict(await ward_thresholds(ward_id))
        lines = [f"{name}: {value}" for name, value in current.items()]
        changes = {k: v for k, v in asked.items() if v is not None}
        if not changes:
            return lines
        raw = {**current, "family_criteria": list(current["family_criteria"]), **changes}
        try:
            update = parse_thresholds(raw)
        except InvalidInput as exc:
            first = exc.errors[0]
            raise click.BadParameter(
                f"{first.code.replace('_', ' ')} (identity age 6-100, adult age 14-100, criteria: "
                "learned, understands, uses_services, guides_others, at least one)",
                param_hint=options.get(first.field.split(".")[0], first.field),
            ) from exc
        preview = await preview_thresholds(ward_id, update)
        lines.append(
            f"{preview.changed} household(s) would change status: {preview.newly_covered} newly covered, "
            f"{preview.no_longer_covered} no longer covered ({preview.covered_before} covered now, "
            f"{preview.covered_after} after, of {preview.households})."
        )
        if dry_run:
            lines.append("Nothing saved (--dry-run).")
        else:
            await save_thresholds(ward_id, update, None, "cli")
            lines.append("Saved; the numbers count with these thresholds from now on.")
        return lines

    for line in _run(get_settings(), work):
        click.echo(line)


@main.command("report")
@click.option("--ward", "ward_code", default=None, help="Ward code, e.g. 01849 (or give --province).")
@click.option(
    "--province", "province_code", default=None, help="Province code, e.g. 19: the sum of its wards."
)
@click.option("--period", default=None, help="2026-Q3, 2026-H2 or 2026 (or give --from and --to).")
@click.option("--from", "first", default=None, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", default=None, help="Last day, YYYY-MM-DD.")
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "xlsx", "json"]), default="docx", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write."
)
def report_command(
    ward_code: str | None,
    province_code: str | None,
    period: str | None,
    first: str | None,
    last: str | None,
    fmt: str,
    out: Path,
) -> None:
    """Write a ward's or a province's periodic report (the same as the report page's files) to a file."""
    import msgspec

    from surveys.core.exports import to_xlsx
    from surveys.core.validation import InvalidInput
    from surveys.reporting.documents import report_document, report_tables, to_docx
    from surveys.reporting.periodic import period_report_out, province_period_report, ward_period_report
    from surveys.reporting.periods import named_period, period_between

    if (ward_code is None) == (province_code is None):
        raise click.UsageError("give either --ward or --province")
    try:
        chosen = named_period(period) if period else period_between(first, last)
    except InvalidInput as exc:
        bad = ", ".join(f"--{e.field} ({e.code})" for e in exc.errors)
        raise click.BadParameter(
            f"the period is not valid: {bad}", param_hint="--period/--from/--to"
        ) from exc
    settings = get_settings()

    async def work() -> bytes:
        if ward_code is not None:
            report = await ward_period_report(await _ward_id(ward_code), chosen)
        else:
            report = await province_period_report(await _province_id(str(province_code)), chosen)
        if fmt == "json":
            return msgspec.json.encode(period_report_out(report))
        document = report_document(report)
        return to_docx(document) if fmt == "docx" else to_xlsx(*report_tables(document, report))

    out.write_bytes(_run(settings, work))
    click.echo(f"{out} ({chosen.first:%d/%m/%Y}-{chosen.last:%d/%m/%Y})")


@main.command("backup")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write (default: <data dir>/backups/phocap-<time>.sqlite3).",
)
def backup_command(target: Path | None) -> None:
    """Copy the live SQLite database to a new file, consistently, while the app runs; then check it."""
    from surveys.backup import BackupError, backup, default_target

    settings = get_settings()
    try:
        info = backup(settings.resolved_database_url, target or default_target(settings.data_dir))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up to {info.path} ({info.households} households); the file is checked and sound.")


@main.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup_file: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup, after checking it (stop the app first). The database
    as it was is saved beside it."""
    from surveys.backup import BackupError, check, restore

    settings = get_settings()
    try:
        info = check(backup_file)
        click.echo(f"{backup_file}: sound, {info.households} households.")
        if not yes:
            click.confirm("Replace the current database with it?", abort=True)
        info, saved = restore(backup_file, settings.resolved_database_url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if saved:
        click.echo(f"The previous database is saved as {saved}.")
    click.echo(
        "Restored." + (" Run `phocap migrate` before starting the app." if info.pending_migrations else "")
    )


@main.group()
def counts() -> None:
    """The per-village daily counts the dashboards read."""


@counts.command("rebuild")
@click.option("--ward", "ward_code", default=None, help="Ward code, e.g. 01849 (default: every ward).")
def counts_rebuild(ward_code: str | None) -> None:
    """Count every village (of the ward) again from its households and replace today's counts."""
    from surveys.core.db import ensure_migrated
    from surveys.reporting.village_counts import rebuild

    settings = get_settings()

    async def work() -> int:
        await ensure_migrated()
        return await rebuild(await _ward_id(ward_code) if ward_code else None)

    click.echo(f"Counted {_run(settings, work)} villages again.")


@main.command("generate")
@click.option("--province", "province_code", default="19", show_default=True, help="Province code.")
@click.option("--wards", type=int, default=100, show_default=True, help="Wards to fill (as many as it has).")
@click.option("--households", type=int, default=600_000, show_default=True, help="Households in all.")
@click.option("--villages", type=int, default=None, help="Villages a ward (default: ~750 households each).")
@click.option(
    "--villages-only",
    type=click.IntRange(min=1, max=1_000_000),
    default=None,
    help="Instead: this many villages over all 34 provinces, with daily counts and no households.",
)
def generate_command(
    province_code: str, wards: int, households: int, villages: int | None, villages_only: int | None
) -> None:
    """Fill an empty database with made-up households, members and a year of visits (benchmarks)."""
    from surveys.core.db import migrate
    from surveys.generate import generate, generate_villages

    settings = get_settings()
    if villages_only is not None:

        async def villages_work() -> Any:
            await migrate()
            return await generate_villages(villages_only)

        try:
            spread = _run(settings, villages_work)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{spread.villages:,} villages in {spread.wards:,} wards of {spread.provinces} provinces, "
                   f"{spread.counts:,} daily count rows, no households.")  # fmt: skip
        return

    async def work() -> Any:
        await migrate()
        return await generate(province_code, wards, households, villages)

    made = _run(settings, work)
    click.echo(f"{made.households:,} households, {made.members:,} members, {made.visits:,} visits "
               f"in {made.villages} villages of {made.wards} wards.")  # fmt: skip
    steps = ", ".join(f"{name} {seconds:,.0f}" for name, seconds in made.seconds.items())
    click.echo(f"{sum(made.seconds.values()):,.0f} s: {steps}.")
