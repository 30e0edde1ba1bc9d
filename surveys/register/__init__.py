"""The household register: households and members as recorded, corrections, moves, merges, imports of
household lists, the official province/ward list, and door stickers.

May import: `surveys.core`, `surveys.people`, `surveys.tables`, `surveys.schemas`."""
