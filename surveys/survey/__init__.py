"""The survey at the door: the criteria of a digital family and a digital identity, and visits (what a
volunteer records and what it changes).

May import: `surveys.core`, `surveys.people`, `surveys.register.register`, `surveys.tables`, `surveys.schemas`."""
