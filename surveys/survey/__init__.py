"""The survey at the door: the criteria of a digital family and a digital identity, and visits (what a
volunteer records and what it changes), and the help given to each person (at a visit or a class).

May import: `surveys.core`, `surveys.people`, `surveys.register.register`, `surveys.tables`, `surveys.schemas`."""
