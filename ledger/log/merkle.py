"""RFC 9162 Merkle tree maths: hashes, roots, inclusion and consistency proofs. No I/O.

This module imports only the standard library, so an offline verifier can copy it alone.

Storage is addressed by node ids `(level, index)`: the hash of the perfect, aligned subtree over
leaves `[index * 2**level, (index + 1) * 2**level)`; level 0 holds the leaf hashes. Provers take a
`Fetch` callable and call it once, with O(log n) node ids. Verifiers take bytes and raise
`ProofError` naming what is wrong; they check sizes, hash lengths and the proof length before they
hash anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
Fetch = Callable[[Sequence[NodeId]], Sequence[bytes]]

# Hash states already fed the domain-separation prefix: copying one is cheaper than hashing
# a concatenation, and leaf_hash runs once per recorded entry.
_LEAF_PREFIX = hashlib.sha256(b"\x00")
_NODE_PREFIX = hashlib.sha256(b"\x01")


class ProofError(ValueError):
    """A proof, or the claim it comes with, does not hold; the message says what is wrong."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    state = _LEAF_PREFIX.copy()
    state.update(data)
    return state.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    state = _NODE_PREFIX.copy()
    state.update(left)
    state.update(right)
    return state.digest()


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect aligned subtrees covering leaves [begin, end), left to right, largest first.

    Valid when begin is 0 or a multiple of a power of two >= end - begin (every range RFC 9162
    recursion visits); raises ValueError otherwise.
    """
    count = end - begin
    if begin < 0 or count < 0:
        raise ValueError(f"[{begin}, {end}) is not a range of leaves")
    if begin and (begin & -begin) < count:
        raise ValueError(
            f"[{begin}, {end}) is not aligned: {begin} is not a multiple of a power of two >= {count}"
        )
    nodes: list[NodeId] = []
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            nodes.append((level, begin >> level))
            begin += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """node(h0, node(h1, ... node(h[-2], h[-1]))): the root over range_nodes hashes.

    One hash folds to itself; an empty sequence raises ValueError (the empty tree is EMPTY_ROOT).
    """
    if not hashes:
        raise ValueError("cannot fold no hashes")
    result = hashes[-1]
    for index in range(len(hashes) - 2, -1, -1):
        result = node_hash(hashes[index], result)
    return result


def root(size: int, fetch: Fetch) -> bytes:
    """MTH of the first `size` leaves: EMPTY_ROOT for 0, else one fetch of popcount(size) nodes."""
    if size < 0:
        raise ValueError(f"size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    return _subtree_hashes([(0, size)], fetch)[0]


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf side first; ValueError unless 0 <= index < size."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not below size {size}")
    return _subtree_hashes(_inclusion_ranges(index, size), fetch)


def consistency_proof(old_size: int, new_size: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size]); empty when old_size is 0 or new_size.

    Raises ValueError unless 0 <= old_size <= new_size.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"sizes {old_size} and {new_size} are not 0 <= old <= new")
    if old_size in (0, new_size):
        return []
    return _subtree_hashes(_consistency_ranges(old_size, new_size), fetch)


def _split(count: int) -> int:
    """The largest power of two below count (count >= 2): where RFC 9162 splits a tree."""
    return 1 << ((count - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PATH(index, D[size]), in proof order."""
    ranges = []
    begin, end = 0, size
    while end - begin > 1:
        middle = begin + _split(end - begin)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((begin, middle))
            begin = middle
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PROOF(old_size, D[new_size]), in proof order."""
    ranges = []
    # RFC 9162's flag b: while the recursion stays on the left edge, the subtree it ends on is
    # the whole old tree, whose root the verifier already has.
    begin, end, old_root_known = 0, new_size, True
    while old_size != end:
        middle = begin + _split(end - begin)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((begin, middle))
            begin, old_root_known = middle, False
    if not old_root_known:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def _subtree_hashes(ranges: Sequence[tuple[int, int]], fetch: Fetch) -> list[bytes]:
    """MTH of each range, from a single fetch of all their range_nodes."""
    if not ranges:
        return []
    covers = [range_nodes(begin, end) for begin, end in ranges]
    ids = [node for cover in covers for node in cover]
    hashes = fetch(ids)
    if len(hashes) != len(ids):
        raise ValueError(f"fetch returned {len(hashes)} hashes for {len(ids)} nodes")
    result = []
    at = 0
    for cover in covers:
        result.append(fold(hashes[at : at + len(cover)]))
        at += len(cover)
    return result


def _short(value: bytes) -> str:
    return value[:4].hex() + "…"


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes], needed: int, claim: str) -> None:
    if len(proof) != needed:
        raise ProofError(f"proof has {len(proof)} hashes, {claim} needs {needed}")
    for position, value in enumerate(proof):
        _check_hash(value, f"hash {position} of the proof")


def _check_root(computed: bytes, expected: bytes, which: str) -> None:
    if computed != expected:
        raise ProofError(
            f"the proof leads to {which} {_short(computed)}, not the expected {which} {_short(expected)}"
        )


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` gives leaf hash `leaf` at `index` in a tree of `size` (§2.1.3.2).

    `leaf` is the leaf hash (leaf_hash(data)), not the data. Raises ProofError if the index is not
    below the size, or a hash or the proof length is wrong, before hashing anything.
    """
    inner = _check_inclusion(leaf, index, size, proof)
    return _chain_inclusion(leaf, index, inner, proof)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash `leaf` is at `index` in the tree of `size` whose root is `root`.

    Raises ProofError naming the first problem; returns None when the proof holds.
    """
    inner = _check_inclusion(leaf, index, size, proof)
    _check_hash(root, "the root")
    _check_root(_chain_inclusion(leaf, index, inner, proof), root, "root")


def _check_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> int:
    """Check the claim's shape and return `inner`, the number of proof levels below the border.

    Below level `inner` the paths to `index` and to the last leaf differ, so there is a sibling
    at every level; above it the path runs along the right border, with a left sibling for each
    1 bit of `index`.
    """
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not below size {size}")
    _check_hash(leaf, "the leaf hash")
    inner = (index ^ (size - 1)).bit_length()
    needed = inner + (index >> inner).bit_count()
    _check_proof(proof, needed, f"a tree of size {size} for index {index}")
    return inner


def _chain_inclusion(value: bytes, index: int, inner: int, proof: Sequence[bytes]) -> bytes:
    for level, sibling in enumerate(proof[:inner]):
        value = node_hash(sibling, value) if index >> level & 1 else node_hash(value, sibling)
    for sibling in proof[inner:]:
        value = node_hash(sibling, value)
    return value


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of `new_size` with `new_root` extends the one of `old_size` (§2.1.4.2).

    The empty tree (root EMPTY_ROOT) is a prefix of every tree, with an empty proof; equal sizes
    need an empty proof and equal roots. Raises ProofError naming the first problem.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"sizes {old_size} and {new_size} are not 0 <= old <= new")
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    if old_size in (0, new_size):
        _check_proof(proof, 0, f"going from size {old_size} to {new_size}")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError(
                f"the old root {_short(old_root)} is not the empty tree's root {_short(EMPTY_ROOT)}"
            )
        if old_size and old_root != new_root:
            raise ProofError(
                f"trees of the same size {old_size} have different roots"
                f" {_short(old_root)} and {_short(new_root)}"
            )
        return
    # The old tree's last perfect subtree, node (shift, index), is the seed: the proof starts
    # with its hash unless the old tree is that subtree. From the seed up, the proof is the
    # upper part of an inclusion proof of the node, as in root_from_inclusion.
    shift = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> shift
    inner = (index ^ ((new_size - 1) >> shift)).bit_length()
    start = 0 if index == 0 else 1
    needed = start + inner + (index >> inner).bit_count()
    _check_proof(proof, needed, f"going from size {old_size} to {new_size}")
    old = new = proof[0] if start else old_root
    for level, sibling in enumerate(proof[start : start + inner]):
        if index >> level & 1:
            old = node_hash(sibling, old)
            new = node_hash(sibling, new)
        else:
            new = node_hash(new, sibling)
    for sibling in proof[start + inner :]:
        old = node_hash(sibling, old)
        new = node_hash(sibling, new)
    _check_root(old, old_root, "old root")
    _check_root(new, new_root, "new root")


class CompactRange:
    """The frontier of a growing tree: the hashes of range_nodes(0, size), largest first.

    Enough to compute the root and to append, which is how the log integrates entries and how a
    full audit recomputes the root in one pass over millions of leaves.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """Resume from `size` and the hashes of range_nodes(0, size); ValueError if they disagree."""
        if size < 0:
            raise ValueError(f"size {size} is negative")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a range of size {size} has {size.bit_count()} hashes, not {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            if len(value) != HASH_SIZE:
                raise ValueError(f"hash {position} is {len(value)} bytes, not {HASH_SIZE}")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add leaf hash `leaf`; return it as node (0, size) and every perfect node it completes.

        Those are exactly the nodes that storage should write for this leaf, lowest level first.
        """
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
        index = self._size
        stack = self._hashes
        completed = [((0, index), leaf)]
        value = leaf
        # The leaf completes one node per trailing 1 bit of its index.
        for level in range(1, (index ^ (index + 1)).bit_length()):
            value = node_hash(stack.pop(), value)
            completed.append(((level, index >> level), value))
        stack.append(value)
        self._size = index + 1
        return completed

    def root(self) -> bytes:
        """MTH of the leaves appended so far (EMPTY_ROOT when there are none)."""
        return fold(self._hashes) if self._hashes else EMPTY_ROOT

    def nodes(self) -> list[tuple[NodeId, bytes]]:
        """The frontier: range_nodes(0, size) with their hashes, largest first."""
        return list(zip(range_nodes(0, self._size), self._hashes, strict=True))


class MemoryTree:
    """Every perfect node of a tree, held in memory: for tests, small verifiers and memory storage."""

    __slots__ = ("_levels", "_range")

    def __init__(self) -> None:
        self._range = CompactRange()
        # Nodes complete in index order on every level, so level l is a list indexed by index.
        self._levels: list[list[bytes]] = []

    @property
    def size(self) -> int:
        return self._range.size

    def append(self, leaf: bytes) -> None:
        """Add leaf hash `leaf` and store the nodes it completes."""
        for (level, _), value in self._range.append(leaf):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(value)

    def fetch(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The hashes of nodes `ids`, in order; KeyError naming the first node not stored."""
        return [self._node(level, index) for level, index in ids]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (all of them by default)."""
        return root(self.size if size is None else size, self.fetch)

    def _node(self, level: int, index: int) -> bytes:
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError(f"node (level {level}, index {index}) is not stored")
