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


@dataclass
class VisitForm:
    """The visit form's values (as typed) and its errors (by field path)."""

    client_id: str
    household_version: str
    outcome: str = ""
    household: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_household(cls, h: schemas.Household) -> VisitForm:
        """A fresh form for a household, filled in with its current answers."""
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
                "needs_identity": m.needs_identity,
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
    def from_post(cls, data: Mapping[str, Any]) -> VisitForm:
        """The form as posted (checkboxes are present when ticked)."""
        household: dict[str, Any] = {flag: flag in data for flag in _HOUSEHOLD_FLAGS}
        household["notes"] = str(data.get("notes", ""))
        rows: dict[int, dict[str, Any]] = {}
        for key, value in data.items():
            match = _MEMBER_KEY.match(key)
            if match and int(match.group(1)) < MAX_MEMBER_ROWS:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        members = []
        for index in sorted(rows):
            row = rows[index]
            member: dict[str, Any] = {name: str(row.get(name, "")) for name in _MEMBER_TEXT}
            member.update({flag: flag in row for flag in _MEMBER_FLAGS})
            member["needs_identity"] = True
            members.append(member)
        return cls(
            client_id=str(data.get("client_id", "")) or str(uuid.uuid4()),
            household_version=str(data.get("household_version", "")),
            outcome=str(data.get("outcome", "")),
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
            entry = {k: v for k, v in m.items() if k != "needs_identity" and v != ""}
            members.append(entry)
        payload: dict[str, Any] = {
            "client_id": self.client_id,
            "household_version": self.household_version,
            "household": self.household,
            "members": members if self.outcome == "done" else [],
        }
        if self.outcome:
            payload["outcome"] = self.outcome
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


def blank_member() -> dict[str, Any]:
    """An empty member row."""
    member: dict[str, Any] = dict.fromkeys(_MEMBER_TEXT, "")
    member.update(dict.fromkeys(_MEMBER_FLAGS, False))
    member.update(
        vneid="unknown", bank_account="unknown", smartphone="unknown", uses_ai="unknown", needs_identity=True
    )
    return member
