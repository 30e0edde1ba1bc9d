"""Which reads go to a read replica (surveys/core/replicas.py): the reporting functions outside any write,
never a write, never a read after the request's own write, never a replica behind the client's last
write; and SQLite, which has no replicas, ignores the setting."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from surveys.core.clock import now, week_label, week_start
from surveys.core.db import bind, engine_for_url
from surveys.core.replicas import (
    ReplicaRoutingEngine,
    lsn_text,
    note_write,
    parse_lsn,
    position_from_signed,
    read_scope,
    reads_only,
    signed_position,
    written_position,
)
from surveys.core.settings import load_settings
from surveys.core.sqlite_writer import TurnTakingSQLiteEngine
from surveys.reporting.digests import WARD, build_digest
from surveys.reporting.reports import ward_report
from tests.conftest import POSTGRES_URL
from tests.factories import World, make_household, person
from tests.replica import Replica


def test_wal_positions_read_and_write_as_postgresql_writes_them() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert lsn_text(parse_lsn("16/B374D848")) == "16/B374D848"
    assert parse_lsn("0/3000000") < parse_lsn("0/31E8F68") < parse_lsn("1/0")


def test_only_plain_reads_may_go_to_a_replica() -> None:
    assert reads_only('SELECT "household"."id" FROM "household"')
    assert reads_only("  WITH latest AS (SELECT 1) SELECT * FROM latest")
    assert reads_only('SELECT "updated_at", "deleted" FROM "member"')  # words in names are not verbs
    assert not reads_only('INSERT INTO "visit" ("id") VALUES ($1)')
    assert not reads_only('UPDATE "household" SET "version" = 2')
    assert not reads_only("WITH gone AS (DELETE FROM digest RETURNING id) SELECT count(*) FROM gone")
    assert not reads_only("SELECT id FROM household WHERE id = 1 FOR UPDATE")
    assert not reads_only("SELECT pg_advisory_xact_lock(1, 2)")


def test_the_written_position_cookie_cannot_be_forged() -> None:
    position = parse_lsn("16/B374D848")
    signed = signed_position(position, "secret")
    assert position_from_signed(signed, "secret") == position
    assert position_from_signed(signed, "another secret") == 0
    forged = f"{position + 1:x}.{signed.partition('.')[2]}"
    assert position_from_signed(forged, "secret") == 0
    assert position_from_signed("nonsense", "secret") == 0


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_sqlite_ignores_the_replica_setting(
    tmp_path: Path, world: World, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(environ={"DATABASE_REPLICA_URL": "postgresql://phocap@127.0.0.1:1/phocap"})
    assert settings.replica_urls == ["postgresql://phocap@127.0.0.1:1/phocap"]
    with caplog.at_level(logging.WARNING):
        engine = engine_for_url(database_url, settings.replica_urls)
    assert isinstance(engine, TurnTakingSQLiteEngine)
    assert "DATABASE_REPLICA_URL is ignored" in caplog.text
    bind(engine)
    assert (await ward_report(world.wards["pq"])).total.households == 3
    assert await written_position(engine) is None


@pytest.fixture
async def paused(replica: Replica, world: World) -> Replica:
    """The replica, caught up with the world, its replay then paused; the tables bound to an engine that
    routes reads to it."""
    bind(engine_for_url(POSTGRES_URL, [replica.url]))
    await replica.catch_up()
    await replica.pause()
    return replica


async def households(world: World) -> int:
    return (await ward_report(world.wards["pq"])).total.households


@pytest.mark.replica
async def test_a_request_reads_the_primary_once_it_has_written(paused: Replica, world: World) -> None:
    await make_household(world.villages["v2"], "PQ-02-0100", [person("Hoàng Văn Nam", 1990)])
    with read_scope():
        assert await households(world) == 3  # the replica, paused before the new household
        await make_household(world.villages["v2"], "PQ-02-0101", [person("Hoàng Thị Lan", 1992)])
        assert await households(world) == 5  # the primary, after this request's own write
    with read_scope():
        assert await households(world) == 3  # a new request that wrote nothing: the replica again


@pytest.mark.replica
async def test_a_client_reads_the_primary_until_a_replica_has_its_last_write(
    paused: Replica, world: World
) -> None:
    engine = engine_for_url(POSTGRES_URL, [paused.url])
    bind(engine)
    await make_household(world.villages["v2"], "PQ-02-0100", [person("Hoàng Văn Nam", 1990)])
    position = await written_position(engine)
    assert isinstance(engine, ReplicaRoutingEngine) and position is not None
    with read_scope(seen=position):
        assert await households(world) == 4  # the replica has not replayed this client's write
    with read_scope():
        assert await households(world) == 3
    await paused.resume()
    await paused.catch_up()
    await paused.pause()
    await make_household(world.villages["v2"], "PQ-02-0101", [person("Hoàng Thị Lan", 1992)])
    with read_scope(seen=position):
        assert await households(world) == 4  # the replica, past this client's write (not the next one)


@pytest.mark.replica
async def test_the_digest_reads_the_replica(paused: Replica, world: World) -> None:
    await make_household(world.villages["v2"], "PQ-02-0100", [person("Hoàng Văn Nam", 1990)])
    settings = load_settings(environ={})
    content = await build_digest(world.wards["pq"], week_label(week_start(now())), WARD, settings)
    assert content.figures["households"] == 3


def test_a_page_made_within_a_request_writes_in_the_request_scope() -> None:
    """A village's download makes its pages inside the part's request (server/offline_parts.py): a
    write of one of them is the request's, so the part's answer tells the client its next reads go to
    the primary, and the client's last write still counts for the pages."""
    with read_scope(seen=42) as request:
        with read_scope() as page:
            assert page is request and page.seen == 42
            note_write()
        assert request.wrote
