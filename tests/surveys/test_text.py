"""Vietnamese text: NFC, accent-folding, and Vietnamese name order."""

from __future__ import annotations

import unicodedata

import pytest

from surveys.core.text import clean, fold, name_sort_key


def test_clean_makes_decomposed_phone_input_nfc_and_trims() -> None:
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Văn  An ")
    assert clean(decomposed) == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", clean(decomposed))


def test_clean_drops_control_characters_an_uploaded_file_may_hold() -> None:
    assert clean("Nguyễn\x00 Văn\x1b An\x7f") == "Nguyễn Văn An"
    assert clean("Xóm\tTrên\r\nThôn") == "Xóm Trên Thôn"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Đặng Thị Ánh", "dang thi anh"),
        ("ĐỖ ĐỨC", "do duc"),
        ("Ước", "uoc"),
    ],
)
def test_fold_ignores_accents_and_case(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold(unicodedata.normalize("NFD", text)) == folded


def sort_names(names: list[str]) -> list[str]:
    return sorted(names, key=name_sort_key)


def test_names_sort_by_given_name_first() -> None:
    assert sort_names(["Nguyễn Văn Bình", "Trần Thị An", "Lê Cường"]) == [
        "Trần Thị An",
        "Nguyễn Văn Bình",
        "Lê Cường",
    ]


def test_vietnamese_letters_follow_their_base_letter() -> None:
    # a < ă < â < b; d < đ < e; o < ô < ơ; u < ư
    names = [
        "Lê Bảo",
        "Lê Âu",
        "Lê Ăn",
        "Lê An",
        "Lê Đào",
        "Lê Dũng",
        "Lê Em",
        "Lê Ơn",
        "Lê Ông",
        "Lê Oanh",
        "Lê Ưng",
        "Lê Uyên",
    ]
    assert sort_names(names) == [
        "Lê An", "Lê Ăn", "Lê Âu", "Lê Bảo", "Lê Dũng", "Lê Đào", "Lê Em",
        "Lê Oanh", "Lê Ông", "Lê Ơn", "Lê Uyên", "Lê Ưng",
    ]  # fmt: skip


def test_tones_order_after_letters() -> None:
    # Same letters: level, grave, hook, tilde, acute, dot.
    assert sort_names(["Lê Mạ", "Lê Má", "Lê Mã", "Lê Mả", "Lê Mà", "Lê Ma"]) == [
        "Lê Ma", "Lê Mà", "Lê Mả", "Lê Mã", "Lê Má", "Lê Mạ",
    ]  # fmt: skip
    # ... but letters decide before tones do.
    assert sort_names(["Lê Án", "Lê Am"]) == ["Lê Am", "Lê Án"]


def test_shorter_given_name_first_then_family_name() -> None:
    assert sort_names(["Vũ Anh", "Lê An", "Bùi An"]) == ["Bùi An", "Lê An", "Vũ Anh"]


def test_sort_key_is_the_same_for_nfc_and_nfd() -> None:
    name = "Nguyễn Thị Ánh"
    assert name_sort_key(name) == name_sort_key(unicodedata.normalize("NFD", name))


def test_clean_drops_invisible_and_bidi_control_characters_from_names() -> None:
    # Zero-width space, zero-width joiner, right-to-left override, an isolate, a byte-order mark: a
    # name that looks like "Nguyễn Văn An" is stored as exactly that, and finds and sorts as that.
    assert clean("Nguy\u200bễn\u200d V\u202eăn\u202c \u2066An\u2069\ufeff") == "Nguyễn Văn An"
    assert clean("Lò\u00ad Văn\u200e\u200f Tư") == "Lò Văn Tư"
    # Nothing visible left: an empty name, refused as missing.
    assert clean("\u200b\u202e\u2060") == ""
