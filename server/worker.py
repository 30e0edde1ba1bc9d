"""The service worker and the web app manifest (docs/architecture.md §7); the worker is made once per
process, at its first request.

There is no JS build step: `web/sw.js` is served at `/sw.js` with its configuration filled in: the
precache list (each static file by its content-hashed URL, and the offline pages by a hash of the
templates and translations that draw them). A release that changes any of them changes the worker's
bytes, so the browser installs the new worker and it deletes the old caches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from server.static import STATIC_DIR, assets, static_url
from surveys.core.i18n import LOCALE_DIR
from surveys.core.settings import Settings

WEB_DIR = STATIC_DIR.parent
WORKER_SOURCE = WEB_DIR / "sw.js"
# Workbox 7.4.1 from npm (web/static/vendor/workbox/README.md), in the order they depend on each other.
WORKBOX = ["workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching"]
# Pages drawn by the server once and kept in the app shell: they show no personal data.
SHELL_PAGES = [
    "/offline/saved",
    "/offline/missing?kind=household",
    "/offline/missing?kind=page",
    "/offline/missing?kind=signedout",
    "/queue",
    "/signout",
]
# Not worth a place on the phone: the styles of the sticker sheet, the province table, the report and
# its submission (no volunteer's pages), and the worker's own modules (the browser keeps a worker's
# imported scripts).
NOT_PRECACHED = ("stickers.css", "province.css", "report.css", "submissions.css", "vendor/workbox/")


def static_files() -> list[str]:
    """Every file under web/static the pages may load, as names relative to it."""
    names = sorted(assets())
    return [n for n in names if not n.startswith(NOT_PRECACHED) and not n.endswith(("LICENSE", ".md"))]


def shell_revision() -> str:
    """A hash of everything that draws the shell pages: templates and translations."""
    digest = hashlib.sha256()
    for path in sorted((WEB_DIR / "templates").rglob("*.html")) + sorted(LOCALE_DIR.rglob("*.po")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def worker_config(settings: Settings) -> dict[str, Any]:
    """What `web/sw.js` needs to know: its precache list, the Workbox modules, `OFFLINE_DAYS`."""
    revision = shell_revision()
    precache: list[dict[str, str | None]] = [{"url": static_url(n), "revision": None} for n in static_files()]
    precache += [{"url": url, "revision": revision} for url in SHELL_PAGES]
    return {
        "precache": precache,
        "workbox": [static_url(f"vendor/workbox/{m}.prod.js") for m in WORKBOX],
        "offlineDays": settings.offline_days,
    }


def service_worker(settings: Settings) -> str:
    """The service worker's source with its configuration in place of the placeholder."""
    config = json.dumps(worker_config(settings), separators=(",", ":"), sort_keys=True)
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    return source.replace("self.__PHOCAP_CONFIG__", config, 1)


def manifest(name: str, short_name: str, description: str) -> dict[str, Any]:
    """The web app manifest: installable from the browser, opening on the start page full screen."""
    return {
        "name": name,
        "short_name": short_name,
        "description": description,
        "lang": "vi",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f4f1",
        "theme_color": "#0b5d3b",
        "icons": [
            {"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
