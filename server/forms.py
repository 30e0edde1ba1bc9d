"""The visit form: what the volunteer typed, turned into the API's payload and back into a page.

A form that fails comes back with every value as typed and a message at each bad field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surveys import schemas
from surveys.core import messages
from surveys.core.messages import error_message
from surveys.core.validation import FieldError

_MEMBER_KEY = re.compile(r"^m-(\d{1,3})-([a-z_]+)$")
_HOUSEHOLD_FLAGS = ("informed", "consent", "priority_elderly_alone", "priority_poor", "priority_other")
_MEMBER_FLAGS = (
    "is_head",
    "removed",
    "skill_learned",
    "skill_understands",
    "skill_uses_services",
    "skill_guides_others",
    "skills_confirmed",
)
_MEMBER_TEXT = (
    "id",
    "full_name",
    "birth_year",
    "sex",
    "vneid",
    "bank_account",
    "smartphone",
    "uses_ai",
    "answer_source",
)
# Rows beyond this are ignored: no household has that many members, and it bounds the work per request.
MAX_MEMBER_ROWS = 60


_PAYLOAD_KEYS = frozenset((*_MEMBER_TEXT, *_MEMBER_FLAGS, "helped", "help_note"))
# Radio groups: an error links to the group's first choice (`outcome-done`), the field a tap lands on.
_FIRST_CHOICE = {
    "outcome": next(iter(messages.OUTCOMES)),
    "vneid": next(iter(messages.VNEID)),
    "bank_account": next(iter(messages.YES_NO_UNKNOWN)),
    "smartphone": next(iter(messages.YES_NO_UNKNOWN)),
    "answer_source": next(iter(messages.SOURCE)),
}


def _answers_of(m: schemas.Member) -> dict[str, Any]:
    """A member's recorded answers as the form holds them: what the last visit left."""
    return {
        "vneid": m.vneid,
        "bank_account": m.bank_account,
        "smartphone": m.smartphone,
        "uses_ai": m.uses_ai,
        "skill_learned": m.skills["learned"],
        "skill_understands": m.skills["understands"],
        "skill_uses_services": m.skills["uses_services"],
        "skill_guides_others": m.skills["guides_others"],
        "skills_confirmed": m.skills_confirmed,
        "answer_source": m.answer_source,
    }


@dataclass
class VisitForm:
    """The visit form's values (as typed) and its errors (by field path). Each member row keeps the
    member as recorded (`was`, None for a new one), which its card shows and a kept answer comes from."""

    client_id: str
    household_version: str
    outcome: str = ""
    # When the phone saved it (a visit sent later), as posted; kept on the page unless it was refused.
    saved_at: str = ""
    household: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_household(cls, h: schemas.Household) -> VisitForm:
        """A fresh form for a household, filled in with the answers its last visit left."""
        household = {
            "informed": h.informed,
            "consent": h.consent,
            "priority_elderly_alone": h.priority_elderly_alone,
            "priority_poor": h.priority_poor,
            "priority_other": h.priority_other,
            "notes": h.notes,
        }
        members = [
            {
                "id": str(m.id),
                "full_name": m.full_name,
                "birth_year": str(m.birth_year),
                "sex": m.sex,
                "is_head": m.is_head,
                "removed": False,
                "unchanged": False,
                **_answers_of(m),
                "helped": [],
                "help_note": "",
                "needs_identity": m.needs_identity,
                "was": m,
            }
            for m in h.members
        ]
        return cls(
            client_id=str(uuid.uuid4()),
            household_version=str(h.version),
            household=household,
            members=members,
        )

    @classmethod
    def from_post(cls, data: Mapping[str, Any], current: schemas.Household | None = None) -> VisitForm:
        """The form as posted (checkboxes are present when ticked). A recorded member whose answers were
        not asked (a child's card) or who was marked "unchanged" keeps the answers of `current`."""
        household: dict[str, Any] = {flag: flag in data for flag in _HOUSEHOLD_FLAGS}
        household["notes"] = str(data.get("notes", ""))
        rows: dict[int, dict[str, Any]] = {}
        for key, value in data.items():
            match = _MEMBER_KEY.match(key)
            if match and int(match.group(1)) < MAX_MEMBER_ROWS:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        recorded = {str(m.id): m for m in current.members} if current else {}
        members = []
        for index in sorted(rows):
            row = rows[index]
            member: dict[str, Any] = {name: str(row.get(name, "")) for name in _MEMBER_TEXT}
            member.update({flag: flag in row for flag in _MEMBER_FLAGS})
            member["unchanged"] = "unchanged" in row
            helped = row.get("helped", [])
            member["helped"] = [str(k) for k in (helped if isinstance(helped, list) else [helped])]
            member["help_note"] = str(row.get("help_note", ""))
            was = recorded.get(member["id"])
            if was is not None and (member["unchanged"] or "asked" not in row):
                member.update(_answers_of(was))
            member["needs_identity"] = was.needs_identity if was else True
            member["was"] = was
            members.append(member)
        return cls(
            client_id=str(data.get("client_id", "")) or str(uuid.uuid4()),
            household_version=str(data.get("household_version", "")),
            outcome=str(data.get("outcome", "")),
            saved_at=_first(data.get("saved_at", "")),
            household=household,
            members=members,
        )

    def add_blank_member(self) -> None:
        """One more empty row for a member found at the door."""
        self.members.append(blank_member())

    def payload(self) -> dict[str, Any]:
        """The API's visit payload; blank new rows are left out, empty values count as missing."""
        members = []
        for m in self.members:
            if not m["id"] and not m["full_name"].strip() and not m["birth_year"].strip():
                continue
            members.append({k: v for k, v in m.items() if k in _PAYLOAD_KEYS and v not in ("", [])})
        payload: dict[str, Any] = {
            "client_id": self.client_id,
            "household_version": self.household_version,
            "household": self.household,
            "members": members if self.outcome == "done" else [],
        }
        if self.outcome:
            payload["outcome"] = self.outcome
        if self.saved_at:
            payload["saved_at"] = self.saved_at
        return payload

    def set_errors(self, errors: list[FieldError]) -> None:
        """Attach messages to fields; member paths are re-numbered to the rows on the page."""
        kept = [
            i
            for i, m in enumerate(self.members)
            if m["id"] or m["full_name"].strip() or m["birth_year"].strip()
        ]
        for e in errors:
            path = e.field
            parts = path.split(".")
            if parts[0] == "members" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(kept):
                path = ".".join(["members", str(kept[int(parts[1])]), *parts[2:]])
            self.errors[path] = error_message(path, e.code)
            if path == "saved_at":
                # Saving the form again from this page is a visit of now, not of that moment.
                self.saved_at = ""

    def error_summary(self) -> list[tuple[str, str, str]]:
        """The errors in the order of the page: (id of the field to jump to, path, message)."""
        ordered = sorted(self.errors.items(), key=lambda item: _page_order(item[0]))
        return [(field_id(path), path, message) for path, message in ordered]


# The page's order of a member's fields, for the error summary.
_MEMBER_ORDER = ("id", "full_name", "birth_year", "sex", "is_head", "vneid", "bank_account", "smartphone",
                 "answer_source")  # fmt: skip
# Errors that belong to the form as a whole (a reused client id, an outdated version): no field to jump to.
_FORM_FIELDS = frozenset({"client_id", "household_version", "saved_at", "$"})


def _page_order(path: str) -> tuple[int, int, int]:
    parts = path.split(".")
    if parts[0] in _FORM_FIELDS:
        return (0, 0, 0)
    if parts[0] == "outcome":
        return (1, 0, 0)
    if parts[0] == "household":
        return (2, 0, 0)
    if parts[0] == "members" and len(parts) == 3 and parts[1].isdigit():
        leaf = _MEMBER_ORDER.index(parts[2]) if parts[2] in _MEMBER_ORDER else len(_MEMBER_ORDER)
        return (4, int(parts[1]), leaf)
    return (3, 0, 0)


def _first(value: Any) -> str:
    """A field's value; of a field posted twice (the page's own `saved_at` and the phone's), the first."""
    return str(value[0] if isinstance(value, list) and value else value)


def field_id(path: str) -> str:
    """The id of the input an error at `path` (`members.3.birth_year`) belongs to: what the error
    summary links to and the field's `aria-describedby` pairs with."""
    parts = path.split(".")
    leaf = parts[-1]
    if parts[0] in _FORM_FIELDS:
        return "visit"
    if parts[0] == "members" and len(parts) == 3:
        name = f"m-{parts[1]}-{leaf}"
    elif parts == ["members"]:
        return "members"
    else:
        name = leaf
    return f"{name}-{_FIRST_CHOICE[leaf]}" if leaf in _FIRST_CHOICE else name


def blank_member() -> dict[str, Any]:
    """An empty member row."""
    member: dict[str, Any] = dict.fromkeys(_MEMBER_TEXT, "")
    member.update(dict.fromkeys(_MEMBER_FLAGS, False))
    member.update(
        vneid="unknown",
        bank_account="unknown",
        smartphone="unknown",
        uses_ai="unknown",
        helped=[],
        help_note="",
        needs_identity=True,
        unchanged=False,
        was=None,
    )
    return member
