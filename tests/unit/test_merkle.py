"""RFC 9162 Merkle maths, checked against the RFC's definition written out naively here.

The oracle below computes MTH straight from RFC 9162 §2.1.1 with hashlib, sharing no code with
ledger.log.merkle. Known answers are the RFC 6962 interop vectors published by transparency-dev/merkle
(testonly/constants.go and proof/verify_test.go).
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Callable, Collection, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log import merkle
from ledger.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    MemoryTree,
    NodeId,
    ProofError,
    consistency_proof,
    fold,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_nodes,
    root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def naive_mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, exactly as RFC 9162 §2.1.1 defines it."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:]))


def synthetic_leaf(index: int) -> bytes:
    return sha256(b"\x00" + index.to_bytes(8, "big"))


PLAIN_LEAF = sha256(b"\x00plain")


class Oracle:
    """MTH of leaf ranges by the RFC definition, memoised, over synthetic leaves.

    With `marked`, only those leaves are distinct and all others are PLAIN_LEAF, so a range without
    a marked leaf has the MTH of that many plain leaves: trees of 2**20 leaves stay cheap.
    """

    def __init__(self, marked: Collection[int] | None = None) -> None:
        self.marked = None if marked is None else frozenset(marked)
        self.mth = functools.cache(self._mth)
        self.plain = functools.cache(self._plain)

    def leaf(self, index: int) -> bytes:
        if self.marked is None or index in self.marked:
            return synthetic_leaf(index)
        return PLAIN_LEAF

    def _plain(self, count: int) -> bytes:
        if count == 1:
            return PLAIN_LEAF
        k = 1 << ((count - 1).bit_length() - 1)
        return sha256(b"\x01" + self.plain(k) + self.plain(count - k))

    def _mth(self, begin: int, end: int) -> bytes:
        if end - begin == 0:
            return sha256(b"")
        if self.marked is not None and not any(begin <= m < end for m in self.marked):
            return self.plain(end - begin)
        if end - begin == 1:
            return self.leaf(begin)
        middle = begin + (1 << ((end - begin - 1).bit_length() - 1))
        return sha256(b"\x01" + self.mth(begin, middle) + self.mth(middle, end))

    def node(self, node: NodeId) -> bytes:
        level, index = node
        return self.mth(index << level, (index + 1) << level)


class Reader:
    """A fetch that records its calls and refuses nodes outside the tree of `size`."""

    def __init__(self, size: int, source: Callable[[NodeId], bytes]) -> None:
        self.size = size
        self.source = source
        self.calls: list[list[NodeId]] = []

    def __call__(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls.append(list(ids))
        for level, index in ids:
            assert (index + 1) << level <= self.size, f"read ({level}, {index}) beyond {self.size}"
        return [self.source(node) for node in ids]

    @property
    def reads(self) -> int:
        return sum(len(ids) for ids in self.calls)


DENSE = Oracle()
TREE = MemoryTree()
for _i in range(1100):
    TREE.append(DENSE.leaf(_i))


def tree_fetch(size: int) -> Reader:
    return Reader(size, lambda node: TREE.fetch([node])[0])


def read_bound(size: int) -> int:
    return 2 * math.ceil(math.log2(size)) + 2


def flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# --- RFC 6962 / 9162 known answers ---------------------------------------------------------------

RFC_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
H = {
    name: bytes.fromhex(value)
    for name, value in {
        "leaf1": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "leaf6": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "leaf5": "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "leaf4": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "pair1": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "pair2": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "pair3": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "quad1": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    }.items()
}
# (index, size, proof), from transparency-dev/merkle proof/verify_test.go (there 1-based).
RFC_INCLUSION = [
    (0, 1, []),
    (0, 8, [H["leaf1"], H["pair1"], H["quad1"]]),
    (5, 8, [H["leaf4"], H["pair3"], RFC_ROOTS[4]]),
    (2, 3, [RFC_ROOTS[2]]),
    (1, 5, [RFC_ROOTS[1], H["pair1"], H["leaf4"]]),
]
RFC_CONSISTENCY = [
    (1, 1, []),
    (1, 8, [H["leaf1"], H["pair1"], H["quad1"]]),
    (6, 8, [H["pair2"], H["pair3"], RFC_ROOTS[4]]),
    (2, 5, [H["pair1"], H["leaf4"]]),
    (6, 7, [H["pair2"], H["leaf6"], RFC_ROOTS[4]]),
]


def rfc_tree() -> MemoryTree:
    tree = MemoryTree()
    for data in RFC_LEAVES:
        tree.append(leaf_hash(data))
    return tree


def test_leaf_and_node_hashes_are_domain_separated_sha256() -> None:
    assert leaf_hash(b"abc") == sha256(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == sha256(b"\x01" + b"L" * 32 + b"R" * 32)
    assert sha256(b"") == EMPTY_ROOT
    assert len(EMPTY_ROOT) == HASH_SIZE


def test_rfc_tree_has_the_published_roots_at_every_size() -> None:
    tree = rfc_tree()
    hashes = [leaf_hash(data) for data in RFC_LEAVES]
    for size, expected in enumerate(RFC_ROOTS):
        assert tree.root(size) == expected == naive_mth(hashes[:size])
    assert tree.root() == RFC_ROOTS[8]


def test_rfc_tree_has_the_published_node_hashes() -> None:
    tree = rfc_tree()
    assert tree.fetch([(0, 1), (0, 4), (0, 5), (0, 6), (1, 1), (1, 2), (1, 3), (2, 1)]) == [
        H[name] for name in ("leaf1", "leaf4", "leaf5", "leaf6", "pair1", "pair2", "pair3", "quad1")
    ]


@pytest.mark.parametrize(("index", "size", "expected"), RFC_INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(
    index: int, size: int, expected: list[bytes]
) -> None:
    tree = rfc_tree()
    assert inclusion_proof(index, size, tree.fetch) == expected
    verify_inclusion(leaf_hash(RFC_LEAVES[index]), index, size, expected, RFC_ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), RFC_CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(
    old: int, new: int, expected: list[bytes]
) -> None:
    tree = rfc_tree()
    assert consistency_proof(old, new, tree.fetch) == expected
    verify_consistency(old, new, RFC_ROOTS[old], RFC_ROOTS[new], expected)


# --- range_nodes and fold ------------------------------------------------------------------------


def test_range_nodes_cover_a_range_with_aligned_perfect_subtrees_largest_first() -> None:
    assert range_nodes(0, 0) == []
    assert range_nodes(0, 1) == [(0, 0)]
    assert range_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert range_nodes(8, 13) == [(2, 2), (0, 12)]
    assert range_nodes(4, 8) == [(2, 1)]
    assert range_nodes(12, 15) == [(1, 6), (0, 14)]


@pytest.mark.parametrize(("begin", "end"), [(4, 9), (3, 5), (6, 9), (5, 3), (-1, 2)])
def test_range_nodes_refuses_ranges_rfc_recursion_never_visits(begin: int, end: int) -> None:
    with pytest.raises(ValueError, match=rf"\[{begin}, {end}\) is not"):
        range_nodes(begin, end)


@given(st.integers(0, 12), st.integers(0, 2**12), st.data())
def test_range_nodes_tile_the_range_exactly(shift: int, block: int, data: st.DataObject) -> None:
    begin = block << shift
    end = begin + data.draw(st.integers(0, 1 << shift))
    nodes = range_nodes(begin, end)
    at = begin
    for level, index in nodes:
        assert index << level == at
        at += 1 << level
    assert at == end
    assert [level for level, _ in nodes] == sorted({level for level, _ in nodes}, reverse=True)


def test_fold_is_a_right_fold_and_one_hash_folds_to_itself() -> None:
    a, b, c = (sha256(bytes([n])) for n in range(3))
    assert fold([a]) == a
    assert fold([a, b, c]) == node_hash(a, node_hash(b, c))
    with pytest.raises(ValueError, match="no hashes"):
        fold([])


# --- roots ---------------------------------------------------------------------------------------


def test_root_at_every_size_matches_the_definition_with_one_small_read() -> None:
    for size in range(301):
        reader = tree_fetch(size)
        assert root(size, reader) == naive_mth([DENSE.leaf(i) for i in range(size)])
        assert len(reader.calls) == (1 if size else 0)
        assert reader.reads == size.bit_count() <= size.bit_length()


def test_root_refuses_a_negative_size() -> None:
    with pytest.raises(ValueError, match="size -1 is negative"):
        root(-1, TREE.fetch)


# --- inclusion -----------------------------------------------------------------------------------


def check_inclusion(index: int, size: int, oracle: Oracle, reader: Reader) -> list[bytes]:
    proof = inclusion_proof(index, size, reader)
    assert len(reader.calls) == (1 if proof else 0)
    assert reader.reads <= read_bound(size)
    expected = oracle.mth(0, size)
    assert root_from_inclusion(oracle.leaf(index), index, size, proof) == expected
    verify_inclusion(oracle.leaf(index), index, size, proof, expected)
    return proof


def test_every_inclusion_proof_in_small_trees_verifies() -> None:
    for size in range(1, 70):
        for index in range(size):
            check_inclusion(index, size, DENSE, tree_fetch(size))


@pytest.mark.parametrize("size", [1000, 1023, 1024, 1025])
def test_inclusion_proofs_in_larger_trees_verify(size: int) -> None:
    for index in [
        0,
        1,
        size // 2,
        size - 2,
        size - 1,
        *random.Random(size).sample(range(size), 20),
    ]:
        check_inclusion(index, size, DENSE, tree_fetch(size))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_inclusion_proofs_verify_against_the_naive_root(case: tuple[int, int]) -> None:
    index, size = case
    check_inclusion(index, size, DENSE, tree_fetch(size))


@pytest.mark.parametrize("size", [2**20, 2**20 - 1, 2**20 + 1, 2**19 + 2**17 + 5, 999_999])
def test_inclusion_proofs_read_few_nodes_in_one_call_in_a_million_leaf_tree(size: int) -> None:
    rng = random.Random(size)
    for index in [0, size - 1, size // 2, *rng.sample(range(size), 8)]:
        oracle = Oracle(marked={index, index + 1, rng.randrange(size)})
        check_inclusion(index, size, oracle, Reader(size, oracle.node))


# Inclusion proofs, and how each way of breaking one is refused.
Inclusion = tuple[bytes, int, int, list[bytes], bytes]


@st.composite
def inclusions(draw: st.DrawFn, min_size: int = 1) -> Inclusion:
    size = draw(st.integers(min_size, 300))
    index = draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, TREE.fetch)
    return DENSE.leaf(index), index, size, proof, DENSE.mth(0, size)


@settings(max_examples=150, deadline=None)
@given(inclusions(min_size=2), st.data())
def test_inclusion_refuses_any_flipped_bit_in_the_proof(
    case: Inclusion, data: st.DataObject
) -> None:
    leaf, index, size, proof, expected = case
    position = data.draw(st.integers(0, len(proof) - 1))
    proof[position] = flip(proof[position], data.draw(st.integers(0, 8 * HASH_SIZE - 1)))
    with pytest.raises(ProofError, match=r"the proof leads to root .*, not the expected root"):
        verify_inclusion(leaf, index, size, proof, expected)


def path_sides(m: int, n: int) -> list[str]:
    """Which side each hash of PATH(m, D[n]) sits on, by the RFC 9162 §2.1.3.1 recursion."""
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    return [*path_sides(m, k), "right"] if m < k else [*path_sides(m - k, n - k), "left"]


@settings(max_examples=150, deadline=None)
@given(inclusions(), st.sampled_from([-1, 1]))
def test_inclusion_refuses_a_wrong_index(case: Inclusion, delta: int) -> None:
    leaf, index, size, proof, expected = case
    assert not 0 <= index + delta < size or path_sides(index + delta, size) != path_sides(
        index, size
    )
    with pytest.raises(ProofError, match=r"leads to root|proof has \d+ hashes|is not below size"):
        verify_inclusion(leaf, index + delta, size, proof, expected)


@settings(max_examples=150, deadline=None)
@given(inclusions(), st.sampled_from([-1, 1]))
def test_inclusion_binds_the_size_only_through_the_shape_of_the_path(
    case: Inclusion, delta: int
) -> None:
    """RFC 9162 verification rebuilds the root from the path; sizes giving the same path agree."""
    leaf, index, size, proof, expected = case
    if index < size + delta and path_sides(index, size + delta) == path_sides(index, size):
        verify_inclusion(leaf, index, size + delta, proof, expected)
    else:
        with pytest.raises(ProofError, match=r"leads to root|proof has \d+ hashes|is not below"):
            verify_inclusion(leaf, index, size + delta, proof, expected)


def test_inclusion_of_the_first_leaf_holds_for_sizes_5_and_6_alike() -> None:
    """The example behind the test above: the paths of leaf 0 in trees of 5 and 6 have one shape."""
    proof = inclusion_proof(0, 5, TREE.fetch)
    verify_inclusion(DENSE.leaf(0), 0, 6, proof, DENSE.mth(0, 5))
    with pytest.raises(ProofError, match="leads to root"):
        verify_inclusion(DENSE.leaf(0), 0, 6, proof, DENSE.mth(0, 6))


@settings(max_examples=100, deadline=None)
@given(inclusions(min_size=2))
def test_inclusion_refuses_a_truncated_or_extended_proof(case: Inclusion) -> None:
    leaf, index, size, proof, expected = case
    needs = rf"proof has {{}} hashes, a tree of size {size} for index {index} needs {len(proof)}"
    with pytest.raises(ProofError, match=needs.format(len(proof) - 1)):
        verify_inclusion(leaf, index, size, proof[:-1], expected)
    with pytest.raises(ProofError, match=needs.format(len(proof) + 1)):
        verify_inclusion(leaf, index, size, [*proof, expected], expected)
    with pytest.raises(ProofError, match=needs.format(len(proof) + 1)):
        verify_inclusion(leaf, index, size, [expected, *proof], expected)


@settings(max_examples=100, deadline=None)
@given(inclusions(), st.integers(0, 8 * HASH_SIZE - 1))
def test_inclusion_refuses_a_wrong_root_or_leaf(case: Inclusion, bit: int) -> None:
    leaf, index, size, proof, expected = case
    wrong = flip(expected, bit)
    with pytest.raises(ProofError, match=f"leads to root {expected[:4].hex()}…, not the expected"):
        verify_inclusion(leaf, index, size, proof, wrong)
    with pytest.raises(ProofError, match=f"not the expected root {expected[:4].hex()}…"):
        verify_inclusion(flip(leaf, bit), index, size, proof, expected)


@pytest.fixture
def forbid_hashing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Calling it makes any hashing inside ledger.log.merkle fail the test: checks come first."""

    def refuse(*_: bytes) -> bytes:
        raise AssertionError("hashed before checking")

    return lambda: monkeypatch.setattr(merkle, "node_hash", refuse)


def test_inclusion_checks_index_lengths_and_proof_size_before_hashing(
    forbid_hashing: Callable[[], None],
) -> None:
    leaf, proof = DENSE.leaf(5), inclusion_proof(5, 8, TREE.fetch)
    good = DENSE.mth(0, 8)
    forbid_hashing()
    with pytest.raises(ProofError, match="index 8 is not below size 8"):
        verify_inclusion(leaf, 8, 8, proof, good)
    with pytest.raises(ProofError, match="index 0 is not below size 0"):
        root_from_inclusion(leaf, 0, 0, [])
    with pytest.raises(ProofError, match="index -1 is not below size 8"):
        verify_inclusion(leaf, -1, 8, proof, good)
    short = [*proof[:2], proof[2][:31]]
    with pytest.raises(ProofError, match="hash 2 of the proof is 31 bytes, not 32"):
        verify_inclusion(leaf, 5, 8, short, good)
    with pytest.raises(ProofError, match="the leaf hash is 4 bytes, not 32"):
        verify_inclusion(b"leaf", 5, 8, proof, good)
    with pytest.raises(ProofError, match="the root is 33 bytes, not 32"):
        verify_inclusion(leaf, 5, 8, proof, good + b"!")
    with pytest.raises(
        ProofError, match="proof has 2 hashes, a tree of size 8 for index 5 needs 3"
    ):
        verify_inclusion(leaf, 5, 8, proof[:2], good)


def test_inclusion_proof_refuses_an_index_outside_the_tree() -> None:
    with pytest.raises(ValueError, match="index 5 is not below size 5"):
        inclusion_proof(5, 5, TREE.fetch)


def test_a_single_leaf_tree_has_an_empty_proof_and_its_leaf_as_root() -> None:
    leaf = DENSE.leaf(0)
    assert inclusion_proof(0, 1, TREE.fetch) == []
    verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(ProofError, match="leads to root"):
        verify_inclusion(leaf, 0, 1, [], EMPTY_ROOT)


# --- consistency ---------------------------------------------------------------------------------


def check_consistency(old: int, new: int, oracle: Oracle, reader: Reader) -> list[bytes]:
    proof = consistency_proof(old, new, reader)
    assert len(reader.calls) == (1 if proof else 0)
    assert not proof or reader.reads <= read_bound(new)
    verify_consistency(old, new, oracle.mth(0, old), oracle.mth(0, new), proof)
    return proof


def test_every_consistency_proof_between_small_trees_verifies() -> None:
    for new in range(70):
        for old in range(new + 1):
            check_consistency(old, new, DENSE, tree_fetch(new))


@pytest.mark.parametrize("new", [1000, 1023, 1024, 1025])
def test_consistency_proofs_between_larger_trees_verify(new: int) -> None:
    for old in [
        0,
        1,
        2,
        3,
        512,
        513,
        1000,
        new - 1,
        new,
        *random.Random(new).sample(range(new), 20),
    ]:
        check_consistency(min(old, new), new, DENSE, tree_fetch(new))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_consistency_proofs_verify_against_the_naive_roots(case: tuple[int, int]) -> None:
    old, new = case
    check_consistency(old, new, DENSE, tree_fetch(new))


@pytest.mark.parametrize("new", [2**20, 2**20 - 1, 2**20 + 1, 2**19 + 2**17 + 5, 999_999])
def test_consistency_proofs_read_few_nodes_in_one_call_between_million_leaf_trees(
    new: int,
) -> None:
    rng = random.Random(new)
    for old in [1, 2, 3, new // 2, new - 1, new, *rng.sample(range(1, new), 8)]:
        oracle = Oracle(marked={old - 1, old, rng.randrange(new)})
        check_consistency(old, new, oracle, Reader(new, oracle.node))


Consistency = tuple[int, int, bytes, bytes, list[bytes]]


@st.composite
def consistencies(draw: st.DrawFn) -> Consistency:
    """Proofs between two different non-empty trees: the ones that hold hashes."""
    new = draw(st.integers(2, 300))
    old = draw(st.integers(1, new - 1))
    proof = consistency_proof(old, new, TREE.fetch)
    return old, new, DENSE.mth(0, old), DENSE.mth(0, new), proof


@settings(max_examples=150, deadline=None)
@given(consistencies(), st.data())
def test_consistency_refuses_any_flipped_bit_in_the_proof(
    case: Consistency, data: st.DataObject
) -> None:
    old, new, old_root, new_root, proof = case
    position = data.draw(st.integers(0, len(proof) - 1))
    proof[position] = flip(proof[position], data.draw(st.integers(0, 8 * HASH_SIZE - 1)))
    with pytest.raises(ProofError, match=r"the proof leads to (old|new) root .*, not the expected"):
        verify_consistency(old, new, old_root, new_root, proof)


def proof_shape(m: int, n: int, whole: bool = True) -> list[str]:
    """Where each hash of SUBPROOF(m, D[n], b) sits, by the RFC 9162 §2.1.4.1 recursion."""
    if m == n:
        return [] if whole else ["old subtree"]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*proof_shape(m, k, whole), "right"]
    return [*proof_shape(m - k, n - k, False), "left"]


@settings(max_examples=200, deadline=None)
@given(consistencies(), st.sampled_from([-1, 1]), st.sampled_from(["old", "new"]))
def test_consistency_binds_the_sizes_only_through_the_shape_of_the_proof(
    case: Consistency, delta: int, which: str
) -> None:
    """A proof holds for other sizes exactly when the RFC recursion gives it the same shape."""
    old, new, old_root, new_root, proof = case
    claimed_old, claimed_new = (old + delta, new) if which == "old" else (old, new + delta)
    if 0 < claimed_old < claimed_new and proof_shape(claimed_old, claimed_new) == proof_shape(
        old, new
    ):
        verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)
    else:
        with pytest.raises(ProofError, match=r"leads to (old|new) root|proof has \d+ hashes"):
            verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)


def test_consistency_from_4_holds_for_sizes_5_and_6_alike() -> None:
    """The example behind the test above: from 4, both proofs are one hash on the right."""
    proof = consistency_proof(4, 5, TREE.fetch)
    verify_consistency(4, 6, DENSE.mth(0, 4), DENSE.mth(0, 5), proof)
    with pytest.raises(ProofError, match="leads to new root"):
        verify_consistency(4, 6, DENSE.mth(0, 4), DENSE.mth(0, 6), proof)


@settings(max_examples=100, deadline=None)
@given(consistencies())
def test_consistency_refuses_a_truncated_or_extended_proof(case: Consistency) -> None:
    old, new, old_root, new_root, proof = case
    needs = rf"proof has {{}} hashes, going from size {old} to {new} needs {len(proof)}"
    with pytest.raises(ProofError, match=needs.format(len(proof) - 1)):
        verify_consistency(old, new, old_root, new_root, proof[:-1])
    with pytest.raises(ProofError, match=needs.format(len(proof) + 1)):
        verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    with pytest.raises(ProofError, match=needs.format(len(proof) + 1)):
        verify_consistency(old, new, old_root, new_root, [old_root, *proof])
    with pytest.raises(ProofError, match=needs.format(0)):
        verify_consistency(old, new, old_root, new_root, [])


@settings(max_examples=100, deadline=None)
@given(consistencies(), st.integers(0, 8 * HASH_SIZE - 1))
def test_consistency_refuses_wrong_or_swapped_roots(case: Consistency, bit: int) -> None:
    old, new, old_root, new_root, proof = case
    if old & (old - 1):
        refusal = f"leads to old root {old_root[:4].hex()}…"
    else:  # the old tree is a perfect subtree, and the proof starts from its (wrong) root
        refusal = f"not the expected new root {new_root[:4].hex()}…"
    with pytest.raises(ProofError, match=refusal):
        verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    with pytest.raises(ProofError, match=f"leads to new root {new_root[:4].hex()}…"):
        verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    with pytest.raises(ProofError, match=r"leads to (old|new) root"):
        verify_consistency(old, new, new_root, old_root, proof)


def test_consistency_with_the_empty_or_the_same_tree_needs_no_proof() -> None:
    some = DENSE.mth(0, 5)
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, some, [])
    verify_consistency(5, 5, some, some, [])
    assert consistency_proof(0, 5, TREE.fetch) == consistency_proof(5, 5, TREE.fetch) == []
    with pytest.raises(
        ProofError, match=f"old root {some[:4].hex()}… is not the empty tree's root"
    ):
        verify_consistency(0, 5, some, some, [])
    with pytest.raises(ProofError, match="trees of the same size 5 have different roots"):
        verify_consistency(5, 5, some, DENSE.mth(0, 4), [])
    with pytest.raises(ProofError, match="proof has 1 hashes, going from size 5 to 5 needs 0"):
        verify_consistency(5, 5, some, some, [some])
    with pytest.raises(ProofError, match="proof has 1 hashes, going from size 0 to 5 needs 0"):
        verify_consistency(0, 5, EMPTY_ROOT, some, [some])


def test_consistency_checks_sizes_lengths_and_proof_size_before_hashing(
    forbid_hashing: Callable[[], None],
) -> None:
    proof = consistency_proof(3, 7, TREE.fetch)
    old_root, new_root = DENSE.mth(0, 3), DENSE.mth(0, 7)
    forbid_hashing()
    with pytest.raises(ProofError, match="sizes 7 and 3 are not 0 <= old <= new"):
        verify_consistency(7, 3, new_root, old_root, proof)
    with pytest.raises(ProofError, match="sizes -1 and 3 are not 0 <= old <= new"):
        verify_consistency(-1, 3, old_root, new_root, proof)
    with pytest.raises(ProofError, match="hash 1 of the proof is 0 bytes, not 32"):
        verify_consistency(3, 7, old_root, new_root, [proof[0], b"", *proof[2:]])
    with pytest.raises(ProofError, match="the old root is 31 bytes, not 32"):
        verify_consistency(3, 7, old_root[1:], new_root, proof)
    with pytest.raises(ProofError, match="the new root is 0 bytes, not 32"):
        verify_consistency(3, 7, old_root, b"", proof)
    with pytest.raises(
        ProofError, match=f"proof has 9 hashes, going from size 3 to 7 needs {len(proof)}"
    ):
        verify_consistency(3, 7, old_root, new_root, [old_root] * 9)


@pytest.mark.parametrize(("old", "new"), [(5, 4), (-1, 4)])
def test_consistency_proof_refuses_sizes_out_of_order(old: int, new: int) -> None:
    with pytest.raises(ValueError, match=f"sizes {old} and {new} are not 0 <= old <= new"):
        consistency_proof(old, new, TREE.fetch)


# --- CompactRange and MemoryTree -----------------------------------------------------------------


def perfect_nodes_completed_by(index: int) -> list[NodeId]:
    """Nodes (level, i) whose last leaf is `index`, lowest first, from the node-id definition."""
    return [
        (level, index >> level)
        for level in range(index.bit_length() + 1)
        if (index + 1) % (1 << level) == 0
    ]


def test_compact_range_gives_the_naive_root_at_every_size() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for index in range(300):
        compact.append(DENSE.leaf(index))
        assert compact.size == index + 1
        assert compact.root() == naive_mth([DENSE.leaf(i) for i in range(index + 1)])


def test_compact_range_append_returns_the_leaf_and_each_node_it_completes() -> None:
    compact = CompactRange()
    for index in range(1100):
        completed = compact.append(DENSE.leaf(index))
        expected = perfect_nodes_completed_by(index)
        assert [node for node, _ in completed] == expected
        assert [value for _, value in completed] == [DENSE.node(node) for node in expected]
        assert TREE.fetch(expected) == [value for _, value in completed]


def test_compact_range_frontier_is_range_nodes_with_their_hashes() -> None:
    compact = CompactRange()
    for index in range(130):
        assert compact.nodes() == [(node, DENSE.node(node)) for node in range_nodes(0, index)]
        compact.append(DENSE.leaf(index))


@pytest.mark.parametrize("size", [0, 1, 2, 7, 8, 63, 64, 100])
def test_compact_range_restored_from_its_frontier_continues_alike(size: int) -> None:
    original = CompactRange()
    for index in range(size):
        original.append(DENSE.leaf(index))
    restored = CompactRange(size, [value for _, value in original.nodes()])
    assert restored.root() == original.root()
    for index in range(size, 200):
        assert restored.append(DENSE.leaf(index)) == original.append(DENSE.leaf(index))
        assert restored.root() == original.root() == DENSE.mth(0, index + 1)


def test_compact_range_refuses_a_frontier_that_does_not_fit_its_size() -> None:
    with pytest.raises(ValueError, match="a range of size 7 has 3 hashes, not 2"):
        CompactRange(7, [EMPTY_ROOT, EMPTY_ROOT])
    with pytest.raises(ValueError, match="hash 1 is 3 bytes, not 32"):
        CompactRange(3, [EMPTY_ROOT, b"abc"])
    with pytest.raises(ValueError, match="size -1 is negative"):
        CompactRange(-1)
    with pytest.raises(ValueError, match="leaf hash is 4 bytes, not 32"):
        CompactRange().append(b"data")


def test_memory_tree_names_the_node_it_does_not_hold() -> None:
    tree = rfc_tree()
    assert tree.size == 8
    with pytest.raises(KeyError, match=r"node \(level 3, index 1\) is not stored"):
        tree.fetch([(0, 0), (3, 1)])
    with pytest.raises(KeyError, match=r"node \(level 4, index 0\) is not stored"):
        tree.fetch([(4, 0)])
    with pytest.raises(KeyError, match=r"node \(level 0, index 8\) is not stored"):
        tree.root(9)
