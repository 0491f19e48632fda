"""A revoked key signs nothing more: once `key.revoked` is recorded, no statement signed with the
key is accepted, whatever instant it carries — not one back-dated into the clock tolerance, before
the revocation's `effective` — while what was recorded before the revocation stays valid. The full
audit and the bundle replay apply the same rule in log order. Runs on memory, SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import KeyRevoked
from domain.instant import format_local
from domain.officer import Key
from ledger.log.audit import audit
from ledger.log.bundle import export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.statements.authoring import Signer
from tests.apiworld import COMMUNE_OFFICER, Api, assert_problem, code_today, open_api
from tests.world import CODE, DAY, PROCEDURE, World

OTHER = "000.00.01.H59-250303-0002"
LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"test-log-key").digest())
TOLERANCE = 300 * 1_000_000  # inside the ledger's clock tolerance (600 s by default)


def revoke(world: World, office: str) -> int:
    """Revoke the key of `office`'s officer, effective now; returns that instant."""
    effective = world.clock.now()
    world.authority.record(
        "key.revoked",
        world.at(office).key.key_id,
        {"reason": "Mất thiết bị", "effective": effective},
    )
    return effective


def received(world: World, code: str, at: int) -> None:
    """The commune's officer receives `code` in a statement dated `at`."""
    fields = {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": bytes(32),
        "channel": "direct",
        "documents": [],
        "appointed": world.clock.now() + 20 * DAY,
    }
    world.at("29266").record("dossier.received", code, fields, at=at)


def old_rule(key: Key, at: int) -> None:
    """The rule the ledger applied before: a key valid at any `at` before the revocation's
    effective instant — which let a stolen key sign back-dated statements after its revocation."""
    if key.revoked is not None and at >= key.revoked:
        raise KeyRevoked(f"key {key.subject} was revoked from {format_local(key.revoked)}")


@pytest.fixture
def recorded_under_the_old_rule(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """A log as the earlier version recorded it: a dossier received with a key, the key revoked,
    then a statement back-dated by 300 s, signed with it and recorded after the revocation."""
    world.receive()
    world.later()
    with monkeypatch.context() as patched:
        patched.setattr(Key, "require_valid", old_rule)
        revoked_at = revoke(world, "29266")
        received(world, OTHER, revoked_at - TOLERANCE)
    return world


def test_refuses_a_statement_back_dated_before_the_revocation_once_it_is_recorded(
    world: World,
) -> None:
    world.later()
    revoked_at = revoke(world, "29266")
    size = world.ledger.log_size()

    with pytest.raises(KeyRevoked, match="nothing signed with it is accepted any more"):
        received(world, CODE, revoked_at - TOLERANCE)

    assert world.ledger.head("dossier", CODE)[0] == 0
    assert world.ledger.log_size() == size


def test_refuses_a_back_dated_statement_in_a_batch_after_the_revocation(world: World) -> None:
    world.later()
    revoked_at = world.clock.now()
    key_id = world.at("29266").key.key_id
    revocation = world.authority.envelope(
        "key.revoked", key_id, {"reason": "Mất thiết bị", "effective": revoked_at}
    )
    back_dated = world.at("29266").envelope(
        "dossier.received",
        CODE,
        {
            "procedure": PROCEDURE,
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [],
            "appointed": revoked_at + 20 * DAY,
        },
        at=revoked_at - TOLERANCE,
    )

    outcomes = world.ledger.record_many(
        [
            (revocation.statement, revocation.signature),
            (back_dated.statement, back_dated.signature),
        ]
    )

    assert isinstance(outcomes[1], KeyRevoked)
    assert world.ledger.head("dossier", CODE)[0] == 0


def test_what_a_key_signed_before_its_revocation_stays_valid(world: World) -> None:
    world.receive()
    world.later()
    revoke(world, "29266")

    report = audit(world.ledger, workers=1)

    assert report.ok, [finding.describe() for finding in report.findings]
    assert world.ledger.dossier(CODE).custodian == "29266"


def test_the_audit_names_an_entry_signed_after_its_keys_revocation(
    recorded_under_the_old_rule: World,
) -> None:
    ledger = recorded_under_the_old_rule.ledger
    size = ledger.log_size()

    report = audit(ledger, workers=1)

    [finding] = report.findings
    assert (finding.position, finding.subject, finding.seq) == (size, OTHER, 1)
    assert f"whose revocation was recorded earlier (entry {size - 1})" in finding.problem


def test_the_audit_on_workers_names_it_too(recorded_under_the_old_rule: World) -> None:
    report = audit(recorded_under_the_old_rule.ledger, workers=2)
    assert [finding.subject for finding in report.findings] == [OTHER]


def test_a_bundle_replay_refuses_an_entry_signed_after_its_keys_revocation(
    recorded_under_the_old_rule: World,
) -> None:
    ledger = recorded_under_the_old_rule.ledger
    ledger.issue_checkpoint(LOG_KEY)
    sound = verify_bundle(export(ledger, CODE).encode(), LOG_KEY.verifier)
    assert sound.ok, sound.problems

    report = verify_bundle(export(ledger, OTHER).encode(), LOG_KEY.verifier)

    assert not report.ok
    [problem] = report.problems
    assert problem.startswith(f"entry {ledger.log_size()} (dossier.received {OTHER}, seq 1)")
    assert "nothing signed with it is accepted any more" in problem


# --- through the API ---------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as opened:
        yield opened


def test_the_api_refuses_a_back_dated_statement_signed_with_a_revoked_key(api: Api) -> None:
    """The attack as tried on the live server: revoked now, then a statement dated 300 s earlier."""
    key = api.key(COMMUNE_OFFICER)
    client = api.client("officer")
    code = code_today(api.services, 301)
    body = {
        "procedure": "merit-education-preference",
        "version": 2,
        "applicant": bytes(32),
        "channel": "direct",
        "documents": [],
    }
    back_dated = client.prepare(key, "dossier.received", code, body, at=api.clock.now() - TOLERANCE)
    authority = Signer.authority(api.services.ledger, demo_key(AUTHORITY_KEY_NAME))
    authority.record(
        "key.revoked", key.key_id, {"reason": "Mất thiết bị", "effective": api.clock.now()}
    )
    size = api.services.ledger.log_size()

    response = api.http.post(
        "/v1/statements",
        json={
            "statement": base64.b64encode(back_dated).decode(),
            "signature": base64.b64encode(key.sign(back_dated)).decode(),
        },
        headers=api.headers("officer"),
    )

    problem = assert_problem(response, 422, "key-revoked")
    assert "whatever its date" in problem["detail"]
    assert api.services.ledger.log_size() == size


def test_a_key_whose_revocation_is_recorded_is_not_valid_now_even_before_its_effective_instant(
    api: Api,
) -> None:
    key = api.key(COMMUNE_OFFICER)
    later = api.clock.now() + DAY
    authority = Signer.authority(api.services.ledger, demo_key(AUTHORITY_KEY_NAME))
    authority.record("key.revoked", key.key_id, {"reason": "Nghỉ hưu", "effective": later})

    response = api.http.get(f"/v1/registry/keys/{key.key_id}", headers=api.headers("consumer"))

    assert response.status_code == 200, response.text
    assert (response.json()["revoked_at"], response.json()["valid_now"]) == (later, False)
