"""The database tables (Piccolo). Migrations in `piccolo_migrations/` are generated from these.

Unique keys over several columns are unique indexes created in the migrations (SQLite cannot add
constraints to an existing table, which is how Piccolo would add them).

Data minimisation (Law 91/2025/QH15, Decree 356/2025): no national ID numbers, photos, bank names or
account numbers, ethnicity or health data are stored. Members have a birth year, not a birth date.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Province(Table):
    """A province or centrally governed city (34 since 2025)."""

    id: Serial

    code = Varchar(length=2, unique=True)
    name = Varchar(length=100)
    # When a ward's periodic report is due: this many days after its period ends, by kind of period
    # (surveys/reporting/submissions.py). The plans ask "định kỳ hằng quý"; the year's report has its own.
    report_due_quarter = SmallInt(default=10)
    report_due_half = SmallInt(default=10)
    report_due_year = SmallInt(default=15)
    # When in its week the province's reminder of the reports past due goes out, in phocap's time zone:
    # ISO weekday (1 = Monday) and hour (surveys/reporting/province_reminders.py).
    reminder_weekday = SmallInt(default=1)
    reminder_hour = SmallInt(default=7)


class Ward(Table):
    """A commune-level unit (xã, phường, đặc khu), with its coverage rules."""

    id: Serial

    code = Varchar(length=5, unique=True)
    name = Varchar(length=100)
    province = ForeignKey(Province, index=True)
    # Coverage rules differ between communes; docs/architecture.md §5 gives these defaults.
    identity_age = SmallInt(default=16)
    # "Adult" in the plans' adult targets (basic digital skills, skills confirmed on VNeID): 18 unless
    # the ward says otherwise.
    adult_age = SmallInt(default=18)
    identity_min_level = SmallInt(default=1)
    identity_requires_bank = Boolean(default=False)
    family_criteria = Varchar(length=200, default="learned,understands,uses_services,guides_others")
    digest_emails = Text(default="")
    # When the weekly digest goes out, in phocap's time zone: ISO weekday (1 = Monday) and hour.
    digest_weekday = SmallInt(default=1)
    digest_hour = SmallInt(default=7)
    household_prefix = Varchar(length=10, default="")
    # What the ward calls its villages (surveys/register/village_words.py): thon, xom, ban, ap, to_dan_pho, khu_pho.
    village_word = Varchar(length=20, default="thon")
    # When the ward's next periodic report is due (None: not set); the weekly digest reminds of it.
    report_due = Date(null=True, default=None)
    # Which period that report covers, as the report page names it (`2026-Q4`, `2026-H2`, `2026`).
    report_period = Varchar(length=10, default="")
    # When its coverage thresholds were last saved (None: never): every household's status may have
    # changed then without a write of its own, so a phone's copy of its villages is drawn again whole.
    rules_changed_at = Timestamptz(null=True, default=None)


# The ward's columns that are its coverage rules (`surveys.survey.criteria.CoverageRules.of_ward`).
RULE_COLUMNS: tuple[str, ...] = tuple(
    c._meta.name
    for c in (Ward.identity_age, Ward.identity_min_level, Ward.identity_requires_bank, Ward.family_criteria)
)


class Village(Table):
    """A thôn, bản or tổ dân phố; created by the ward office (there is no official code list)."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    code = Varchar(length=10)
    name = Varchar(length=100)


class Household(Table):
    """A household, reached by the random token on its door sticker."""

    id: Serial

    token = Varchar(length=32, unique=True)
    code = Varchar(length=20, index=True)
    village = ForeignKey(Village, index=True)
    address = Varchar(length=200, default="")
    head_name = Varchar(length=100, default="")
    # Accent- and case-folded head name, address and code, for portable LIKE search.
    search_key = Varchar(length=400, default="", index=True)
    # Vietnamese collation key of the head's name (given name first), sortable by plain byte order.
    sort_key = Varchar(length=400, default="", index=True)
    informed_at = Timestamptz(null=True, default=None)
    consent_at = Timestamptz(null=True, default=None)
    consent_by = Varchar(length=100, default="")
    # The version of the consent notice (surveys/register/consent.py) the household agreed to.
    consent_notice = Varchar(length=20, default="")
    priority_elderly_alone = Boolean(default=False)
    priority_poor = Boolean(default=False)
    priority_other = Boolean(default=False)
    notes = Text(default="")
    version = Integer(default=1)
    # When the door sticker was last printed (None: never).
    printed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived = Boolean(default=False)
    # When it was archived: the retention job anonymises it RETENTION_DAYS later.
    archived_at = Timestamptz(null=True, default=None)
    # When its personal data was erased (on request or by the retention job); only counts remain.
    erased_at = Timestamptz(null=True, default=None)


class Member(Table):
    """A person in a household, with their latest digital-identity and digital-skills answers."""

    id: Serial

    household = ForeignKey(Household, index=True)
    full_name = Varchar(length=100)
    sort_key = Varchar(length=400, default="")
    birth_year = SmallInt()
    sex = Varchar(length=10, default="")
    is_head = Boolean(default=False)
    vneid = Varchar(length=20, default="unknown")
    bank_account = Varchar(length=10, default="unknown")
    smartphone = Varchar(length=10, default="unknown")
    skill_learned = Boolean(default=False)
    skill_understands = Boolean(default=False)
    skill_uses_services = Boolean(default=False)
    skill_guides_others = Boolean(default=False)
    skills_confirmed = Boolean(default=False)
    # Uses at least one AI tool (the plans' "learners able to use at least one AI tool"): yes/no/unknown.
    uses_ai = Varchar(length=10, default="unknown")
    answer_source = Varchar(length=10, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    removed = Boolean(default=False)


class VillageCount(Table):
    """A village's indicator counts as they stood at the end of a day (docs/design.md §6): written in the same
    transaction as every change of a household's or member's status, rebuilt by `phocap counts rebuild`.
    Derived, never a second truth: `surveys.reporting.village_counts` recounts them from the households.
    Unique on (village, day), an index made in the migration."""

    id: Serial

    village = ForeignKey(Village, index=True)
    day = Date()
    # The year the identity age was counted in (a member reaches it on 1 January).
    year = SmallInt()
    households = Integer(default=0)
    adults = Integer(default=0)
    visited = Integer(default=0)
    digital_family = Integer(default=0)
    informed = Integer(default=0)
    vneid = Integer(default=0)
    vneid_level2 = Integer(default=0)
    bank = Integer(default=0)
    skills_confirmed = Integer(default=0)
    covered = Integer(default=0)
    # Households under each reason of `surveys.survey.criteria.REASONS`.
    not_visited = Integer(default=0)
    nobody_home = Integer(default=0)
    declined = Integer(default=0)
    come_back = Integer(default=0)
    no_digital_core = Integer(default=0)
    members_without_vneid = Integer(default=0)
    members_without_bank = Integer(default=0)
    # The periodic report's other indicators: citizens of identity age with the basic skills, using an
    # AI tool; citizens 60+ and those of them with VNeID; households of the priority groups (poor,
    # elderly living alone) and those of them covered.
    basic_skills = Integer(default=0)
    ai_tool = Integer(default=0)
    seniors = Integer(default=0)
    seniors_vneid = Integer(default=0)
    poor = Integer(default=0)
    poor_covered = Integer(default=0)
    elderly_alone = Integer(default=0)
    elderly_alone_covered = Integer(default=0)


class VillageActivity(Table):
    """What was done in a village on a day (docs/scaling.md §4): counts that add up over days, villages and
    wards, so a period's report reads ~villages × days rows and never the period's visits. Each visit
    counts in its household's village now, on the day it was made; a household's change of state
    (first completed visit, covered, no longer covered) on the day its latest completed visit changed it.
    Derived from the visits by `surveys.reporting.activity_counts`. Unique on (village, day), an index
    made in the migration."""

    id: Serial

    village = ForeignKey(Village)
    day = Date()
    # Visits made (any outcome), completed ('done'), and with nobody home.
    visits = Integer(default=0)
    completed = Integer(default=0)
    nobody_home = Integer(default=0)
    # Households completed for the first time; covered at the end of the day and not of the day before,
    # or the reverse.
    first_visits = Integer(default=0)
    newly_covered = Integer(default=0)
    newly_uncovered = Integer(default=0)


class VillageVolunteer(Table):
    """Who visited a village on a day, with how many visits: a period's volunteers are the distinct ones
    among a few rows per village and day. Unique on (village, day, volunteer), an index made in the
    migration."""

    id: Serial

    village = ForeignKey(Village)
    day = Date()
    # A staff account's id (`app_user`), a plain integer as `Visit.village`.
    volunteer = Integer()
    visits = Integer(default=0)


class User(Table, tablename="app_user"):
    """A person who signs in: volunteer, village head, ward or province officer, admin."""

    id: Serial

    login = Varchar(length=50, unique=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=200)
    role = Varchar(length=20)
    ward = ForeignKey(Ward, null=True, default=None)
    province = ForeignKey(Province, null=True, default=None)
    locale = Varchar(length=5, default="")
    email = Varchar(length=200, default="")
    # A village head may ask for a weekly digest of their own villages.
    wants_digest = Boolean(default=False)
    # Set when the ward office resets the password: the user chooses their own at next sign-in.
    must_change_password = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class UserVillage(Table):
    """A village a volunteer or village head covers."""

    id: Serial

    user = ForeignKey(User, index=True)
    village = ForeignKey(Village, index=True)


class AuthSession(Table):
    """A signed-in session (browser cookie) or API token; only a hash of the secret is stored."""

    id: Serial

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    kind = Varchar(length=10, default="web")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class SignInFailure(Table):
    """A failed sign-in, kept for the throttling window: by the login typed and the client address."""

    id: Serial

    login = Varchar(length=50, index=True)
    client_addr = Varchar(length=64, index=True)
    failed_at = Timestamptz(default=TimestamptzNow(), index=True)


class Visit(Table):
    """One survey submission at one door: the audit trail of who recorded what and when."""

    id: Serial

    # Looked up by the index on (household, at, id): a plain one on household would only cost every
    # visit written one more entry (migration 2026-12-06T18:00).
    household = ForeignKey(Household)
    # The household's village now (not when the visit was made): written with the visit and rewritten
    # when the household moves or is merged, in the same transaction, so a period's activity reads its
    # visits by (village, at) without the household table (docs/scaling.md §4). A plain integer, not a
    # foreign key: SQLite cannot drop a foreign key column, and the migration must go back.
    village = Integer(null=True, default=None)
    volunteer = ForeignKey(User, null=True, default=None)
    client_id = UUID(unique=True)
    # When the volunteer saved it (on the phone, for a visit sent later: docs/architecture.md §7), which every
    # count, digest and report reads; `received_at`, when it reached the server. NULL only for a row
    # written by an older release while its migration was undone.
    at = Timestamptz(default=TimestamptzNow(), index=True)
    received_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=20)
    answers = JSON(default="{}")
    household_version = Integer(default=1)
    # The household's derived state right after a completed visit, by the ward's rules of that day:
    # the weekly trend reads past weeks from these, as they were then.
    digital_family = Boolean(default=False)
    informed = Boolean(default=False)
    adults = SmallInt(default=0)
    adults_vneid = SmallInt(default=0)
    adults_vneid_level2 = SmallInt(default=0)
    adults_bank = SmallInt(default=0)
    adults_confirmed = SmallInt(default=0)
    # Also of that moment, for the periodic reports' other targets and priority groups.
    adults_skilled = SmallInt(default=0)
    adults_ai = SmallInt(default=0)
    seniors = SmallInt(default=0)
    seniors_vneid = SmallInt(default=0)
    priority_poor = Boolean(default=False)
    priority_elderly_alone = Boolean(default=False)


class ClassSession(Table):
    """A community class (buổi học) of a ward, in one of its villages or the ward's hall (docs/design.md §7).
    Its audience may be "people with disabilities"; a person's record never says so (Decree 356/2025:
    health data is sensitive)."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    # None: the ward's hall (or elsewhere in the ward, as `place` says).
    village = ForeignKey(Village, null=True, default=None)
    starts_at = Timestamptz(index=True)
    place = Varchar(length=200, default="")
    # Topic keys (surveys/learning/topics.py): the plans' own, or `w<id>` for one the ward added.
    topics = JSON(default="[]")
    audience = Varchar(length=20, default="everyone")
    # Other trainers, as typed (the team's own are ClassTrainer rows; classes planned before those
    # links keep their typed names here).
    trainers = Varchar(length=300, default="")
    client_id = UUID(unique=True)
    version = Integer(default=1)
    created_by = ForeignKey(User, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Attendance(Table):
    """One person at a class: a member of the register, or a walk-in counted by age group and sex only.
    A member attends a class once (a unique index on session and member)."""

    id: Serial

    session = ForeignKey(ClassSession, index=True)
    member = ForeignKey(Member, null=True, default=None, index=True)
    # For a walk-in (no member): `under_16`, `16_59`, `60_plus`; and sex as the register has it.
    age_group = Varchar(length=10, default="")
    sex = Varchar(length=10, default="")
    # Topic keys of this class the person can now use ("can now use …").
    can_use = JSON(default="[]")
    client_id = UUID(unique=True)
    recorded_by = ForeignKey(User, null=True, default=None)
    # When it was saved (on the phone, for one sent later), and when it reached the server, as a visit's.
    at = Timestamptz(default=TimestamptzNow())
    received_at = Timestamptz(null=True, default=None)


class ClassTopic(Table):
    """A ward's change to the list of class topics: a topic of its own (`key` is empty: it is `w<id>`),
    or one of the plans' topics it no longer offers (`key` names it, `active` False)."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    key = Varchar(length=30, default="")
    name = Varchar(length=100, default="")
    active = Boolean(default=True)


class Help(Table):
    """Help given to one person ("hướng dẫn từng người"): who helped whom with what, when, at a visit or
    a class. No personal numbers in `note`."""

    id: Serial

    member = ForeignKey(Member, index=True)
    given_by = ForeignKey(User, null=True, default=None, index=True)
    kind = Varchar(length=20)
    note = Varchar(length=100, default="")
    at = Timestamptz(default=TimestamptzNow(), index=True)
    visit = ForeignKey(Visit, null=True, default=None)
    session = ForeignKey(ClassSession, null=True, default=None)
    client_id = UUID(unique=True)


class TeamMember(Table):
    """A member of a ward's community digital team (Tổ công nghệ số cộng đồng), of a village or of the
    ward: a user account when they have one, their own register entry when they are in it."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    village = ForeignKey(Village, null=True, default=None)
    name = Varchar(length=100)
    phone = Varchar(length=20, default="")
    # team_leader, member, ambassador (Đại sứ số), youth_union, womens_union, police, teacher_student.
    role = Varchar(length=20, default="member")
    user = ForeignKey(User, null=True, default=None)
    member = ForeignKey(Member, null=True, default=None)
    # False once they left the team: kept in history (past classes' trainers), out of pickers and counts.
    active = Boolean(default=True)
    # When they joined the team (entered here); when they left it (None while active): a period's report
    # counts the team as it stood at the period's end.
    created_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    # The API's submission id: a retried create returns the first result. None for older rows. Unique
    # (an index of its migration: SQLite cannot add a UNIQUE column to a table that has rows).
    client_id = UUID(null=True, default=None)


class ClassTrainer(Table):
    """A team member (of the class's ward) who teaches a class."""

    id: Serial

    session = ForeignKey(ClassSession, index=True)
    team_member = ForeignKey(TeamMember, index=True)


class Mentorship(Table):
    """A mentor (Đại sứ số) and a learner of the register, from `created_at` until `ended_at` (None: still
    paired); a learner has one mentor at a time (a unique index on the pairs not ended). An ended pair is
    kept: a period's report counts the pairs as they stood at its end."""

    id: Serial

    mentor = ForeignKey(TeamMember, index=True)
    learner = ForeignKey(Member, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)


class Digest(Table):
    """A weekly digest, stored before it is sent: one per ward, ISO week and audience (`ward`, or
    `user-<id>` for a village head's own), or one per province and week (audience `province`: the
    reminder of the ward reports past due), so a restart or a second scheduler never sends it twice.
    It carries counts and links only: no names, addresses or household codes."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    # A province's reminder of the ward reports past due (`surveys.reporting.province_reminders`): its
    # province, and no ward.
    province = ForeignKey(Province, null=True, default=None)
    week = Varchar(length=8)
    audience = Varchar(length=20, default="ward")
    recipients = Text(default="")
    subject = Varchar(length=200)
    text_body = Text()
    html_body = Text()
    summary = Text(default="")
    figures = JSON(default="{}")
    # pending → sending → sent; failed after retries run out; no_recipients when nobody is set up.
    status = Varchar(length=20, default="pending", index=True)
    attempts = SmallInt(default=0)
    # When it entered the outbox (again, for a resend): retries run for DIGEST_RETRY_HOURS from here.
    queued_at = Timestamptz(default=TimestamptzNow())
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    message_id = Varchar(length=200, default="")


class WardTarget(Table):
    """A ward's targets for one year, in percent; a missing year uses the plans' defaults."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    year = SmallInt()
    informed = SmallInt(default=100)
    digital_family = SmallInt(default=100)
    identity = SmallInt(default=100)
    skills_confirmed = SmallInt(default=80)
    vneid_level2 = SmallInt(default=100)
    bank = SmallInt(default=100)
    basic_skills = SmallInt(default=100)
    ai_tool = SmallInt(default=60)


class ProvinceTarget(Table):
    """A province's default targets for one year, in percent: a ward without its own (WardTarget) for
    that year inherits them; a province without them leaves its wards on the plans' defaults."""

    id: Serial

    province = ForeignKey(Province, index=True)
    year = SmallInt()
    informed = SmallInt(default=100)
    digital_family = SmallInt(default=100)
    identity = SmallInt(default=100)
    skills_confirmed = SmallInt(default=80)
    vneid_level2 = SmallInt(default=100)
    bank = SmallInt(default=100)
    basic_skills = SmallInt(default=100)
    ai_tool = SmallInt(default=60)


class OfficialFigure(Table):
    """A figure a ward received from outside phocap for a period (the police's count of citizens with
    VNeID level 2, the national platform's learner count), kept beside phocap's own and never mixed
    into it (docs/design.md §6). One per ward, indicator and period end (a unique index)."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    indicator = Varchar(length=30)
    period_end = Date()
    value = Integer()
    source = Varchar(length=200, default="")
    entered_by = ForeignKey(User, null=True, default=None)
    entered_at = Timestamptz(default=TimestamptzNow())


class ImportUpload(Table):
    """An uploaded household list between its preview and its import (deleted after, or after a day)."""

    id: Serial

    token = Varchar(length=32, unique=True)
    user = ForeignKey(User, index=True)
    filename = Varchar(length=200)
    content = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())


class ReportSubmission(Table):
    """One version of a ward's periodic report as submitted to its province: the report's numbers (the
    API's JSON) and its Word file as they stood, never changed after; the province's decision on it
    (`status`: submitted, accepted, returned). One version number per ward and period (a unique index)."""

    id: Serial

    ward = ForeignKey(Ward, index=True)
    period = Varchar(length=10)
    version = SmallInt(default=1)
    status = Varchar(length=10, default="submitted")
    submitted_at = Timestamptz()
    submitted_by = ForeignKey(User, null=True, default=None)
    report = JSON(default="{}")
    document = Bytea()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, null=True, default=None)
    comment = Text(default="")


class AuditEntry(Table):
    """A change made by a person: who, when, what, from where."""

    id: Serial

    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(User, null=True, default=None)
    action = Varchar(length=50)
    entity = Varchar(length=30)
    entity_id = Integer(null=True, default=None)
    details = JSON(default="{}")
    client_addr = Varchar(length=64, default="")


ALL_TABLES: list[type[Table]] = [
    Province,
    Ward,
    Village,
    Household,
    Member,
    User,
    UserVillage,
    AuthSession,
    SignInFailure,
    Visit,
    ClassSession,
    Attendance,
    ClassTopic,
    Help,
    TeamMember,
    ClassTrainer,
    Mentorship,
    WardTarget,
    ProvinceTarget,
    OfficialFigure,
    Digest,
    ImportUpload,
    AuditEntry,
    VillageCount,
    VillageActivity,
    VillageVolunteer,
    ReportSubmission,
]
