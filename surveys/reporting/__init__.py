"""What the numbers say: coverage lists, ward reports and targets, the province's report, each ward's
coverage thresholds (with a preview of what a change would do), exports, weekly digests and the mail
outbox that delivers them.

May import: `surveys.core`, `surveys.people`, `surveys.register.register`, `surveys.survey`, `surveys.learning`, `surveys.tables`,
`surveys.schemas`."""

# The daily counts listen for every write that changes a household (surveys.core.changes).
from surveys.reporting import village_counts as village_counts

# isort: split
# After the daily counts: their snapshot holds the villages the activity's then adds to.
from surveys.reporting import activity_counts as activity_counts
