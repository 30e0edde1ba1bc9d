"""The shapes of help given (surveys/survey/help.py), for the JSON API: the help a caller sends outside a
visit, and the help as the API gives it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from surveys.schemas import HelpKind, Id

HelpNote = Annotated[str, Meta(max_length=100)]


class HelpCreate(Struct, kw_only=True):
    """Help given to a member, outside a visit (a visit carries its help in its members' answers)."""

    client_id: uuid.UUID
    member: Id
    kind: HelpKind
    note: HelpNote = ""
    session: Id | None = None


class HelpOut(Struct):
    """One help given, as the API gives it."""

    id: int
    member: int
    kind: str
    note: str
    at: datetime
    via: Literal["visit", "class", "other"]
