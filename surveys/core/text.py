"""Vietnamese text: normalisation, accent-folded search keys and Vietnamese sort order."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# Control characters, and invisible format characters a copied name may carry: zero-width space and
# joiners, soft hyphen, byte-order mark, and bidi controls (marks, embeddings, overrides, isolates),
# which make two names that look alike differ, or make a name display reversed (a "Trojan source" trick).
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

# Vietnamese alphabet order: ă, â come after a; đ after d; ê after e; ô, ơ after o; ư after u.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {ch: i + 10 for i, ch in enumerate(_ALPHABET)}
# Dictionary order of the tones: level, grave (huyền), hook (hỏi), tilde (ngã), acute (sắc), dot (nặng).
_TONE_MARKS = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a letter of its own rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def clean(value: str) -> str:
    """NFC-normalised, control characters dropped (a NUL cannot even be stored in PostgreSQL), trimmed,
    inner white space collapsed: how every text input is stored."""
    return _SPACES.sub(" ", _CONTROLS.sub("", unicodedata.normalize("NFC", value))).strip()


def clean_text(value: str) -> str:
    """Free text (a note, an address) as every text input is taken: NFC, control and invisible format
    characters dropped as `clean` drops them, trimmed; its line breaks and tabs kept."""
    return _CONTROLS.sub("", unicodedata.normalize("NFC", value)).strip()


# Characters XML 1.0 cannot hold (XLSX and DOCX are XML): C0 controls but tab and line breaks, lone
# surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """Text an XML file can hold: what `clean_text` would not have let in, taken out when a file is
    written, for text stored before every input was cleaned (openpyxl and python-docx refuse it)."""
    return _NOT_XML.sub("", value)


def fold(value: str) -> str:
    """Lower case without accents, đ folded to d: `Nguyễn Văn Đức` → `nguyen van duc`."""
    return " ".join(_fold_word(word) for word in value.split())


# The household search key's column holds this many characters (tables.py: Household.search_key).
SEARCH_KEY_LENGTH = 400


def search_key(*texts: str) -> str:
    """The words a household is found by (its code, address, every member's name), folded, each once.

    Search matches each word typed anywhere in the key, so a word kept once finds what it found
    twice; dropping repeats (family names, "Văn", "Thị") keeps the names of a household of thirty
    within the column, where cutting the joined names lost its last members."""
    words = dict.fromkeys(fold(" ".join(texts)).split())
    return " ".join(words)[:SEARCH_KEY_LENGTH]


@lru_cache(maxsize=65536)  # words repeat (names, hamlets): an import of thousands folds each once
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def _split_letter(ch: str) -> tuple[str, int]:
    """A character as (base letter with its letter marks, tone rank)."""
    parts = unicodedata.normalize("NFD", ch)
    base = parts[0] + "".join(m for m in parts[1:] if m in _LETTER_MARKS)
    tone = next((_TONE_MARKS[m] for m in parts[1:] if m in _TONE_MARKS), 0)
    return unicodedata.normalize("NFC", base), tone


@lru_cache(maxsize=65536)  # names repeat their words (Nguyễn, Văn, Thị…): a register sorts fast
def _word_key(word: str) -> tuple[str, str]:
    primary, tones = [], []
    for ch in unicodedata.normalize("NFC", word):
        base, tone = _split_letter(ch)
        rank = _LETTER_RANK.get(base, 99 if base.isalpha() else 0)
        if rank:
            primary.append(f"{rank:02d}")
            tones.append(str(tone))
    return "".join(primary), "".join(tones)


def name_sort_key(full_name: str) -> str:
    """A key whose plain string order is Vietnamese name order: given name first (the last word),
    then the family and middle names; letters before tones. Digits only, so any SQL collation
    sorts it the same way."""
    words = full_name.lower().split()
    ordered = words[-1:] + words[:-1]
    keys = [_word_key(w) for w in ordered]
    # "00" separates words, and sorts before any letter, so "An" comes before "Anh".
    primary = "00".join(k[0] for k in keys)
    tones = "".join(k[1] for k in keys)
    return f"{primary}000{tones}"


def place_sort_key(name: str) -> str:
    """A key whose plain string order is Vietnamese order of a place name, word by word as written
    (`Xã Đồng Hỷ` before `Xã Phong Quang`: đ comes after d, not after z)."""
    keys = [_word_key(w) for w in name.lower().split()]
    return "00".join(k[0] for k in keys) + "000" + "".join(k[1] for k in keys)
