"""Witnesses: independent parties that cosign a log's checkpoints once they have checked that the log
only grew since the last checkpoint they saw (C2SP tlog-cosignature, cosignature/v1).

A witness keeps, per log origin, the size and root it last cosigned. Shown a new checkpoint signed
by the log's key and a consistency proof from that size, it verifies the proof and cosigns; shown a
checkpoint that is not an extension of what it saw — a different root at the same size, a smaller
size, a proof that fails — it refuses: the log was forked or rolled back, and that is exactly what a
witness exists to catch. The ledger keeps the cosignatures of its configured witnesses beside the
checkpoint they cosign, and hands them out with it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import BadCheckpoint, BadKeyFile, LogForked
from ledger.log import merkle, note
from ledger.log.storage.tree import LogStore
from ledger.statements import signing

WITNESS_KEY_TYPE = "lienthong-witness-key"


@dataclass(frozen=True)
class WitnessKey:
    name: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> WitnessKey:
        key = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        key.verifier  # noqa: B018 — checks the name
        return key

    @classmethod
    def generate(cls, name: str) -> WitnessKey:
        key = cls(name, Ed25519PrivateKey.generate())
        key.verifier  # noqa: B018
        return key

    @property
    def public_key(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def cosigner(self) -> note.Cosigner:
        return note.Cosigner(self.name, self.private)

    @property
    def verifier(self) -> note.Verifier:
        """The witness's public key (C2SP vkey, type 0x04), for logs and verifiers to trust."""
        return note.verifier(self.name, self.public_key, note.COSIGNATURE_V1)

    def save(self, path: Path) -> None:
        """Write the key file with mode 0600, refusing to overwrite an existing file."""
        signing.write_key_file(
            path,
            {
                "type": WITNESS_KEY_TYPE,
                "name": self.name,
                "verifier": self.verifier.line(),
                "seed": base64.b64encode(signing.private_seed(self.private)).decode(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> WitnessKey:
        document, seed = signing.read_key_file(path, WITNESS_KEY_TYPE, "witness key")
        try:
            return cls.from_seed(document["name"], seed)
        except (ValueError, KeyError, TypeError, note.NoteError) as problem:
            raise BadKeyFile(f"{path} is not a Liên thông witness key file: {problem}") from None


@dataclass(frozen=True)
class Seen:
    size: int
    root: bytes


class WitnessState:
    """What a witness last cosigned, per log origin, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.logs: dict[str, Seen] = {}
        if path.exists():
            try:
                document: Any = json.loads(path.read_text(encoding="utf-8"))
                self.logs = {
                    origin: Seen(int(item["size"]), base64.b64decode(item["root"], validate=True))
                    for origin, item in document["logs"].items()
                }
            except (OSError, ValueError, KeyError, TypeError, binascii.Error) as problem:
                raise BadKeyFile(f"{path} is not a witness state file: {problem}") from None

    def save(self) -> None:
        document = {
            "logs": {
                origin: {"size": seen.size, "root": base64.b64encode(seen.root).decode()}
                for origin, seen in sorted(self.logs.items())
            }
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)


def cosign(
    checkpoint_note: str,
    proof: Sequence[bytes],
    log_key: note.Verifier,
    key: WitnessKey,
    state: WitnessState,
    now_seconds: int,
) -> str:
    """Check the checkpoint against what this witness saw of the log and cosign it; returns the
    cosignature line. Raises BadCheckpoint for a note the log key did not sign, LogForked for a
    checkpoint that does not extend the last one seen (nothing is cosigned or remembered then)."""
    try:
        opened = note.open_note(checkpoint_note, [log_key])
        checkpoint = note.Checkpoint.parse(opened.text)
    except note.NoteError as problem:
        raise BadCheckpoint(f"not a checkpoint of log {log_key.name}: {problem}") from None
    if checkpoint.origin != log_key.name:
        raise BadCheckpoint(
            f"the checkpoint is for log {checkpoint.origin!r}, not {log_key.name!r}"
        )
    seen = state.logs.get(checkpoint.origin)
    if seen is not None:
        _check_extends(seen, checkpoint, proof)
    line = key.cosigner.cosign(opened.text, now_seconds)
    state.logs[checkpoint.origin] = Seen(checkpoint.size, checkpoint.root)
    state.save()
    return line


def _check_extends(seen: Seen, checkpoint: note.Checkpoint, proof: Sequence[bytes]) -> None:
    origin = checkpoint.origin
    if checkpoint.size < seen.size:
        raise LogForked(
            f"log {origin} shows size {checkpoint.size}, but this witness already cosigned size "
            f"{seen.size}: the log went back (rolled back or forked); refusing to cosign"
        )
    if checkpoint.size == seen.size and checkpoint.root != seen.root:
        raise LogForked(
            f"log {origin} shows root {checkpoint.root.hex()[:16]}… at size {seen.size}, but this "
            f"witness cosigned root {seen.root.hex()[:16]}… at that size: two different logs "
            f"(a fork); refusing to cosign"
        )
    try:
        merkle.verify_consistency(seen.size, checkpoint.size, seen.root, checkpoint.root, proof)
    except merkle.ProofError as problem:
        raise LogForked(
            f"log {origin} at size {checkpoint.size} is not an extension of the size {seen.size} "
            f"this witness cosigned ({problem}): the log was rewritten (a fork); refusing to cosign"
        ) from None


def accept_cosignatures(
    log: LogStore, cosigned_note: str, witnesses: Sequence[note.Verifier], now: int
) -> list[str]:
    """Keep the cosignatures in `cosigned_note` (a checkpoint note with cosignature lines added)
    made by configured witnesses over a checkpoint this log issued. Returns the witness names kept.
    Raises BadCheckpoint if the checkpoint is not one of this log's, or a cosignature fails."""
    parsed = note.parse_note(cosigned_note)
    checkpoint = note.Checkpoint.parse(parsed.text)
    kept = log.checkpoint(checkpoint.size)
    if kept is None or note.parse_note(kept.note).text != parsed.text:
        raise BadCheckpoint(
            f"this log issued no checkpoint with that text at size {checkpoint.size}"
        )
    accepted: list[str] = []
    for signature in parsed.signatures:
        for witness in witnesses:
            if signature.name == witness.name and signature.key_hash == witness.key_hash:
                try:
                    note.verify_cosignature(signature, parsed.text, witness)
                except note.NoteError as problem:
                    raise BadCheckpoint(str(problem)) from None
                log.put_cosignature(checkpoint.size, witness.name, signature.line, now)
                accepted.append(witness.name)
    if not accepted:
        names = ", ".join(w.name for w in witnesses) or "none configured"
        raise BadCheckpoint(f"the note carries no cosignature by a configured witness ({names})")
    return accepted


def encode_proof(old_size: int, new_size: int, proof: Sequence[bytes]) -> str:
    """A consistency proof as a small JSON document, for witnesses that work from files."""
    return json.dumps(
        {
            "old_size": old_size,
            "new_size": new_size,
            "proof": [base64.b64encode(h).decode() for h in proof],
        },
        indent=2,
    )


def decode_proof(text: str) -> tuple[int, int, list[bytes]]:
    try:
        document: Any = json.loads(text)
        return (
            int(document["old_size"]),
            int(document["new_size"]),
            [base64.b64decode(h, validate=True) for h in document["proof"]],
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as problem:
        raise BadCheckpoint(
            f"a consistency proof file is JSON with old_size, new_size and base64 proof: {problem}"
        ) from None
