"""The people who use phocap: accounts and sessions, password rules, the ward's staff accounts, and the access
rules (who may read or write which household, village or ward).

May import: `surveys.core`, `surveys.tables`, `surveys.schemas`."""
