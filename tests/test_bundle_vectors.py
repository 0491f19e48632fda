"""The bundle vectors of tests/golden/bundles.json (made by tests/golden/make_bundles.py), as the
server's replay judges them: the browser's check (tests/js/verify.test.mjs) must reach the same
verdicts on the same files. A dossier received with a key before its revocation verifies; one
received with it after the revocation was recorded — dated before it — is refused, naming that
entry, though the key's revocation is not yet effective at the date the statement carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.log import bundle, note
from ledger.statements import schema

VECTORS = Path(__file__).parent / "golden" / "bundles.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return loaded


def verdict(vectors: dict[str, Any], name: str) -> bundle.BundleReport:
    data = bytes.fromhex(vectors[name]["bundle"])
    return bundle.verify_bundle(data, note.parse_verifier(vectors["log_key"]))


def test_the_sound_vector_verifies_with_its_keys_revocation_after_its_entries(
    vectors: dict[str, Any],
) -> None:
    report = verdict(vectors, "sound")

    assert report.ok, report.problems
    assert report.dossier == vectors["sound"]["dossier"]
    key = vectors["revoked"]["key"]
    kinds = [
        (entry.index, schema.parse(entry.statement))
        for entry in bundle.Bundle.decode(bytes.fromhex(vectors["sound"]["bundle"])).entries
    ]
    revocations = [index for index, s in kinds if s.kind == "key.revoked" and s.subject == key]
    signed = [index for index, s in kinds if s.key == key]
    assert revocations == [vectors["revoked"]["revocation"]]
    assert signed
    assert max(signed) < revocations[0]  # what the key signed comes before its revocation


def test_the_revoked_vector_is_refused_at_the_entry_signed_after_its_keys_revocation(
    vectors: dict[str, Any],
) -> None:
    revoked = vectors["revoked"]
    entries = bundle.Bundle.decode(bytes.fromhex(revoked["bundle"])).entries
    late = next(entry for entry in entries if entry.index == revoked["entry"])
    statement = schema.parse(late.statement)
    revocation = next(entry for entry in entries if entry.index == revoked["revocation"])
    effective = schema.parse(revocation.statement).body["effective"]

    report = verdict(vectors, "revoked")

    assert not report.ok
    [problem] = report.problems
    assert problem.startswith(
        f"entry {revoked['entry'] + 1} (dossier.received {revoked['dossier']}, seq 1): "
        f"key {revoked['key']}"
    )
    assert "nothing signed with it is accepted any more, whatever its date" in problem
    assert statement.key == revoked["key"]
    assert statement.at < effective  # dated before the revocation took effect
