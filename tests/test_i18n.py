"""Every user-facing string goes through gettext and has its Vietnamese translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
# The same sources `pybabel extract -F babel.cfg` reads (README, "Translations").
with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
    METHODS, OPTIONS = parse_mapping_cfg(cfg)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted_ids() -> set[str]:
    ids = set()
    for found in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        options_map=OPTIONS,
    ):
        message = found[2]
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalog_ids(path: Path) -> dict[str, object]:
    with path.open("rb") as f:
        catalog = read_po(f)
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}


def test_the_template_catalog_matches_the_sources() -> None:
    """Run `pybabel extract` (README, "Translations") when this fails."""
    assert extracted_ids() == set(catalog_ids(ROOT / "surveys/core/locale/messages.pot"))


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    """Run `pybabel update` and translate the new entries when this fails."""
    vi = catalog_ids(ROOT / "surveys/core/locale/vi/LC_MESSAGES/messages.po")
    assert set(vi) == extracted_ids()
    for msgid, message in vi.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
        assert all(strings), f"untranslated: {msgid}"
        assert not message.fuzzy, f"fuzzy: {msgid}"  # type: ignore[attr-defined]
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), msgid


def test_templates_have_no_bare_text_outside_gettext() -> None:
    """Text between tags must be a `{{ _() }}` call, a variable, or a proper name."""
    allowed = {"phocap", "VNeID", "VNeID:", "English", "Tiếng", "Việt", "CSV", "Excel", "CSV,"}
    for template in (ROOT / "web/templates").rglob("*.html"):
        source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", "", template.read_text(encoding="utf-8"), flags=re.S)
        source = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", source, flags=re.S)
        for text in re.findall(r">([^<>]+)<", source):
            words = [w for w in text.split() if any(ch.isalpha() for ch in w)]  # symbols need no translation
            assert all(word in allowed for word in words), f"{template.name}: untranslated {text.strip()!r}"
