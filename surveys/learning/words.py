"""The words of classes and help: topics the plans name, audiences, age groups of walk-ins, kinds of help.
Keys are stored; the words are translated when shown."""

from __future__ import annotations

from surveys.core.i18n import N_

# The topics Tỉnh Thái Nguyên's and its communes' plans name for community classes; a ward adds its own
# and retires these (surveys/learning/topics.py).
PLAN_TOPICS = {
    "vneid": N_("VNeID and digital identity"),
    "public_services": N_("Online public services"),
    "payment": N_("Digital payment and bank apps"),
    "safety": N_("Online safety and scams"),
    "health": N_("Online health care"),
    "ai": N_("Using AI tools"),
    "ecommerce": N_("E-commerce (Chợ số - Nông thôn số)"),
    "smartphone": N_("Basic smartphone use"),
}

# Who a class is for. "People with disabilities" is said of a class, never of a person (Decree
# 356/2025: health data is sensitive personal data).
AUDIENCES = {
    "everyone": N_("Everyone"),
    "elderly": N_("The elderly"),
    "disabilities": N_("People with disabilities"),
    "workers": N_("Workers"),
    "team": N_("The community digital team"),
}

# A walk-in not in the register is counted by age group and sex only.
AGE_GROUPS = {"under_16": N_("Under 16"), "16_59": N_("16 to 59"), "60_plus": N_("60 and over")}

# "Hôm nay đã hỗ trợ": the help given to a person at the door or in class.
HELP_KINDS = {
    "vneid_installed": N_("Installed VNeID"),
    "vneid_level2": N_("Activated VNeID level 2"),
    "bank": N_("Opened a digital bank account or bank app"),
    "public_service": N_("Filed a public service online"),
    "ai_tool": N_("Showed an AI tool"),
    "other": N_("Other help"),
}

# Roles in the community digital team (Tổ công nghệ số cộng đồng); "ambassador" is the Đại sứ số who
# mentors learners.
TEAM_ROLES = {
    "team_leader": N_("Team leader"),
    "member": N_("Team member"),
    "ambassador": N_("Digital ambassador (Đại sứ số)"),
    "youth_union": N_("Youth Union"),
    "womens_union": N_("Women's Union"),
    "police": N_("Police"),
    "teacher_student": N_("Teacher or student"),
}

# The plans pair each Đại sứ số with at least this many learners (huyện Thạch Thành; a ward annex).
MIN_LEARNERS = 5
