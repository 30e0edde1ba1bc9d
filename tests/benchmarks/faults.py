"""Load and faults against the real server, bounded: loopback only, fixed counts, stops by itself.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.faults [SECONDS] [VOLUNTEERS]              # SQLite (default 20 s, 50)
    python -m tests.benchmarks.faults [SECONDS] [VOLUNTEERS] --postgres   # a throwaway PostgreSQL server

`--postgres` starts its own PostgreSQL (initdb in a temporary folder, run as the `postgres` user when
run as root, as `.ci/run` does) from `PHOCAP_PG_BIN` (default: the newest /usr/lib/postgresql/*/bin),
so it can stop it and start it again in the middle of the load; `PHOCAP_FAULTS_DATABASE_URL` names an
empty PostgreSQL database to use instead (then without the outage). phocap is served by uvicorn in a
process of its own on 127.0.0.1 (one worker, the Procfile's pool size); two `phocap scheduler`
processes run beside it the whole time. VOLUNTEERS concurrent volunteers record visits for SECONDS (a
retry with the same `client_id` on a 5xx or a broken connection, after `Retry-After` on a 503); on
PostgreSQL the database is stopped for `OUTAGE_SECONDS` at 40 % of the run. Then 30 parallel wrong
sign-ins to one account, 20 parallel "add household" in one village, 20 `client_id`s sent twice at once,
malformed and oversized bodies (`PHOCAP_FAULTS_ACCEPT_ENCODING`: the volunteers ask for their answers
in that encoding, as phones do; by default in none). Prints requests, unexpected 5xx, 503s during the outage, lost and
duplicate visits, p50/p99 and visits/s beside the raw rate of the same rows (a visit and its audit
entry, one transaction per visit, at the same concurrency, by plain sqlite3 or asyncpg) measured in the
same run, and the rate of those raw rows through HTTP with no application in between
(tests/benchmarks/skeleton.py: the most any app on this stack reaches here), then one JSON line.

The volunteers' client is written by hand on asyncio's streams (`Connection`): it must not take from
the server's CPU the time it measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from surveys.core.db import bind, close_pool, current_engine, engine_for_url, migrate
from surveys.people.hashing import hash_password_now
from surveys.tables import ALL_TABLES, Digest, Household, User, Visit
from tests.factories import PASSWORD, World, make_household, make_world, person

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
# How long the database is down in the middle of a PostgreSQL run, and how long after it comes back
# a 503 still counts as the outage's (the pool reconnects on the next request).
OUTAGE_SECONDS = 4.0
OUTAGE_GRACE_SECONDS = 3.0
RAW_SECONDS = 4.0
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has spent, from /proc: what a visit costs the server,
    which the load of other work on the machine changes far less than visits/s."""
    _, fields = _stat(Path(f"/proc/{pid}/stat").read_text())
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(text: str) -> tuple[str, list[str]]:
    """A process's name and the fields after it, from its /proc/<pid>/stat (the name may hold spaces and
    parentheses: it ends at the last `)`): its user and system ticks are fields 11 and 12, its ended
    children's 13 and 14."""
    name, _, rest = text.partition("(")[2].rpartition(")")
    return name, rest.split()


def database_cpu_seconds() -> float | None:
    """CPU time (user and system, with that of the ones ended) of the PostgreSQL server's processes on
    this machine, from /proc; None when there are none (SQLite, or a server elsewhere). Its background
    work (autovacuum, the checkpointer) is in it too."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        name, fields = _stat(text)
        if name == "postgres":
            total += sum(int(f) for f in fields[11:15])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


class ThrowawayPostgres:
    """A PostgreSQL server of its own in a temporary folder, as `.ci/run` starts one."""

    def __init__(self, folder: str) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        self.bin = Path(os.environ.get("PHOCAP_PG_BIN") or (versions[-1] if versions else ""))
        self.data = Path(folder) / "pg"
        self.port = free_port()
        self.url = f"postgresql://phocap:phocap@127.0.0.1:{self.port}/phocap_faults"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.data.parent, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        for sql in (
            "CREATE ROLE phocap LOGIN PASSWORD 'phocap'",
            "CREATE DATABASE phocap_faults OWNER phocap",
        ):
            self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc", sql)

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@dataclass
class Outage:
    """When the database was down (monotonic seconds), and when 503s stop counting as its own."""

    began: float = float("inf")
    ended: float = float("inf")

    def covers(self, at: float) -> bool:
        return self.began <= at <= self.ended + OUTAGE_GRACE_SECONDS


def raw_sqlite_rate(path: Path, household: int, user: int, n: int, seconds: float = RAW_SECONDS) -> float:
    """Visits per second plain sqlite3 commits from n threads at once: the same rows as a visit "nobody
    home" (a visit and its audit entry, the client_id looked up first), one transaction each."""
    stop = time.perf_counter() + seconds
    counts = [0] * n

    def writer(i: int) -> None:
        db = sqlite3.connect(str(path), timeout=15, isolation_level=None)
        while time.perf_counter() < stop:
            client_id = str(uuid.uuid4())
            db.execute("BEGIN IMMEDIATE")
            db.execute("SELECT household FROM visit WHERE client_id = ?", (client_id,)).fetchall()
            db.execute(
                "INSERT INTO visit (household, volunteer, client_id, at, outcome, answers, household_version)"
                " VALUES (?, ?, ?, datetime('now'), 'nobody_home', ?, 1)",
                (household, user, client_id, json.dumps({"client_id": client_id, "outcome": "nobody_home"})),
            )
            db.execute(
                "INSERT INTO audit_entry (at, user, action, entity, entity_id, details, client_addr)"
                " VALUES (datetime('now'), ?, 'visit.recorded', 'household', ?, ?, 'raw')",
                (user, household, json.dumps({"client_id": client_id})),
            )
            db.execute("COMMIT")
            counts[i] += 1
        db.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


async def raw_postgres_rate(
    url: str, household: int, user: int, n: int, seconds: float = RAW_SECONDS
) -> float:
    """As `raw_sqlite_rate`, by asyncpg with n connections at once; the rows are deleted after."""
    pool = await asyncpg.create_pool(url, min_size=n, max_size=n)
    stop = time.perf_counter() + seconds
    done: list[uuid.UUID] = []

    async def writer() -> None:
        async with pool.acquire() as db:
            while time.perf_counter() < stop:
                client_id = uuid.uuid4()
                async with db.transaction():
                    await db.fetch("SELECT household FROM visit WHERE client_id = $1", client_id)
                    await db.execute(
                        "INSERT INTO visit (household, volunteer, client_id, at, outcome, answers,"
                        " household_version) VALUES ($1, $2, $3, now(), 'nobody_home', $4, 1)",
                        household, user, client_id, json.dumps({"client_id": str(client_id)}),
                    )  # fmt: skip
                    await db.execute(
                        "INSERT INTO audit_entry (at, \"user\", action, entity, entity_id, details, client_addr)"
                        " VALUES (now(), $1, 'visit.recorded', 'household', $2, $3, 'raw')",
                        user, household, json.dumps({"client_id": str(client_id)}),
                    )  # fmt: skip
                done.append(client_id)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(n)))
        rate = len(done) / (time.perf_counter() - started)
        await pool.execute("DELETE FROM visit WHERE client_id = ANY($1::uuid[])", done)
        await pool.execute("DELETE FROM audit_entry WHERE client_addr = 'raw'")
    finally:
        await pool.close()
    return rate


def profiled() -> list[str]:
    out = os.environ.get("PHOCAP_FAULTS_PROFILE")
    return ["-m", "cProfile", "-o", str(Path(out).resolve())] if out else []


def serve(
    folder: str, url: str, app: str = "server.app:create_app", environ: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """phocap (or another app factory: `app`) under uvicorn in a process of its own, as in production
    (the Procfile's flags: phocap reads X-Forwarded-For itself, `TRUSTED_PROXIES`);
    returns it and its base URL once it answers. Its log is `server.log` (phocap's) or `<module>.log`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "DATABASE_URL": url, "PHOCAP_DATA_DIR": folder, "SECRET_KEY": "faults-secret-key",
               "BASE_URL": base, "ALLOWED_HOSTS": "127.0.0.1", "COOKIE_SECURE": "false", **(environ or {})}  # fmt: skip
    phocap = app == "server.app:create_app"
    name = "server" if phocap else app.split(":")[0].rsplit(".", 1)[-1]
    log = open(Path(folder) / f"{name}.log", "wb")  # noqa: SIM115 (the process writes it until it ends)
    process = subprocess.Popen(
        # PHOCAP_FAULTS_PROFILE=out.prof: phocap runs under cProfile (where a request's time goes).
        [sys.executable, *(profiled() if phocap else []), "-m", "uvicorn", "--factory", app,
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log", "--no-proxy-headers"],
        cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            # phocap says it is ready on /healthz; any answer will do from an app without it.
            answer = httpx.get(f"{base}/healthz", timeout=2).status_code
            if answer == 200 or (not phocap and answer == 404):
                return process, base
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start: see {folder}/{name}.log")
        time.sleep(0.2)


def serve_skeleton(folder: str, url: str, household: int, user: int) -> tuple[subprocess.Popen[bytes], str]:
    """The empty handler (tests/benchmarks/skeleton.py) served as phocap is (`serve`), writing its raw rows
    at `household` by `user` in `url`'s database."""
    environ = {"PHOCAP_SKELETON_DATABASE_URL": url, "PHOCAP_SKELETON_HOUSEHOLD": str(household),
               "PHOCAP_SKELETON_USER": str(user)}  # fmt: skip
    return serve(folder, url, "tests.benchmarks.skeleton:create_app", environ)


async def forget_skeleton_rows(url: str, accepted: set[str]) -> None:
    """Take the empty handler's rows out of phocap's PostgreSQL database (on SQLite it wrote a copy)."""
    if url.startswith("postgres"):
        db = await asyncpg.connect(url)
        try:
            await db.execute("DELETE FROM visit WHERE client_id = ANY($1::uuid[])", list(accepted))
            await db.execute("DELETE FROM audit_entry WHERE client_addr = 'skeleton'")
        finally:
            await db.close()


async def skeleton_rate(folder: str, url: str, household: int, user: int, n: int) -> Load:
    """Visits per second the same raw rows reach through HTTP with no application in between
    (tests/benchmarks/skeleton.py), by the volunteers' own client at n at once: the ratio's ceiling.
    Returns what its volunteers saw and the CPU its server spent."""
    process, base = serve_skeleton(folder, url, household, user)
    try:
        cpu_before = cpu_seconds(process.pid)
        load = await volunteers(base, {}, ["skeleton"], RAW_SECONDS, n)
        load.server_cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        stop(process)
    await forget_skeleton_rows(url, load.accepted)
    return load


def schedulers(folder: str, url: str, count: int = 2) -> list[subprocess.Popen[bytes]]:
    """`count` scheduler processes on the same database (one is the Procfile's, the rest by mistake)."""
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "PHOCAP_DATA_DIR": folder,
        "SECRET_KEY": "faults-secret-key",
    }
    return [
        subprocess.Popen(
            [sys.executable, "-c", "from server.cli import main; main(['scheduler'])"],
            cwd=ROOT,
            env=environ,
            stdout=open(Path(folder) / f"scheduler-{i}.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(count)
    ]


# An exception's last line of a traceback, or a logged ERROR (the format server/app.py sets).
ERROR_LINE = re.compile(
    r"^(?:[\w.]+(?:Error|Exception|Exit)\b.*|\S+ \S+ (?:ERROR|CRITICAL) .*)$", re.MULTILINE
)


def errors_in(log: Path) -> Counter[str]:
    """The exceptions and error lines a process logged, each with how often (kept short; the time
    of a logged line left out so equal lines count together)."""
    lines = ERROR_LINE.findall(log.read_text(errors="replace"))
    return Counter(re.sub(r"^\S+ \S+ ", "", line)[:160] for line in lines)


def stop(process: subprocess.Popen[bytes]) -> int | None:
    """Stop a process this script started; its exit code (None if it had to be killed)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
    return process.returncode


@dataclass
class Load:
    """What the volunteers saw."""

    answers: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status; 0: broken)
    latencies: list[float] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU the server process spent during the load


class Connection:
    """One volunteer's kept-alive HTTP/1.1 connection, written by hand on asyncio's streams.

    The load is measured against the raw database rate, so the client must cost little: httpx spent
    ~2.8 ms of CPU a request on these 2 cores (50 at once against a handler that only answers, 358
    requests/s; this client: ~10,000/s), time taken from the server it measures."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port or 80)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"host": host, **headers}.items()).encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, path: str, body: dict[str, object]) -> tuple[int, dict[bytes, bytes]]:
        """POST a JSON body; the status and the headers (names lower case). Raises OSError or
        asyncio.IncompleteReadError when the connection breaks, and then opens a new one next time."""
        content = json.dumps(body).encode()
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(
                b"POST %s HTTP/1.1\r\n%scontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                % (path.encode(), self.head, len(content))
                + content
            )
            status = int((await reader.readuntil(b"\r\n")).split()[1])
            headers: dict[bytes, bytes] = {}
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if headers.get(b"transfer-encoding") == b"chunked":
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            else:
                await reader.readexactly(int(headers.get(b"content-length", b"0")))
            if headers.get(b"connection") == b"close":
                self.close()
            return status, headers
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
            self.close()
            raise ConnectionError from None

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def volunteers(base: str, headers: dict[str, str], tokens: list[str], seconds: float, n: int) -> Load:
    """n volunteers recording visits for `seconds`, retrying with the same client_id."""
    load = Load()
    stop_at = time.monotonic() + seconds

    async def one(rng: random.Random) -> None:
        connection = Connection(base, headers)
        while time.monotonic() < stop_at:
            token = rng.choice(tokens)
            body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
            for _ in range(30):
                started = time.perf_counter()
                try:
                    status, answer = await connection.post_json(f"/api/households/{token}/visits", body)
                except ConnectionError:
                    load.answers.append((time.monotonic(), 0))
                    await asyncio.sleep(0.5)
                    continue
                load.latencies.append(time.perf_counter() - started)
                load.answers.append((time.monotonic(), status))
                if status in (200, 201):
                    load.accepted.add(body["client_id"])
                if status < 500:
                    break
                # The phone's queue waits as told (Retry-After), a little less to keep the run short.
                await asyncio.sleep(min(float(answer.get(b"retry-after", b"1")), 1.0))
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(random.Random(i)) for i in range(n)))
    load.elapsed = time.perf_counter() - started
    return load


async def outage_during(database: ThrowawayPostgres, after: float, outage: Outage) -> None:
    """Stop the database `after` seconds from now, and start it again OUTAGE_SECONDS later."""
    await asyncio.sleep(after)
    outage.began = time.monotonic()
    await asyncio.to_thread(database.stop)
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(database.start)
    outage.ended = time.monotonic()


async def signed_in(base: str, login: str, page: str) -> tuple[httpx.AsyncClient, str]:
    """A web client signed in, and the CSRF token of its session read from `page`'s form."""
    client = httpx.AsyncClient(base_url=base, timeout=30)
    csrf = CSRF.search((await client.get("/signin")).text).group(1)  # type: ignore[union-attr]
    await client.post("/signin", data={"login": login, "password": PASSWORD, "_csrf_token": csrf})
    # The token is bound to the session, which signing in replaced: a page of the signed-in session's.
    csrf = CSRF.search((await client.get(page)).text).group(1)  # type: ignore[union-attr]
    return client, csrf


async def answered_by(requests: list[Any]) -> dict[int, int]:
    """How many of these requests, sent at once, got each status; 0: no answer in the client's time (a
    timeout or a broken connection), counted as unexpected, where raising would lose the run's figures."""
    answers = await asyncio.gather(*requests, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, httpx.TransportError):
            raise answer
    return dict(Counter(0 if isinstance(a, BaseException) else a.status_code for a in answers))


async def faults(base: str, headers: dict[str, str], token: str, village: int) -> dict[str, dict[int, int]]:
    """The bursts and the bad bodies; what each answered."""
    out: dict[str, dict[int, int]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        burst = [
            client.post("/api/session", json={"login": "volunteer2", "password": f"guess-{n}"})
            for n in range(30)
        ]
        out["30 parallel wrong sign-ins"] = await answered_by(burst)
        pairs = []
        for _ in range(20):
            body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
            pairs += [
                client.post(f"/api/households/{token}/visits", json=body, headers=headers) for _ in range(2)
            ]
        out["20 client_ids sent twice at once"] = await answered_by(pairs)
        bad = {
            "deep nesting": b"[" * 100_000,
            "not UTF-8": b'{"client_id": "\xff\xfe"}',
            "2 MB body": b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        }
        answered: Counter[int] = Counter()
        for content in bad.values():
            response = await client.post(
                f"/api/households/{token}/visits",
                content=content,
                headers={**headers, "content-type": "application/json"},
            )
            answered[response.status_code] += 1
        out["malformed and oversized bodies"] = dict(answered)
    web, csrf = await signed_in(base, "head1", f"/villages/{village}/households/new")
    try:
        form = {"_csrf_token": csrf, "address": "Xóm Mới", "m-0-full_name": "Hà Văn Mới", "m-0-birth_year": "1980",
                "m-0-is_head": "on"}  # fmt: skip
        adds = [web.post(f"/villages/{village}/households/new", data=form) for _ in range(20)]
        out["20 parallel household adds"] = await answered_by(adds)
    finally:
        await web.aclose()
    return out


async def fill(url: str) -> tuple[World, list[str]]:
    """Migrate the database (emptied first on PostgreSQL) and fill it: the fixture commune and 48 more
    households in village v1 (`PHOCAP_BENCH_HOUSEHOLDS`: that many in all, for a village of real size).
    Returns the commune and the households' tokens."""
    engine = engine_for_url(url)
    bind(engine)
    await migrate()
    if url.startswith("postgres"):
        names = ", ".join(f'"{t._meta.tablename}"' for t in ALL_TABLES)
        await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    world = await make_world()
    # The sign-in burst measures password checks at phocap's own argon2 cost, not the fixtures' cheap one.
    await User.update({User.password_hash: hash_password_now(PASSWORD)}, force=True)
    tokens = [world.households["an"], world.households["dang"]]
    for i in range(max(int(os.environ.get("PHOCAP_BENCH_HOUSEHOLDS") or 50), 2) - 2):
        tokens.append(await make_household(world.villages["v1"], f"F-{i:04d}", [person(f"Lò Văn {i}", 1980)]))
    return world, tokens


async def prepare(url: str) -> tuple[list[str], int, int, int]:
    """Migrate and fill the database: the fixture commune and 48 more households. Returns the tokens,
    village v1, and a household and a user for the raw rows."""
    world, tokens = await fill(url)
    engine = current_engine()
    household = await Household.select(Household.id).where(Household.token == tokens[0]).first()
    assert household is not None
    await close_pool(engine)  # the file whole before the raw copy; the server has its own connections
    return tokens, world.villages["v1"], household["id"], world.users["volunteer1"]


async def stored() -> tuple[Counter[str], int, int, int]:
    """Visits per client_id, duplicate household codes, and duplicate digests (ward, week, audience)."""
    visits = Counter(str(r["client_id"]) for r in await Visit.select(Visit.client_id))
    codes = [r["code"] for r in await Household.select(Household.code)]
    digests = Counter(
        (r["ward"], r["week"], r["audience"])
        for r in await Digest.select(Digest.ward, Digest.week, Digest.audience)
    )
    await close_pool(current_engine())
    return visits, len(codes) - len(set(codes)), sum(digests.values()), sum(c - 1 for c in digests.values())


async def main(seconds: float, n: int, postgres: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = None
        url = os.environ.get("PHOCAP_FAULTS_DATABASE_URL", "")
        if postgres and not url:
            database = ThrowawayPostgres(folder)
            database.init()
            url = database.url
        url = url or f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        try:
            await run(folder, url, database, seconds, n)
        finally:
            keep_logs(folder)
            if database is not None:
                database.stop()


def keep_logs(folder: str) -> None:
    """Copy the processes' logs to `PHOCAP_FAULTS_LOGS` when it names a folder: after the run, and also
    when it failed half-way, when they are wanted most."""
    keep = os.environ.get("PHOCAP_FAULTS_LOGS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for log in sorted(Path(folder).glob("*.log")):
            shutil.copy(log, Path(keep) / log.name)


async def run(folder: str, url: str, database: ThrowawayPostgres | None, seconds: float, n: int) -> None:
    tokens, village, household, user = await prepare(url)
    raw_url = url
    if url.startswith("postgres"):
        raw = await raw_postgres_rate(url, household, user, n)
    else:
        copy = Path(folder) / "raw.sqlite3"
        raw_url = f"sqlite:///{copy}"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        raw = await asyncio.to_thread(raw_sqlite_rate, copy, household, user, n)
    bare = await skeleton_rate(folder, raw_url, household, user, n)
    skeleton = len(bare.accepted) / bare.elapsed if bare.elapsed else 0.0
    skeleton_cpu_ms = bare.server_cpu * 1000 / max(len(bare.answers), 1)
    server, base = serve(folder, url)
    scheduler_processes = schedulers(folder, url)
    outage = Outage()
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            session = await client.post("/api/session", json={"login": "volunteer1", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {session.json()['token']}"}
        if accept := os.environ.get("PHOCAP_FAULTS_ACCEPT_ENCODING"):
            # As a phone asks ("gzip, deflate, br"): the answers' compression in the server's CPU too
            # (the empty handler compresses nothing).
            headers["Accept-Encoding"] = accept
        cpu_before = cpu_seconds(server.pid)
        work = [volunteers(base, headers, tokens, seconds, n)]
        if database is not None:
            work.append(outage_during(database, 0.4 * seconds, outage))
        load = (await asyncio.gather(*work))[0]
        assert isinstance(load, Load)
        load.server_cpu = cpu_seconds(server.pid) - cpu_before
        bursts = await faults(base, headers, tokens[0], village)
    finally:
        server_exit = stop(server)
        scheduler_exits = [stop(p) for p in scheduler_processes]
    visits, duplicate_codes, digests, duplicate_digests = await stored()
    scheduler_errors = sum(
        (Path(folder) / f"scheduler-{i}.log").read_text(errors="replace").count("Traceback")
        for i in range(len(scheduler_processes))
    )
    server_tracebacks = (Path(folder) / "server.log").read_text(errors="replace").count("Traceback")
    for log in sorted(Path(folder).glob("*.log")):  # noqa: ASYNC240 (after the load: nothing waits)
        for error, count in errors_in(log).items():
            print(f"{log.name}: {count} x {error}")
    report(url, seconds, n, raw, skeleton, skeleton_cpu_ms, load, outage, bursts, visits, duplicate_codes, digests, duplicate_digests,
           scheduler_errors, scheduler_exits, server_exit, server_tracebacks)  # fmt: skip


def report(url: str, seconds: float, n: int, raw: float, skeleton: float, skeleton_cpu_ms: float, load: Load, outage: Outage,
           bursts: dict[str, dict[int, int]], visits: Counter[str], duplicate_codes: int,
           digests: int, duplicate_digests: int, scheduler_errors: int, scheduler_exits: list[int | None],
           server_exit: int | None, server_tracebacks: int) -> None:  # fmt: skip
    """The table for people, then one JSON line."""
    lost = len([c for c in load.accepted if c not in visits])
    duplicates = sum(1 for count in visits.values() if count > 1) + duplicate_codes + duplicate_digests
    statuses = Counter(status for _, status in load.answers)
    during_outage = sum(1 for at, status in load.answers if status == 503 and outage.covers(at))
    unexpected = sum(1 for at, status in load.answers if (status >= 500 or status == 0)) - during_outage
    # The sign-in burst's 503s are the cap on concurrent password checks answering as designed.
    unexpected += sum(
        v
        for name, answers in bursts.items()
        for k, v in answers.items()
        if k == 0 or (k >= 500 and "sign-ins" not in name)
    )
    ordered = sorted(load.latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else 0.0
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else 0.0
    rate = len(load.accepted) / load.elapsed if load.elapsed else 0.0
    name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    driver = "asyncpg" if url.startswith("postgres") else "sqlite3"
    had_outage = outage.began != float("inf")
    print(f"database: {name}, {n} volunteers for {seconds:.0f} s, 2 schedulers beside the server")
    print(f"{'what':<36} answers")
    print(f"{'visits under load':<36} {dict(sorted(statuses.items()))}")
    for what, answers in bursts.items():
        print(f"{what:<36} {answers}")
    print(f"requests {len(load.answers)}, unexpected 5xx/broken {unexpected}, "
          f"503 during the outage {during_outage if had_outage else 'n/a (no outage)'}")  # fmt: skip
    print(f"visits accepted {len(load.accepted)}, lost {lost}, duplicates {duplicates} "
          f"(digests {duplicate_digests} of {digests} made by the two schedulers, codes {duplicate_codes})")  # fmt: skip
    print(f"schedulers: tracebacks {scheduler_errors}, exit codes {scheduler_exits}; "
          f"server tracebacks {server_tracebacks}, exit code {server_exit}")  # fmt: skip
    cpu_ms = load.server_cpu * 1000 / max(len(load.answers), 1)
    print(f"p50 {p50:.0f} ms, p99 {p99:.0f} ms; server CPU {cpu_ms:.2f} ms a request")
    print(f"visits/s {rate:.1f}; raw {driver} visits/s at {n} at once {raw:.0f}; ratio {rate / raw:.3f}")
    print(f"the same raw rows through HTTP with no application (the ratio's ceiling): {skeleton:.0f}/s, "
          f"ratio {skeleton / raw:.3f}, server CPU {skeleton_cpu_ms:.2f} ms a request; phocap reaches "
          f"{rate / skeleton:.3f} of it")  # fmt: skip
    summary = {"database": name, "volunteers": n, "seconds": seconds, "requests": len(load.answers),
               "accepted": len(load.accepted), "lost": lost, "duplicates": duplicates,
               "errors_5xx": unexpected, "outage_503": during_outage if had_outage else None,
               "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "server_cpu_ms": round(cpu_ms, 2), "visits_per_s": round(rate, 1),
               "raw_visits_per_s": round(raw), "ratio": round(rate / raw, 3),
               "skeleton_visits_per_s": round(skeleton), "skeleton_ratio": round(skeleton / raw, 3),
               "skeleton_server_cpu_ms": round(skeleton_cpu_ms, 2),
               "digests": digests, "scheduler_tracebacks": scheduler_errors, "server_tracebacks": server_tracebacks,
               "statuses": {k: v for k, v in bursts.items()}}  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    arguments = [float(a) for a in sys.argv[1:] if not a.startswith("--")][:2]
    asyncio.run(
        main(
            arguments[0] if arguments else 20.0,
            int(arguments[1]) if len(arguments) > 1 else 50,
            postgres="--postgres" in flags,
        )
    )
