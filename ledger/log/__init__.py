"""The transparency log: RFC 9162 Merkle maths (merkle.py, no I/O), the leaves and tree nodes
written in the same transaction as the events (storage/, one module per backend), proofs and
checkpoints (access.py), C2SP signed notes and cosignatures (note/), witnesses, audit bundles, the
feed of entries in order, and the full audit (audit/)."""
