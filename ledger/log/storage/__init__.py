"""Where the transparency log lives: one module per storage backend, sharing the tree logic.

tree.py holds what every backend shares (the leaf step, the registry check, the types the rest
of the ledger reads the log through); memory.py, sqlite.py and postgres.py each extend one of
eventsourcing's recorders so that a save writes its events' leaves and tree nodes in the same
transaction. ledger/config.py names the backend's factory for a database URL.
"""
