"""The shapes of phocap's data at its boundaries (JSON API, forms), as msgspec Structs.

Constraints live on the types; `surveys.core.validation` checks every field against them at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

Name = Annotated[str, Meta(min_length=1, max_length=100)]
BirthYear = Annotated[int, Meta(ge=1900, le=2100)]
Note = Annotated[str, Meta(max_length=1000)]
# Ids and versions are 32-bit in both databases; a larger number is refused before it reaches one.
Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Sex = Literal["male", "female", "other", ""]
VNeID = Literal["not_installed", "installed", "level1", "level2", "unknown"]
YesNoUnknown = Literal["yes", "no", "unknown"]
Outcome = Literal["done", "nobody_home", "declined", "come_back"]
AnswerSource = Literal["seen", "told", ""]
# When work was saved (on the phone, for work sent later: `surveys.core.work_time`), with its zone.
SavedAt = Annotated[datetime, Meta(tz=True)]
# Help given to a person ("Hôm nay đã hỗ trợ"; surveys/learning/words.py names them).
HelpKind = Literal["vneid_installed", "vneid_level2", "bank", "public_service", "ai_tool", "other"]


class MemberAnswers(Struct, kw_only=True):
    """A member as a visit records them; `id` is None for a member added at this visit."""

    id: Id | None = None
    full_name: Name
    birth_year: BirthYear
    sex: Sex = ""
    is_head: bool = False
    removed: bool = False
    vneid: VNeID = "unknown"
    bank_account: YesNoUnknown = "unknown"
    smartphone: YesNoUnknown = "unknown"
    skill_learned: bool = False
    skill_understands: bool = False
    skill_uses_services: bool = False
    skill_guides_others: bool = False
    skills_confirmed: bool = False
    uses_ai: YesNoUnknown = "unknown"
    answer_source: AnswerSource = ""
    # The help given to this member at this visit, and a few words for "other" (no personal numbers).
    helped: Annotated[list[HelpKind], Meta(max_length=6)] = field(default_factory=list)
    help_note: Annotated[str, Meta(max_length=100)] = ""


class HouseholdAnswers(Struct, kw_only=True):
    """The household survey."""

    informed: bool = False
    consent: bool = False
    priority_elderly_alone: bool = False
    priority_poor: bool = False
    priority_other: bool = False
    notes: Note = ""


class VisitCreate(Struct, kw_only=True):
    """One submission at a door. `client_id` is made by the client, so a retry is recognised;
    `household_version` is the version the volunteer saw, so a concurrent edit is not overwritten;
    `saved_at`, when it was made (checked by `surveys.core.work_time`)."""

    client_id: uuid.UUID
    outcome: Outcome
    household_version: Id
    household: HouseholdAnswers = field(default_factory=HouseholdAnswers)
    members: list[MemberAnswers] = field(default_factory=list)
    # When the volunteer saved it, for a visit sent later from the phone; None: now.
    saved_at: SavedAt | None = None


class Status(Struct):
    """A household's derived status."""

    visited: bool
    digital_family: bool
    identity_complete: bool
    covered: bool
    reasons: list[str]
    members_without_vneid: int
    members_without_bank: int


class Member(Struct):
    """A member with their latest answers and what they mean."""

    id: int
    full_name: str
    birth_year: int
    age: int
    sex: str
    is_head: bool
    needs_identity: bool
    vneid: str
    bank_account: str
    smartphone: str
    skills: dict[str, bool]
    skills_confirmed: bool
    digital_core: bool
    has_vneid: bool
    answer_source: str
    uses_ai: str = "unknown"


class Household(Struct):
    """A household with its members and derived status."""

    token: str
    code: str
    village_id: int
    village_name: str
    ward_code: str
    ward_name: str
    address: str
    head_name: str
    version: int
    informed: bool
    # True when the household agreed to the consent notice now in force (`consent_notice` names the
    # version it agreed to, when).
    consent: bool
    consent_at: datetime | None
    consent_notice: str
    priority_elderly_alone: bool
    priority_poor: bool
    priority_other: bool
    notes: str
    last_visit_at: datetime | None
    last_outcome: str | None
    status: Status
    members: list[Member]

    @property
    def priority(self) -> bool:
        """Whether the household gets priority support."""
        return self.priority_elderly_alone or self.priority_poor or self.priority_other


class HouseholdSummary(Struct):
    """A line of a village's household list."""

    token: str
    code: str
    head_name: str
    address: str
    last_visit_at: datetime | None
    status: Status


class Village(Struct):
    """A village the caller may see."""

    id: int
    name: str
    code: str
    ward_code: str
    ward_name: str
    households: int
    village_word: str = "thon"  # what the ward calls its villages: thon, xom, ban, ap, to_dan_pho, khu_pho


class SessionCreate(Struct):
    """Credentials for an API token."""

    login: Annotated[str, Meta(min_length=1, max_length=50)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class SessionToken(Struct):
    """An API token and the role it acts with."""

    token: str
    role: str


class FieldProblem(Struct):
    """One bad field of a request: where, a stable code, and a message for people."""

    field: str
    code: str
    message: str


class Problem(Struct):
    """An error answer (RFC 9457, `application/problem+json`). `errors` names every bad field (422,
    400); `current` is the household as it is now (409)."""

    type: str
    title: str
    status: int
    errors: list[FieldProblem] | None = None
    current: Household | None = None


class Health(Struct):
    """Liveness of the service and its database."""

    status: str
    database: str


class CoverageHousehold(Struct):
    """A household in a coverage list."""

    token: str
    code: str
    head_name: str
    address: str
    priority: bool
    status: Status
    last_visit_at: datetime | None
    last_outcome: str | None
    last_volunteer: str | None
    days_since_visit: int | None


class Coverage(Struct):
    """One page of a village's coverage list, with the number of households under each filter."""

    village_id: int
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    households: list[CoverageHousehold]


class Indicator(Struct):
    """One indicator: its count, what it is counted over, the percentage and the year's target."""

    count: int
    of: int
    percent: float
    target: int | None


class ReportLine(Struct):
    """A village's (or the ward's) indicators."""

    village_id: int | None
    village_code: str
    village_name: str
    households: int
    citizens_16_plus: int
    indicators: dict[str, Indicator]


class WardReport(Struct):
    """The ward dashboard's numbers."""

    ward_code: str
    ward_name: str
    province_name: str
    year: int
    as_of: datetime
    villages: list[ReportLine]
    total: ReportLine


class ProvinceIndicator(Struct):
    """One indicator of a ward (or the province): count, what it is counted over, the percentage
    (None for a ward not started: no households, not 0%), the ward's target, whether it is met, and
    the percentage points gained since the end of last week."""

    count: int
    of: int
    percent: float | None
    target: int | None
    met: bool | None
    change: float | None


class ProvinceWardLine(Struct):
    """A ward of the province dashboard."""

    ward_code: str
    ward_name: str
    started: bool
    behind_target: bool
    households: int
    citizens_16_plus: int
    indicators: dict[str, ProvinceIndicator]
    visits_this_week: int
    last_activity: datetime | None


class ProvinceTotal(Struct):
    """The province's total: the sum of its wards."""

    wards: int
    wards_started: int
    wards_behind_target: int
    households: int
    citizens_16_plus: int
    indicators: dict[str, ProvinceIndicator]


class ProvinceReport(Struct):
    """The province dashboard's numbers."""

    province_code: str
    province_name: str
    year: int
    as_of: datetime
    wards: list[ProvinceWardLine]
    total: ProvinceTotal
