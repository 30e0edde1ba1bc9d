"""The words for codes that `surveys/` returns: error codes, reasons, answers. Translated when shown."""

from __future__ import annotations

from surveys.core.i18n import N_, gettext

ERRORS = {
    "required": N_("This field is required."),
    "too_long": N_("This is too long."),
    "out_of_range": N_("This value is out of range."),
    "invalid_choice": N_("Choose one of the options."),
    "invalid": N_("This value is not valid."),
    "consent_required": N_("The household must agree before its answers are recorded."),
    "one_head": N_("A household has only one head."),
    "only_when_done": N_("Member answers are recorded only for a completed visit."),
    "unknown_member": N_("This member is not in the household."),
    "already_used": N_("This submission id was already used for another household."),
    "unknown_topic": N_("Choose among the ward's class topics (those this class teaches)."),
    "already_attending": N_("This person is already on the class's list."),
    "not_held_yet": N_("This class has not started yet: record attendance once it is held."),
    "held_in_future": N_("People attended this class: it cannot move to a date still to come."),
    "topic_exists": N_("The ward already has a topic by this name."),
    "unknown_class": N_("There is no such class in this ward."),
    "own_learner": N_("A mentor cannot be their own learner."),
    "has_mentor": N_("This learner already has a mentor."),
    "date_out_of_range": N_("Enter a date from 01/01/2000 to 31/12/2100."),
    "needs_zone": N_("Give the time with its offset from UTC, e.g. 2026-07-01T08:00:00+07:00 for Vietnam."),
    "not_ended": N_("This period has not ended yet: its report is submitted once it has."),
    "required_to_return": N_("Say why the report is returned: the ward reads this comment."),
    "unknown_ward": N_("This is not a ward of this province."),
    "duplicate_ward": N_("This ward is listed twice: give its figures once."),
    "left_team": N_("This team member has left the team: bring them back before giving them learners."),
}

# Messages for a field, where a general one would not say enough.
FIELD_ERRORS = {
    ("identity_age", "out_of_range"): N_("Enter an age from 6 to 100."),
    ("identity_age", "invalid"): N_("Enter an age from 6 to 100."),
    ("identity_age", "required"): N_("Enter an age from 6 to 100."),
    ("adult_age", "out_of_range"): N_("Enter an age from 14 to 100."),
    ("adult_age", "invalid"): N_("Enter an age from 14 to 100."),
    ("adult_age", "required"): N_("Enter an age from 14 to 100."),
    ("identity_min_level", "invalid_choice"): N_("VNeID has levels 1 and 2 only: choose one of them."),
    ("identity_min_level", "invalid"): N_("VNeID has levels 1 and 2 only: choose one of them."),
    ("identity_min_level", "required"): N_("VNeID has levels 1 and 2 only: choose one of them."),
    ("family_criteria", "required"): N_("Choose at least one digital-skills criterion."),
    ("family_criteria", "invalid_choice"): N_("Choose among the plan's digital-skills criteria."),
    ("birth_year", "out_of_range"): N_("Enter a birth year between 120 years ago and this year."),
    ("birth_year", "required"): N_("Enter the birth year (4 digits)."),
    ("birth_year", "invalid"): N_("Enter the birth year as 4 digits, e.g. 1985."),
    ("full_name", "required"): N_("Enter the member's full name."),
    ("full_name", "too_long"): N_("A name has at most 100 characters."),
    ("saved_at", "in_future"): N_(
        "The phone says this was saved at a time still to come: set the phone's date and time right, then record it again."
    ),
    ("saved_at", "too_old"): N_(
        "This was saved on the phone too long ago (longer than a village's pages are kept on it) to be counted: record it again."
    ),
    ("saved_at", "invalid"): N_(
        "The time this was saved on the phone is not a date and time with its time zone: record it again."
    ),
    ("outcome", "required"): N_("Choose the outcome of the visit."),
    ("outcome", "invalid_choice"): N_("Choose the outcome of the visit."),
    ("notes", "too_long"): N_("Notes have at most 1000 characters."),
    ("login", "invalid"): N_(
        "Use 3 to 50 small letters without accents, digits, dots, dashes or underscores."
    ),
    ("login", "out_of_range"): N_(
        "Use 3 to 50 small letters without accents, digits, dots, dashes or underscores."
    ),
    ("login", "too_long"): N_(
        "Use 3 to 50 small letters without accents, digits, dots, dashes or underscores."
    ),
    ("login", "login_taken"): N_("This login is already taken."),
    ("password", "out_of_range"): N_("A password has at least 8 characters."),
    ("password", "too_short"): N_("A password has at least 8 characters."),
    ("password", "required"): N_("A password has at least 8 characters."),
    ("password", "too_long"): N_("A password has at most 200 characters."),
    ("password", "too_common"): N_(
        "This password is among the most used ones and is guessed first. Choose another."
    ),
    ("password", "like_login"): N_("The password must not contain the login."),
    ("new_password", "too_short"): N_("A password has at least 8 characters."),
    ("new_password", "too_long"): N_("A password has at most 200 characters."),
    ("new_password", "too_common"): N_(
        "This password is among the most used ones and is guessed first. Choose another."
    ),
    ("new_password", "like_login"): N_("The password must not contain the login."),
    ("new_password", "mismatch"): N_("The two passwords differ."),
    ("current_password", "wrong"): N_("This is not your current password."),
    ("current_password", "locked"): N_("Too many wrong passwords. Try again later, or ask the ward office."),
    ("display_name", "required"): N_("Enter the name shown in the app."),
    ("role", "invalid_choice"): N_("Choose volunteer or village head."),
    ("villages", "invalid_choice"): N_("Choose villages of this ward."),
    ("address", "required"): N_("Enter the address (hamlet, group or house number)."),
    ("address", "too_long"): N_("An address has at most 200 characters."),
    ("members", "required"): N_("A household has at least one member: enter the head."),
    ("village", "invalid_choice"): N_("Choose one of your villages."),
    ("starts_at", "invalid"): N_("Enter the date (dd/mm/yyyy) and time of the class."),
    ("starts_at", "required"): N_("Enter the date (dd/mm/yyyy) and time of the class."),
    ("topics", "required"): N_("Tick at least one topic."),
    ("topics", "out_of_range"): N_("Tick at least one topic."),
    ("topics", "invalid"): N_("Tick at least one topic."),
    ("audience", "invalid_choice"): N_("Choose who the class is for."),
    ("trainers", "too_long"): N_("At most 300 characters."),
    ("trainer_ids", "invalid_choice"): N_(
        "Choose the trainers among the members of this ward's digital team."
    ),
    ("trainer_ids", "invalid"): N_("Choose the trainers among the members of this ward's digital team."),
    ("trainer_ids", "out_of_range"): N_("At most 12 trainers from the team."),
    ("place", "too_long"): N_("A place has at most 200 characters."),
    ("age_group", "required"): N_("Choose the age group of a person not in the register."),
    ("age_group", "invalid_choice"): N_("Choose the age group of a person not in the register."),
    ("member", "unknown_member"): N_("This person is not in a register you may see."),
    ("household", "unknown_household"): N_("No household of your villages has this code."),
    ("household", "required"): N_("Enter the household's code."),
    ("help_note", "too_long"): N_("A few words only (at most 100 characters), and no personal numbers."),
    ("helped", "invalid_choice"): N_("Choose among the kinds of help listed."),
    ("name", "required"): N_("Enter the name."),
    ("phone", "invalid"): N_(
        "Enter a phone number: 0 and 9 or 10 digits (or +84 instead of the 0); spaces and dots allowed."
    ),
    ("phone", "too_long"): N_("A phone number has at most 20 characters."),
    ("user", "invalid_choice"): N_("Choose an account of this ward."),
    ("learner", "unknown_member"): N_("This person is not in the ward's register."),
    ("name", "too_long"): N_("A topic's name has at most 100 characters."),
    ("version", "conflict"): N_(
        "Someone else changed this household meanwhile. The form shows what you typed: check the household, then save again."
    ),
    ("duplicate", "not_found"): N_("No other household of this ward has that code."),
    ("members", "too_many"): N_(
        "Too many members for one household. Look for rows entered twice, or split it into two households."
    ),
    ("members", "unknown_member"): N_("Choose a member of this household."),
    ("percent", "required"): N_("Enter a whole number from 0 to 100."),
    ("percent", "invalid"): N_("Enter a whole number from 0 to 100."),
    ("percent", "out_of_range"): N_("Enter a whole number from 0 to 100."),
    ("from", "required"): N_("Enter the first day of the period."),
    ("from", "invalid_date"): N_("Enter a date as year-month-day, e.g. 2026-07-01."),
    ("to", "required"): N_("Enter the last day of the period."),
    ("to", "invalid_date"): N_("Enter a date as year-month-day, e.g. 2026-09-30."),
    ("to", "before_start"): N_("The period ends before it starts: the last day comes after the first."),
    ("to", "too_long_period"): N_("A report covers at most five years."),
    ("report_due_quarter", "out_of_range"): N_("Enter a number of days from 0 to 90."),
    ("report_due_quarter", "invalid"): N_("Enter a number of days from 0 to 90."),
    ("report_due_half", "out_of_range"): N_("Enter a number of days from 0 to 90."),
    ("report_due_half", "invalid"): N_("Enter a number of days from 0 to 90."),
    ("report_due_year", "out_of_range"): N_("Enter a number of days from 0 to 90."),
    ("report_due_year", "invalid"): N_("Enter a number of days from 0 to 90."),
    ("reminder_weekday", "out_of_range"): N_("Choose a day of the week."),
    ("reminder_weekday", "invalid"): N_("Choose a day of the week."),
    ("reminder_hour", "out_of_range"): N_("Enter an hour from 0 to 23."),
    ("reminder_hour", "invalid"): N_("Enter an hour from 0 to 23."),
    ("period", "invalid"): N_("Choose a quarter, a half-year or a year from the list."),
    ("official_value", "required"): N_("Enter the figure received: a whole number from 0."),
    ("official_value", "invalid"): N_("Enter the figure received: a whole number from 0."),
    ("official_value", "out_of_range"): N_("Enter the figure received: a whole number from 0."),
    ("period_end", "required"): N_("Enter the last day of the period the figure is for."),
    ("period_end", "invalid"): N_("Enter a date as year-month-day, e.g. 2026-09-30."),
    ("indicator", "required"): N_("Choose what the figure counts."),
    ("indicator", "invalid_choice"): N_("Choose what the figure counts."),
    ("source", "too_long"): N_("The source has at most 200 characters."),
    ("report_period", "required"): N_("Choose the period the report covers."),
    ("report_period", "invalid_choice"): N_("Choose the period the report covers."),
    ("report_due", "required"): N_("Enter the day the report is due."),
    ("report_due", "invalid"): N_("Enter a date as year-month-day, e.g. 2026-12-06."),
}

REASONS = {
    "not_visited": N_("Not visited yet"),
    "nobody_home": N_("Nobody home at the last visit"),
    "declined": N_("Declined at the last visit"),
    "come_back": N_("Asked to come back later"),
    "no_digital_core": N_("No member meets the digital-family criteria"),
    "members_without_vneid": N_("Members 16+ without VNeID"),
    "members_without_bank": N_("Members 16+ without a digital bank account"),
}

# Where a ward's targets come from (surveys/reporting/targets.py).
TARGET_SOURCES = {
    "ward": N_("The ward's own targets."),
    "province": N_("The province's default targets: the ward has not set its own."),
    "plans": N_("The 2025-2026 plans' targets: neither the ward nor its province set its own."),
}

OUTCOMES = {
    "done": N_("Done"),
    "nobody_home": N_("Nobody home"),
    "declined": N_("Declined"),
    "come_back": N_("Come back later"),
}

VNEID = {
    "not_installed": N_("Not installed"),
    "installed": N_("Installed, not activated"),
    "level1": N_("Level 1"),
    "level2": N_("Level 2"),
    "unknown": N_("Unknown"),
}

# What a ward calls its villages (a ward setting; surveys/register/village_words.py).
VILLAGE_WORDS = {
    "thon": N_("Village"),
    "xom": N_("Hamlet"),
    "ban": N_("Mountain village"),
    "ap": N_("Hamlet (ấp)"),
    "to_dan_pho": N_("Residential group"),
    "khu_pho": N_("Urban quarter"),
}
# The same words for a list of them (a menu link, a heading): Vietnamese says both alike.
VILLAGE_WORDS_PLURAL = {
    "thon": N_("Villages"),
    "xom": N_("Hamlets"),
    "ban": N_("Mountain villages"),
    "ap": N_("Hamlets (ấp)"),
    "to_dan_pho": N_("Residential groups"),
    "khu_pho": N_("Urban quarters"),
}
YES_NO_UNKNOWN = {"yes": N_("Yes"), "no": N_("No"), "unknown": N_("Unknown")}
SEX = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other"), "": N_("Not given")}
SOURCE = {"seen": N_("Seen by the volunteer"), "told": N_("Told by the household"), "": N_("Not given")}
SKILLS = {
    "learned": N_("Took part in learning (class or online course)"),
    "understands": N_("Understands digital transformation and basic digital skills"),
    "uses_services": N_("Uses digital platforms and services"),
    "guides_others": N_("Guides other family members"),
}
INDICATOR_NAMES = {
    "visited": N_("Households visited"),
    "digital_family": N_("Digital families"),
    "informed": N_("Households informed"),
    "vneid": N_("Citizens 16+ with VNeID"),
    "vneid_level2": N_("Citizens 16+ with VNeID level 2"),
    "bank": N_("Citizens 16+ with a digital bank account"),
    "skills_confirmed": N_("Citizens 16+ with digital skills confirmed"),
}

DIGEST_STATUS = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "no_recipients": N_("Not mailed: no recipients"),
    "skipped": N_("Missed: the scheduler was not running"),
}

AUDIT_ACTIONS = {
    "household.created": N_("Household added"),
    "household.updated": N_("Address or members corrected"),
    "household.moved": N_("Moved to another village"),
    "household.archived": N_("Archived (moved away)"),
    "household.merged": N_("A duplicate was merged into it"),
    "household.merged_into": N_("Merged into another household"),
    "household.token_reissued": N_("New sticker code"),
    "household.data_exported": N_("Its data was given to the household (file)"),
    "household.erased": N_("Personal data erased"),
    "member.moved": N_("A member moved to another household"),
    "member.moved_in": N_("A member moved in from another household"),
    "visit.recorded": N_("Visit recorded"),
    "account.created": N_("Account created"),
    "account.updated": N_("Name, role or villages changed"),
    "account.password_reset": N_("Password reset by the ward office"),
    "account.password_changed": N_("Password changed by its owner"),
    "account.deactivated": N_("Deactivated"),
    "account.activated": N_("Reactivated"),
    "session.signed_in": N_("Signed in"),
}

ROLES = {
    "volunteer": N_("Volunteer"),
    "village_head": N_("Village head"),
    "ward_officer": N_("Ward officer"),
    "province_officer": N_("Province officer"),
    "national_officer": N_("National officer"),
    "admin": N_("Administrator"),
}


def error_message(field: str, code: str) -> str:
    """The message for error `code` at `field` (a path such as `members.0.birth_year`)."""
    leaf = field.rsplit(".", 1)[-1]
    message = FIELD_ERRORS.get((leaf, code)) or ERRORS.get(code) or ERRORS["invalid"]
    return gettext(message)


def label(table: dict[str, str], code: str | None) -> str:
    """The translated label of `code` in one of the tables above."""
    return gettext(table.get(code or "", code or ""))
