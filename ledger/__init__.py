"""What makes Liên thông a ledger. At this package's root, the recording core: the eventsourcing
Application (`Ledger`) that checks and records signed statements, one or many per transaction, its
handlers, clock, settings and errors. Beside it, one room per reason to change: statements/ (the
bytes), log/ (the transparency log), views/ (read models and deadlines), stores/ (side stores),
reference/ (seed data) and simulation/ (the demo, a leaf)."""
