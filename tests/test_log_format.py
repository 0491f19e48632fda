"""The transparency-log vectors printed in docs/log-format.md (sections 11 and 12) are what the code
computes: leaf bytes, leaf hashes, root, inclusion proof, the log's verifier key and its checkpoint."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ledger.log import merkle, note, tlog

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "log-format.md").read_text(encoding="utf-8")
# the four statements of section 10's two histories are the leaves; the registry vector after
# them (an office with its agency identifier) is not in the tree
VECTORS = json.loads((ROOT / "tests" / "golden" / "vectors.json").read_text())["vectors"][:4]
RECORDED_AT = 1748846400000000


def section(number: int) -> str:
    start = DOC.index(f"\n## {number}. ")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end > 0 else None]


def blocks(text: str) -> list[str]:
    return re.findall(r"```\n(.*?)```", text, flags=re.S)


def leaves() -> list[bytes]:
    return [
        tlog.leaf_data(
            bytes.fromhex(vector["statement"]),
            bytes.fromhex(vector["signature"]),
            RECORDED_AT + index * 1_000_000,
        )
        for index, vector in enumerate(VECTORS)
    ]


def test_section_11_prints_the_leaf_hashes_root_and_proof_the_code_computes() -> None:
    leaf_block, hashes_block = blocks(section(11))
    assert "".join(leaf_block.split()) == leaves()[0].hex()
    tree = merkle.MemoryTree()
    for data in leaves():
        tree.append(merkle.leaf_hash(data))
    printed = dict(
        re.findall(r"^(leaf hash \d|root, size 4)\s+([0-9a-f]{64})$", hashes_block, re.M)
    )
    assert printed == {
        **{f"leaf hash {i}": merkle.leaf_hash(data).hex() for i, data in enumerate(leaves())},
        "root, size 4": tree.root().hex(),
    }
    proof = re.findall(r"^\s+([0-9a-f]{64})$", hashes_block.split("inclusion proof")[1], re.M)
    assert proof == [h.hex() for h in merkle.inclusion_proof(1, 4, tree.fetch)]
    merkle.verify_inclusion(
        merkle.leaf_hash(leaves()[1]), 1, 4, [bytes.fromhex(h) for h in proof], tree.root()
    )


def test_section_12_prints_the_log_key_and_a_checkpoint_that_verifies() -> None:
    vkey_block, checkpoint_block = blocks(section(12))
    key = tlog.LogKey.from_seed(
        "example.lienthong/log", hashlib.sha256(b"lienthong golden log key").digest()
    )
    assert vkey_block.strip() == key.verifier.line()
    tree = merkle.MemoryTree()
    for data in leaves():
        tree.append(merkle.leaf_hash(data))
    assert checkpoint_block == key.sign_checkpoint(4, tree.root())
    opened = note.open_note(checkpoint_block, [note.parse_verifier(vkey_block.strip())])
    assert note.Checkpoint.parse(opened.text) == note.Checkpoint(
        "example.lienthong/log", 4, tree.root()
    )
