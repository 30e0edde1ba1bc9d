"""Check input against a schema and report every bad field at once (msgspec stops at the first).

Errors carry a path (`members.0.birth_year`) and a code (`required`, `too_long`, `out_of_range`,
`invalid_choice`, `invalid`, or a rule's own code); the web and API layers turn codes into messages.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

import msgspec
from msgspec import Struct

from surveys.core.text import clean_text

S = TypeVar("S", bound=Struct)


class FieldError(Struct, frozen=True):
    """One bad field: where, and what is wrong with it."""

    field: str
    code: str


class InvalidInput(Exception):
    """Input that breaks the schema or a rule; `errors` lists every bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors


def error_code(message: str) -> str:
    """The code of a msgspec (or Litestar parameter) error message."""
    if "length >= 1" in message or "missing required" in message:
        return "required"
    if "length <=" in message:
        return "too_long"
    if "Invalid enum value" in message:
        return "invalid_choice"
    if "timezone" in message:
        return "needs_zone"
    if ">=" in message or "<=" in message:
        return "out_of_range"
    return "invalid"


def _struct_type(tp: Any) -> type[Struct] | None:
    return tp if isinstance(tp, type) and issubclass(tp, Struct) else None


@dataclass(frozen=True)
class _Field:
    """A field of a schema as `_check` walks it: a nested schema, a list of them, or a value."""

    name: str
    required: bool
    type: Any
    nested: type[Struct] | None
    item: type[Struct] | None


@cache
def _fields(cls: type[Struct]) -> tuple[_Field, ...]:
    """The fields of `cls`, read once: `msgspec.structs.fields` evaluates the annotations each call,
    which made checking a body with 15,000 members take seconds."""
    found = []
    for f in msgspec.structs.fields(cls):
        item = typing.get_args(f.type)[0] if typing.get_origin(f.type) is list else None
        found.append(_Field(f.encode_name, f.required, f.type, _struct_type(f.type), _struct_type(item)))
    return tuple(found)


def _check(
    raw: Any, cls: type[Struct], path: str, fields: Callable[[type[Struct]], tuple[_Field, ...]] = _fields
) -> list[FieldError]:
    """Every bad field of `raw` as `cls`, walking the fields `fields` names for each schema (all of
    them, or `_looked_at`'s)."""
    if not isinstance(raw, Mapping):
        return [FieldError(path or "$", "invalid")]
    errors: list[FieldError] = []
    for f in fields(cls):
        where = f"{path}.{f.name}" if path else f.name
        if f.name not in raw:
            if f.required:
                errors.append(FieldError(where, "required"))
            continue
        value = raw[f.name]
        nested, item = f.nested, f.item
        if nested:
            errors += _check(value, nested, where, fields)
        elif item is not None and isinstance(value, list):
            for i, entry in enumerate(value):
                errors += _check(entry, item, f"{where}.{i}", fields)
        else:
            try:
                converted = msgspec.convert(value, f.type, strict=False)
            except msgspec.ValidationError as exc:
                errors.append(FieldError(where, error_code(str(exc))))
                continue
            if isinstance(converted, uuid.UUID) and not is_random_id(converted):
                errors.append(FieldError(where, "invalid"))
            elif isinstance(converted, date) and not isinstance(value, str):
                # A date or a moment is written as text (ISO 8601): msgspec would read a number as a
                # Unix time, which no form and no documented field sends.
                errors.append(FieldError(where, "invalid"))
            elif isinstance(converted, date) and (problem := date_problem(converted)):
                errors.append(FieldError(where, problem))
    return errors


@cache
def _looked_at(cls: type[Struct]) -> tuple[_Field, ...]:
    """The fields of `cls` whose check goes beyond the conversion (an id that must be a random one, a
    date or moment sent as text, with its zone, within range), and the nested schemas holding such
    fields: what `parse` walks again in input that converted whole."""
    return tuple(
        f
        for f in _fields(cls)
        if (f.nested and _looked_at(f.nested))
        or (f.item is not None and _looked_at(f.item))
        or (not f.nested and f.item is None and _may_hold(f.type, (uuid.UUID, date)))
    )


def _may_hold(tp: Any, kinds: tuple[type, ...]) -> bool:
    """Whether a field of type `tp` (unions, lists and `Annotated` looked into) may hold one of `kinds`."""
    if isinstance(tp, type) and issubclass(tp, kinds):
        return True
    return any(_may_hold(arg, kinds) for arg in typing.get_args(tp))


# Every date a user can send lies within these (a class, a report's period, a due date, an official
# figure's period): phocap's data begins with the movement (2025) and a date far outside is a typing
# mistake, or a probe of the year 1 and 9999 that datetime arithmetic overflows on.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def date_problem(value: date) -> str | None:
    """The error code of a date or moment a user sent, None when it is fine: `needs_zone` for a moment
    without its UTC offset (phocap never guesses whether it meant UTC or Vietnam), `date_out_of_range`
    outside EARLIEST_DAY … LATEST_DAY (a moment's day as written, before any offset is applied)."""
    if isinstance(value, datetime) and value.utcoffset() is None:
        return "needs_zone"
    day = value.date() if isinstance(value, datetime) else value
    return None if EARLIEST_DAY <= day <= LATEST_DAY else "date_out_of_range"


def is_random_id(value: uuid.UUID) -> bool:
    """Whether a client's submission id (`client_id`) is a random UUID (version 4, as a phone's
    `crypto.randomUUID()` and Python's `uuid4()` make): the nil UUID, or an id typed or counted by
    hand, would be shared by everyone who sends it, and their submissions taken for one another's."""
    return value.version == 4 and value.variant == uuid.RFC_4122


class ReusedClientId(Exception):
    """A `client_id` recorded before with the same target but a different body: not a retry (a retry
    sends the same body), so nothing is recorded and the client is told (409)."""


def cleaned_input(raw: Any, key: str = "") -> Any:
    """`raw` with each text cleaned (`clean_text`), in nested objects and lists too, but passwords."""
    if isinstance(raw, str):
        return raw if "password" in key else clean_text(raw)
    if isinstance(raw, Mapping):
        return {k: cleaned_input(v, str(k)) for k, v in raw.items()}
    if isinstance(raw, list):
        return [cleaned_input(v, key) for v in raw]
    return raw


def parse(raw: Any, cls: type[S], extra_errors: list[FieldError] | None = None) -> S:
    """`raw` (decoded JSON or a form turned into a dict) as `cls`; raises InvalidInput naming every
    bad field, together with `extra_errors` (a rule's, checked on the same input). Every text in it is
    cleaned first (`clean_text`: NFC, no control characters), the one boundary all input passes; a
    password is taken as typed."""
    raw = cleaned_input(raw)
    if not extra_errors:
        # Most input is valid: converted whole, and only its ids and dates walked again (`_looked_at`),
        # instead of each field converted on its own (a visit's body, on every visit). Anything amiss
        # takes the whole walk below, which names every bad field.
        try:
            parsed = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError:
            pass
        else:
            if not _check(raw, cls, "", _looked_at):
                return parsed
    errors = _check(raw, cls, "") + (extra_errors or [])
    if errors:
        raise InvalidInput(errors)
    try:
        return msgspec.convert(raw, cls, strict=False)
    except msgspec.ValidationError as exc:  # a shape _check does not look into
        raise InvalidInput([FieldError("$", error_code(str(exc)))]) from exc


class StaleVersion(Exception):
    """A record changed since the editor read it (a stale `version`): a conflict, not an overwrite;
    `current` is how it stands now, read in the transaction that found the conflict."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(f"{type(self).__name__}: changed since it was read")
        self.current = current


@dataclass(frozen=True)
class Saved:
    """A created record's id, and whether this call created it (False for a replayed `client_id`)."""

    id: int
    created: bool
