"""phocap's domain, which knows nothing of HTTP or the scheduler.

Subject folders, each may import only those before it: `core` (settings, database, clock, text,
messages, audit) → `people` (accounts, access) → `register` (households and members as recorded) →
`survey` (criteria, visits) → `reporting` (coverage, reports, digests). Beside them: `tables` (Piccolo
tables) and `schemas` (the API's shapes), which any subject may import; `privacy`, `backup` and `demo`,
which join several subjects; Piccolo's `piccolo_conf`, `piccolo_app` and `piccolo_migrations`.
See docs/architecture.md."""
