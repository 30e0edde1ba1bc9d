"""What every subject of phocap's domain stands on: settings, the database engine and write transactions,
the clock, Vietnamese text, translations and messages, row helpers, validation errors, the audit log.

May import: the standard library, third-party libraries and `surveys.tables`. Never another subject folder
of `surveys/` (people, register, survey, reporting) and never `server/` or `scheduler/`."""
