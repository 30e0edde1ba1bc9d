"""The movement's other half beside the door-to-door visits (docs/design.md §7): community classes and their
topics, attendance (which marks a member's "took part in learning"), and the community digital team with
its mentors' learners. The help given to each person, at a visit or a class, is the survey's
(surveys/survey/help.py).

May import: `surveys.core`, `surveys.people`, `surveys.register`, `surveys.survey`, `surveys.tables`,
`surveys.schemas`."""
