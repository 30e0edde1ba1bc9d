"""What the numbers say: coverage lists, ward reports and targets, exports, weekly digests and the mail
outbox that delivers them.

May import: `surveys.core`, `surveys.people`, `surveys.register.register`, `surveys.survey`, `surveys.tables`,
`surveys.schemas`."""
