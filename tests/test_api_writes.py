"""Writing through the HTTP API: prepare, sign on the client, submit; and every refusal."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest

from api.client import ApiProblem, Client
from domain.statement import FILE_KINDS
from ledger.statements.signing import Envelope, SigningKey
from ledger.stores.applicants import applicant_commitment
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    Api,
    assert_problem,
    code_today,
    open_api,
)

RECEIVE = {
    "procedure": "merit-education-preference",
    "version": 2,
    "channel": "direct",
    "documents": [{"name": DOCUMENT["name"], "sha256": DOCUMENT["sha256"].hex()}],
}
COMMITTED = {**RECEIVE, "applicant": "11" * 32}  # the client kept the applicant record itself


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(database_url, tmp_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("api-writes")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


def receive(api: Api, code: str, **extra: Any) -> dict[str, Any]:
    body = RECEIVE if "applicant" in extra else COMMITTED
    return api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, body, **extra
    )


def envelope_json(envelope: Envelope) -> dict[str, str]:
    return {
        "statement": base64.b64encode(envelope.statement).decode(),
        "signature": base64.b64encode(envelope.signature).decode(),
    }


def signed(api: Api, officer: str, kind: str, code: str, body: dict[str, Any]) -> Envelope:
    key = api.key(officer)
    role = "officer" if officer == COMMUNE_OFFICER else "province_officer"
    raw = api.client(role).prepare(key, kind, code, body)
    if kind in FILE_KINDS:
        api.attach(code, role)  # the files it lists go up first, as the client does
    return Envelope(raw, key.sign(raw))


def post(api: Api, role: str | None, body: Any, **kwargs: Any) -> Any:
    headers = api.headers(role) if role else {}
    return api.http.post("/v1/statements", json=body, headers=headers, **kwargs)


# --- the happy paths, on every backend --------------------------------------------------------


def test_receiving_with_applicant_details_signs_only_their_commitment(api: Api) -> None:
    code = code_today(api.services, 101)
    receipt = receive(api, code, applicant=APPLICANT)

    assert receipt["seq"] == 1
    assert receipt["duplicate"] is False
    assert len(receipt["receipt_secret"]) == 10
    [entry] = api.client("officer").history(code)
    raw = base64.b64decode(entry["statement"])
    assert APPLICANT["full_name"].encode() not in raw
    assert APPLICANT["phone"].encode() not in raw
    stored = api.client("officer").applicant(code)
    assert stored["details"] == APPLICANT
    commitment = applicant_commitment(bytes.fromhex(stored["salt"]), APPLICANT)
    assert entry["decoded"]["body"]["applicant"] == commitment.hex() == stored["commitment"]


def test_dispatch_and_acknowledgement_through_the_api_move_custody(api: Api) -> None:
    code = code_today(api.services, 102)
    receive(api, code)
    sent = api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "handover.dispatched",
        code,
        {"to": PROVINCE, "purpose": "process", "documents": RECEIVE["documents"]},
    )
    assert api.client("province_officer").location(code)["transit_to"] == PROVINCE
    assert [item["code"] for item in api.client("province_officer").inbox(PROVINCE)] == [code]

    api.clock.advance(3600)
    taken = api.client("province_officer").record(
        api.key(PROVINCE_OFFICER),
        "handover.acknowledged",
        code,
        {"dispatch": sent["digest"], "documents": RECEIVE["documents"]},
    )

    assert taken["seq"] == 3
    assert taken["leaf_index"] == sent["leaf_index"] + 1
    where = api.client("consumer").location(code)
    assert (where["status"], where["custodian"], where["hops"]) == ("held", PROVINCE, 1)
    assert api.client("province_officer").inbox(PROVINCE) == []


def test_the_same_signed_statement_twice_returns_the_original_receipt(api: Api) -> None:
    code = code_today(api.services, 103)
    envelope = signed(api, COMMUNE_OFFICER, "dossier.received", code, COMMITTED)
    first = post(api, "officer", envelope_json(envelope))
    size = api.services.ledger.log_size()

    again = post(api, "officer", envelope_json(envelope))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert {k: v for k, v in again.json().items() if k != "duplicate"} == {
        k: v for k, v in first.json().items() if k != "duplicate"
    }
    assert api.services.ledger.log_size() == size


# --- one SQLite server for the rest -------------------------------------------------------------


def test_a_msgpack_envelope_is_recorded_like_a_json_one(shared: Api) -> None:
    code = code_today(shared.services, 111)
    envelope = signed(shared, COMMUNE_OFFICER, "dossier.received", code, COMMITTED)
    body = msgpack.packb({"statement": envelope.statement, "signature": envelope.signature})

    response = shared.http.post(
        "/v1/statements",
        content=body,
        headers={**shared.headers("officer"), "Content-Type": "application/msgpack"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["subject"] == code


def test_a_stale_head_is_a_409_carrying_the_current_head(shared: Api) -> None:
    code = code_today(shared.services, 112)
    receive(shared, code)
    body = {"to": PROVINCE, "purpose": "process", "documents": []}
    first = signed(shared, COMMUNE_OFFICER, "handover.dispatched", code, body)
    second = signed(shared, COMMUNE_OFFICER, "dossier.withdrawn", code, {"reason": "rút"})
    recorded = post(shared, "officer", envelope_json(first)).json()

    response = post(shared, "officer", envelope_json(second))

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/stale-head"
    assert problem["current"] == {"subject": code, "seq": 2, "head": recorded["digest"]}


def test_the_client_signs_again_once_when_its_head_went_stale(shared: Api) -> None:
    code = code_today(shared.services, 113)
    receive(shared, code)
    client = shared.client("officer")
    key = shared.key(COMMUNE_OFFICER)
    stale = client.prepare(key, "dossier.withdrawn", code, {"reason": "rút"})  # on seq 1
    sent = client.record(
        key, "handover.dispatched", code, {"to": PROVINCE, "purpose": "process", "documents": []}
    )
    client.record(key, "handover.recalled", code, {"dispatch": sent["digest"], "reason": "nhầm"})
    calls: list[bytes] = []
    real_prepare = client.prepare

    def first_stale(*args: Any, **kwargs: Any) -> bytes:
        calls.append(stale if not calls else real_prepare(*args, **kwargs))
        return calls[-1]

    client.prepare = first_stale  # type: ignore[method-assign]
    receipt = client.record(key, "dossier.withdrawn", code, {"reason": "rút"})

    assert len(calls) == 2
    assert calls[0] == stale
    assert (receipt["kind"], receipt["seq"]) == ("dossier.withdrawn", 4)


def test_the_client_refuses_to_sign_bytes_that_say_something_else(shared: Api) -> None:
    client = shared.client("officer")
    key = shared.key(COMMUNE_OFFICER)
    code, other_code = code_today(shared.services, 114), code_today(shared.services, 115)
    real = client.prepare(key, "dossier.received", code, COMMITTED)
    other = client.prepare(key, "dossier.received", other_code, COMMITTED)

    def lying(*_args: Any, **_kwargs: Any) -> Any:
        return {"statement": base64.b64encode(other).decode()}

    client._json = lying  # type: ignore[method-assign]
    with pytest.raises(Exception, match="not what was asked"):
        client.prepare(key, "dossier.received", code, COMMITTED)
    assert real != other


# --- refusals: nothing recorded, a problem naming what is wrong ---------------------------------


@pytest.fixture
def size_unchanged(shared: Api) -> Iterator[None]:
    before = shared.services.ledger.log_size()
    yield
    assert shared.services.ledger.log_size() == before


def test_submitting_without_a_token_is_401(shared: Api, size_unchanged: None) -> None:
    envelope = signed(
        shared, COMMUNE_OFFICER, "dossier.received", code_today(shared.services, 116), COMMITTED
    )
    response = post(shared, None, envelope_json(envelope))
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_consumer_may_not_submit(shared: Api, size_unchanged: None) -> None:
    envelope = signed(
        shared, COMMUNE_OFFICER, "dossier.received", code_today(shared.services, 117), COMMITTED
    )
    assert_problem(post(shared, "consumer", envelope_json(envelope)), 403, "forbidden")


def test_an_officer_token_submits_only_its_own_officers_statements(
    shared: Api, size_unchanged: None
) -> None:
    envelope = signed(
        shared, COMMUNE_OFFICER, "dossier.received", code_today(shared.services, 118), COMMITTED
    )
    problem = assert_problem(
        post(shared, "province_officer", envelope_json(envelope)), 403, "forbidden"
    )
    assert COMMUNE_OFFICER in problem["detail"]


def test_an_officer_may_not_submit_registry_statements(shared: Api, size_unchanged: None) -> None:
    key = shared.key(COMMUNE_OFFICER)
    response = shared.http.post(
        "/v1/statements/prepare",
        headers=shared.headers("officer"),
        json={
            "kind": "office.renamed",
            "subject": COMMUNE,
            "office": COMMUNE,
            "officer": COMMUNE_OFFICER,
            "key": key.key_id,
            "body": {"name": "Xã Mới", "effective": "2025-08-01"},
        },
    )
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"statement": "not base64!", "signature": "AA=="}, "bad-envelope"),
        ({"statement": "AA=="}, "bad-envelope"),
        ([1, 2, 3], "bad-envelope"),
    ],
)
def test_a_malformed_envelope_is_422(
    shared: Api, size_unchanged: None, body: Any, code: str
) -> None:
    assert_problem(post(shared, "officer", body), 422, code)


def test_a_truncated_statement_is_422(shared: Api, size_unchanged: None) -> None:
    envelope = signed(
        shared, COMMUNE_OFFICER, "dossier.received", code_today(shared.services, 119), COMMITTED
    )
    cut = Envelope(envelope.statement[:-3], envelope.signature)
    assert_problem(post(shared, "officer", envelope_json(cut)), 422, "truncated-statement")


def test_a_signature_that_does_not_verify_is_422(shared: Api, size_unchanged: None) -> None:
    envelope = signed(
        shared, COMMUNE_OFFICER, "dossier.received", code_today(shared.services, 120), COMMITTED
    )
    broken = Envelope(
        envelope.statement, bytes([envelope.signature[0] ^ 1]) + envelope.signature[1:]
    )
    assert_problem(post(shared, "officer", envelope_json(broken)), 422, "bad-signature")


def test_a_statement_against_a_custody_rule_is_422_naming_the_rule(
    shared: Api, size_unchanged: None
) -> None:
    envelope = signed(
        shared,
        COMMUNE_OFFICER,
        "handover.dispatched",
        "NEVER-RECEIVED",
        {"to": PROVINCE, "purpose": "process", "documents": []},
    )
    problem = assert_problem(
        post(shared, "officer", envelope_json(envelope)), 422, "unknown-dossier"
    )
    assert "NEVER-RECEIVED" in problem["detail"]


def test_a_statement_signed_far_from_the_ledgers_clock_is_422(
    shared: Api, size_unchanged: None
) -> None:
    key = shared.key(COMMUNE_OFFICER)
    code = code_today(shared.services, 121)
    raw = shared.client("officer").prepare(
        key, "dossier.received", code, COMMITTED, at=shared.clock.now() - 3600 * 1_000_000
    )
    envelope = Envelope(raw, key.sign(raw))
    shared.attach(code)  # the skew is what is wrong, not a missing file
    assert_problem(post(shared, "officer", envelope_json(envelope)), 422, "clock-skew")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "dossier.teleported"}, "unknown-kind"),
        ({"body": {**RECEIVE, "version": "two"}}, "bad-field"),
        ({"body": {**RECEIVE, "colour": "red"}}, "unknown-field"),
        (
            {"kind": "dossier.withdrawn", "body": {"reason": "x"}, "applicant": APPLICANT},
            "bad-request",
        ),
        ({"body": {**RECEIVE, "applicant": "00" * 32}, "applicant": APPLICANT}, "bad-request"),
        ({"applicant": {"full_name": ""}}, "malformed-request"),
        ({"at": -5}, "malformed-request"),
    ],
)
def test_prepare_refuses_what_it_cannot_build(
    shared: Api, size_unchanged: None, change: dict[str, Any], code: str
) -> None:
    key = shared.key(COMMUNE_OFFICER)
    request = {
        "kind": "dossier.received",
        "subject": code_today(shared.services, 122),
        "office": COMMUNE,
        "officer": COMMUNE_OFFICER,
        "key": key.key_id,
        "body": RECEIVE,
        **change,
    }
    response = shared.http.post(
        "/v1/statements/prepare", json=request, headers=shared.headers("officer")
    )
    assert_problem(response, 422, code)


def test_a_registrar_records_registry_statements(shared: Api) -> None:
    from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key

    authority = SigningKey(demo_key(AUTHORITY_KEY_NAME).private, "authority", "authority")
    client = Client(http=shared.http, token=shared.tokens["registrar"])
    receipt = client.record(
        authority,
        "office.renamed",
        "86",
        {"name": "Sở Nội vụ tỉnh Trà Vinh", "effective": "2025-08-01"},
    )
    assert receipt["kind"] == "office.renamed"
    with pytest.raises(ApiProblem) as refused:
        client.record(authority, "dossier.received", code_today(shared.services, 123), COMMITTED)
    assert refused.value.status == 403


# --- the writer groups concurrent statements into one transaction -------------------------------


def test_statements_queued_while_a_group_is_saved_are_saved_together(shared: Api) -> None:
    writer = shared.services.writer
    ledger = shared.services.ledger
    codes = [code_today(shared.services, 130 + n) for n in range(6)]
    envelopes = [
        signed(shared, COMMUNE_OFFICER, "dossier.received", code, COMMITTED) for code in codes
    ]
    release, holding = threading.Event(), threading.Event()
    real = ledger.record_many

    def held_first(batch: Any) -> Any:
        if not holding.is_set():
            holding.set()
            release.wait(timeout=30)
        return real(batch)

    ledger.record_many = held_first  # type: ignore[method-assign]
    try:
        groups = writer.groups
        first = writer.submit(envelopes[0].statement, envelopes[0].signature)
        assert holding.wait(timeout=30)
        rest = [writer.submit(e.statement, e.signature) for e in envelopes[1:]]
        release.set()
        receipts = [future.result(timeout=30) for future in [first, *rest]]
    finally:
        ledger.record_many = real  # type: ignore[method-assign]

    assert writer.groups - groups == 2  # the first alone, the five that queued behind it together
    assert [r.subject for r in receipts] == codes
    indexes = [ledger.leaf_index("dossier", r.subject, 1) for r in receipts]
    assert indexes == list(range(indexes[0], indexes[0] + 6))


def test_an_idle_writer_issues_the_checkpoint_that_is_due(shared: Api) -> None:
    ledger = shared.services.ledger
    receive(shared, code_today(shared.services, 124))
    assert ledger.checkpointer is not None
    shared.clock.advance(ledger.settings.checkpoint_every_seconds + 1)

    shared.services.writer.idle()

    kept = ledger.checkpoint()
    assert kept is not None
    assert kept.size == ledger.log_size()
