"""Words and numbers as a villager reads them, in Vietnamese and in English."""

from __future__ import annotations

from surveys.core.i18n import use_locale
from surveys.core.wording import days_ago, percent, points, week_name, week_short


def test_a_week_reads_as_its_number_and_dates() -> None:
    with use_locale("vi"):
        assert week_name("2026-W48") == "Tuần 48 (23/11–29/11/2026)"
        assert week_short("2026-W48") == "Tuần 48"
        # A week across the new year ends in the next one.
        assert week_name("2026-W53") == "Tuần 53 (28/12–03/01/2027)"
    with use_locale("en"):
        assert week_name("2026-W48") == "Week 48 (23/11–29/11/2026)"
    assert week_name("not a week") == "not a week"


def test_percentages_take_the_languages_decimal_mark() -> None:
    with use_locale("vi"):
        assert percent(16.6667) == "16,7\u00a0%"
        assert percent(1234.5) == "1.234,5\u00a0%"
        assert percent(80, 0) == "80\u00a0%"
        assert points(3.26) == "+3,3"
        assert points(-0.5) == "-0,5"
    with use_locale("en"):
        assert percent(16.6667) == "16.7%"


def test_recent_days_are_today_and_yesterday() -> None:
    with use_locale("vi"):
        assert [days_ago(n) for n in (0, 1, 3)] == ["hôm nay", "hôm qua", "3 ngày trước"]
    with use_locale("en"):
        assert [days_ago(n) for n in (0, 1, 3)] == ["today", "yesterday", "3 days ago"]


def test_numbers_read_as_babel_formats_them_with_the_locale_and_pattern_parsed_once() -> None:
    """`percent` and `points` keep Babel's rounding (half to even on the decimal value: 0.35 is 0.4,
    not float's 0.3) and separators in each language, asked one after the other."""
    from babel.numbers import format_decimal

    for value in (0.35, 12.25, 1234.55, -0.05, 0.0, 99.95, 16.6667, 100.0):
        for locale in ("vi", "en", "vi"):
            with use_locale(locale):
                mark = "\u00a0%" if locale == "vi" else "%"
                assert percent(value) == format_decimal(value, format="#,##0.0", locale=locale) + mark
                assert percent(value, 0) == format_decimal(value, format="#,##0", locale=locale) + mark
                assert points(value) == format_decimal(value, format="+#,##0.0;-#,##0.0", locale=locale)
    with use_locale("vi"):
        assert (percent(0.35), percent(1234.55), points(-0.05)) == ("0,4\u00a0%", "1.234,6\u00a0%", "-0,0")
