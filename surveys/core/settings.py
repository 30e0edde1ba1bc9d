"""Settings, read from the environment (and an optional `.env`) in this one place.

Each field names its environment variable and has a default that works on a laptop. The README's
settings table lists every variable; `tests/test_docs.py` keeps the two in step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from dotenv import dotenv_values


def setting(env: str, default: Any, doc: str) -> Any:
    """A settings field bound to the environment variable `env`."""
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Settings:
    """Everything phocap reads from its environment."""

    data_dir: str = setting("PHOCAP_DATA_DIR", "./data", "Folder for the SQLite database and the secret key.")
    database_url: str = setting(
        "DATABASE_URL",
        "",
        "`sqlite:///path` or `postgresql://user:pass@host/db`; default SQLite under data dir.",
    )
    database_replica_url: str = setting(
        "DATABASE_REPLICA_URL",
        "",
        "PostgreSQL read replicas (comma-separated `postgresql://…`) for dashboards, reports, exports and "
        "digests; SQLite ignores it.",
    )
    secret_key: str = setting("SECRET_KEY", "", "Signs CSRF tokens; generated into the data dir when unset.")
    database_pool_size: int = setting(
        "DATABASE_POOL_SIZE", 10, "PostgreSQL connections kept open per process; 0 connects per query."
    )
    base_url: str = setting("BASE_URL", "http://127.0.0.1:8000", "Public address, printed in QR stickers.")
    allowed_hosts: str = setting(
        "ALLOWED_HOSTS", "127.0.0.1,localhost", "Comma-separated host names the server answers to."
    )
    cookie_secure: bool = setting(
        "COOKIE_SECURE", True, "Send cookies over HTTPS only; the local demo over http turns it off."
    )
    session_idle_hours: int = setting(
        "SESSION_IDLE_HOURS",
        7 * 24,
        "A session unused for this long ends (a phone stays signed in for days).",
    )
    session_max_hours: int = setting("SESSION_MAX_HOURS", 30 * 24, "A session ends this long after sign-in.")
    trusted_proxies: str = setting(
        "TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or networks of the TLS proxies whose `X-Forwarded-For` is believed.",
    )
    signin_max_failures: int = setting(
        "SIGNIN_MAX_FAILURES", 5, "Failed sign-ins to one account before it is refused for a while."
    )
    signin_max_failures_per_address: int = setting(
        "SIGNIN_MAX_FAILURES_PER_ADDRESS",
        50,
        "Failed sign-ins from one client address (any account) before it is refused for a while.",
    )
    signin_lock_minutes: int = setting(
        "SIGNIN_LOCK_MINUTES", 15, "The window failed sign-ins are counted over, and how long a lock lasts."
    )
    retention_days: int = setting(
        "RETENTION_DAYS",
        365,
        "Archived households have their personal data erased this many days after archiving; 0 never.",
    )
    household_max_members: int = setting(
        "HOUSEHOLD_MAX_MEMBERS",
        30,
        "Members one household may have; a visit or correction that would leave more is refused.",
    )
    offline_days: int = setting(
        "OFFLINE_DAYS", 7, "Days a phone keeps a downloaded village's pages before they expire."
    )
    offline_part_pages: int = setting(
        "OFFLINE_PART_PAGES",
        200,
        "Pages in one answer of a village's download (one compressed stream; a failed part is retried alone).",
    )
    offline_retry_seconds: int = setting(
        "OFFLINE_RETRY_SECONDS",
        15,
        "A phone's first wait before it sends what waits on it again by itself (doubling to 5 minutes).",
    )
    timezone: str = setting("TZ", "Asia/Ho_Chi_Minh", "Time zone for dates shown and for schedules.")
    default_locale: str = setting(
        "PHOCAP_LOCALE", "vi", "Interface language before a user chooses (vi or en)."
    )
    smtp_url: str = setting(
        "SMTP_URL",
        "",
        "Mail server: `smtp://`, `smtp+starttls://` or `smtps://user:pass@host:port`; empty sends no mail.",
    )
    mail_from: str = setting("MAIL_FROM", "phocap <phocap@localhost>", "Sender of the digests.")
    digest_retry_hours: int = setting(
        "DIGEST_RETRY_HOURS",
        48,
        "How long a digest that cannot be delivered is retried before it is marked failed.",
    )
    embedded_scheduler: bool = setting(
        "PHOCAP_EMBEDDED_SCHEDULER", False, "Run the scheduler inside the web process (one-machine set-up)."
    )
    counts_read: bool = setting(
        "COUNTS_READ",
        True,
        "Dashboards and reports read the per-village daily counts; false counts the households live.",
    )
    log_level: str = setting("LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'phocap.sqlite3'}"

    @property
    def replica_urls(self) -> list[str]:
        """`database_replica_url` as a list."""
        return [u.strip() for u in self.database_replica_url.split(",") if u.strip()]

    @property
    def host_list(self) -> list[str]:
        """`allowed_hosts` as a list."""
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        """`trusted_proxies` as networks (a bare address is a network of one)."""
        return [ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip()]

    def with_secret(self) -> Settings:
        """These settings with a secret key, generated once and kept in the data dir when unset."""
        if self.secret_key:
            return self
        return dataclasses.replace(self, secret_key=_kept_secret(Path(self.data_dir)))


class SettingsError(ValueError):
    """A setting phocap cannot use; the message names its environment variable. Start-up stops."""


def private_folder(folder: Path) -> None:
    """Make `folder` (and its missing parents) when it is missing: the folder itself only its owner
    enters (0700), whatever the umask. A folder that exists is left as its owner set it."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return  # another process made it first, the same way
    folder.chmod(0o700)


def _kept_secret(folder: Path) -> str:
    """The secret key kept in `folder`, made on first use. Several workers may start at once: each
    writes a key into a file of its own (created 0600 with O_EXCL, so never readable by others, not
    even for a moment) and links it as `secret_key`, which fails for all but the first. Everyone then
    reads the key that won, which is whole from the moment it has its name."""
    path = folder / "secret_key"
    if not path.exists():
        private_folder(folder)
        own = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(own, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another worker's key won
                os.link(own, path)
        finally:
            own.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise SettingsError(f"The secret key file {path} is empty: remove it, or set SECRET_KEY.")
    return key


def settings_fields() -> list[tuple[str, str, Any]]:
    """(environment variable, description, default) of every setting, for docs and checks."""
    return [(f.metadata["env"], f.metadata["doc"], f.default) for f in dataclasses.fields(Settings)]


_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off"}


def _parse(env: str, raw: str, default: Any) -> Any:
    """`raw` as the type of `default`. A yes/no that is neither fails closed: `COOKIE_SECURE=ture` read
    as false would turn off Secure cookies and HSTS without a word."""
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word not in _YES | _NO:
            raise SettingsError(f"{env} must be true or false (or 1/0, yes/no, on/off), not {raw!r}.")
        return word in _YES
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{env} must be a whole number, not {raw!r}.") from None
    return raw


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from `.env`, then the environment (which wins), then explicit overrides. A value that
    cannot be read raises `SettingsError` naming its variable."""
    source: dict[str, str] = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    source.update(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        env = f.metadata["env"]
        if env in source and source[env] != "":
            values[f.name] = _parse(env, source[env], f.default)
    values.update(overrides)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
