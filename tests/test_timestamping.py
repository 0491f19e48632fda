"""RFC 3161 timestamps of statements' signatures (ledger/timestamping.py), against a local TSA
served on 127.0.0.1 (tests/tsa.py): a token is asked for over SHA-256 of the signature, checked
before it is kept, and checks again offline with nothing but the TSA's roots; every way a TSA can
fail leaves the recording as it was and the statement waiting for the next catch-up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization

from ledger.config import LedgerSettings
from ledger.errors import BadTimestamp, TimestampUnavailable
from ledger.statements.signing import ED25519_KEY_BYTES
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import (
    TimestampClient,
    catch_up,
    certificate_entries,
    is_certificate_key,
    load_roots,
    stamp_recorded,
    verify_token,
)
from tests.pki import Hierarchy
from tests.tsa import (
    GEN_TIME,
    LocalTSA,
    other_root,
    refusing_url,
    running,
    tsa_certificate,
    write_pem,
)
from tests.world import World

SIGNATURE = hashlib.sha256(b"a statement's signature").digest() * 2  # 64 bytes, as r || s
OTHER_SIGNATURE = hashlib.sha256(b"another signature").digest() * 2


@pytest.fixture(scope="module")
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def tsa(hierarchy: Hierarchy) -> Iterator[LocalTSA]:
    with running(LocalTSA.of(hierarchy)) as served:
        yield served


def client_of(tsa: LocalTSA, **kwargs: object) -> TimestampClient:
    return TimestampClient(tsa.url, 5.0, tsa.roots, **kwargs)  # type: ignore[arg-type]


# --- the token, fetched and checked offline ----------------------------------------------------


def test_a_token_from_the_tsa_verifies_offline_and_gives_its_gen_time(hierarchy: Hierarchy) -> None:
    with running(LocalTSA.of(hierarchy)) as tsa, client_of(tsa) as client:
        token = client.token_for(SIGNATURE)
        roots = tsa.roots
    # the server is stopped: the check needs nothing but the token, the signature and the roots
    assert verify_token(token, SIGNATURE, roots) == GEN_TIME
    assert tsa.requests == 1


def test_the_request_asks_for_sha256_of_the_signature_with_a_nonce_and_the_certificate(
    tsa: LocalTSA,
) -> None:
    with client_of(tsa) as client:
        client.token_for(SIGNATURE)
        client.token_for(SIGNATURE)
    first, second = (tsp.TimeStampReq.load(query) for query in tsa.queries)
    imprint = first["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert imprint["hashed_message"].native == hashlib.sha256(SIGNATURE).digest()
    assert first["cert_req"].native is True
    assert first["nonce"].native is not None
    assert first["nonce"].native != second["nonce"].native


def test_the_gen_time_is_the_tsa_clocks(hierarchy: Hierarchy) -> None:
    later = datetime(2026, 7, 1, 2, 3, 4, tzinfo=UTC)
    with running(LocalTSA.of(hierarchy, gen_time=later)) as tsa, client_of(tsa) as client:
        stamp = client.stamp(SIGNATURE)
    assert stamp.gen_time == later
    assert verify_token(stamp.token, SIGNATURE, tsa.roots) == later


def test_a_token_for_another_signature_is_refused(tsa: LocalTSA) -> None:
    with client_of(tsa) as client:
        token = client.token_for(SIGNATURE)
    with pytest.raises(BadTimestamp, match="other bytes"):
        verify_token(token, OTHER_SIGNATURE, tsa.roots)


def test_a_token_under_an_untrusted_root_is_refused(tsa: LocalTSA) -> None:
    with client_of(tsa) as client:
        token = client.token_for(SIGNATURE)
    stranger = other_root().certificate
    with pytest.raises(BadTimestamp, match="does not verify"):
        verify_token(token, SIGNATURE, [stranger])
    # the same token, with the TSA's root among the trusted ones, holds
    assert verify_token(token, SIGNATURE, [stranger, *tsa.roots]) == GEN_TIME


def test_no_roots_verify_nothing(tsa: LocalTSA) -> None:
    with client_of(tsa) as client:
        token = client.token_for(SIGNATURE)
    with pytest.raises(BadTimestamp, match="no TSA root"):
        verify_token(token, SIGNATURE, [])
    with pytest.raises(ValueError, match="root certificates"):
        TimestampClient(tsa.url, 5.0, [])


def test_a_client_that_trusts_another_root_keeps_no_token(tsa: LocalTSA) -> None:
    with (
        TimestampClient(tsa.url, 5.0, [other_root().certificate]) as client,
        pytest.raises(BadTimestamp, match="does not verify"),
    ):
        client.token_for(SIGNATURE)
    assert tsa.requests == 1


def test_an_altered_token_is_refused(tsa: LocalTSA) -> None:
    with client_of(tsa) as client:
        token = client.token_for(SIGNATURE)
    # the imprint inside the signed TSTInfo, changed to the other signature's: the TSA's
    # signature no longer covers it
    imprint = hashlib.sha256(SIGNATURE).digest()
    at = token.index(imprint)
    altered = token[:at] + hashlib.sha256(OTHER_SIGNATURE).digest() + token[at + 32 :]
    with pytest.raises(BadTimestamp, match="does not verify"):
        verify_token(altered, OTHER_SIGNATURE, tsa.roots)
    for garbage in (b"", b"\x30\x00", token + b"\x00", token[:-1]):
        with pytest.raises(BadTimestamp, match="not a timestamp token"):
            verify_token(garbage, SIGNATURE, tsa.roots)


def test_a_tsa_certificate_without_the_time_stamping_usage_is_refused(
    hierarchy: Hierarchy,
) -> None:
    signer = tsa_certificate(hierarchy.ca, label="tsa-no-usage", time_stamping=False)
    tsa = LocalTSA.of(hierarchy, signer=signer)
    with running(tsa), client_of(tsa) as client, pytest.raises(BadTimestamp, match="purpose"):
        client.token_for(SIGNATURE)


def test_a_token_made_after_the_tsa_certificate_expired_is_refused(hierarchy: Hierarchy) -> None:
    tsa = LocalTSA.of(hierarchy, gen_time=datetime(2030, 1, 1, tzinfo=UTC))  # cert ends 2029
    with running(tsa), client_of(tsa) as client, pytest.raises(BadTimestamp, match="does not"):
        client.token_for(SIGNATURE)


# --- what a TSA that fails gives: no token, never a recording refused -------------------------


@pytest.mark.parametrize(
    ("mode", "problem", "words"),
    [
        ("reject", TimestampUnavailable, "refused the timestamp .*the test TSA refuses"),
        ("garbage", TimestampUnavailable, "not a timestamp response"),
        ("http-error", TimestampUnavailable, "HTTP 500"),
        ("other-imprint", BadTimestamp, "other bytes"),
        ("other-nonce", BadTimestamp, "nonce"),
    ],
)
def test_a_tsa_that_misbehaves_gives_no_token(
    tsa: LocalTSA, mode: str, problem: type[Exception], words: str
) -> None:
    tsa.mode = mode
    with client_of(tsa) as client, pytest.raises(problem, match=words):
        client.token_for(SIGNATURE)
    assert tsa.requests == 1


def test_a_tsa_that_is_down_gives_no_token() -> None:
    roots = [Hierarchy.build().root.certificate]
    with (
        refusing_url() as url,
        TimestampClient(url, 5.0, roots) as client,
        pytest.raises(TimestampUnavailable, match="cannot be reached"),
    ):
        client.token_for(SIGNATURE)


@pytest.mark.parametrize("failure", ["reject", "garbage", "down"])
def test_a_recording_stands_without_a_token_and_a_later_round_fetches_it(
    tsa: LocalTSA, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    world = World.build()
    receipt = world.receive()
    signature = world.ledger.received(receipt.subject).signature
    store = TimestampStore("memory:")
    entries = [(receipt.digest, signature)]
    now = world.clock.now()
    if failure == "down":
        with refusing_url() as url, TimestampClient(url, 5.0, tsa.roots) as down:
            result = stamp_recorded(store, down, entries, now=now)
    else:
        tsa.mode = failure
        with client_of(tsa) as client:
            result = stamp_recorded(store, client, entries, now=now)
    assert (result.stamped, result.had) == (0, 0)
    assert [digest for digest, _ in result.failed] == [receipt.digest]
    assert store.get(receipt.digest) is None
    assert receipt.digest.hex() in caplog.text
    assert "catch-up" in caplog.text
    assert world.ledger.received(receipt.subject).signature == signature  # recorded, as it was

    tsa.mode = "grant"
    asked = tsa.requests
    with client_of(tsa) as client:
        later = stamp_recorded(store, client, entries, now=now + 1)
        again = stamp_recorded(store, client, entries, now=now + 2)
    assert (later.stamped, later.had, later.failed) == (1, 0, ())
    kept = store.get(receipt.digest)
    assert kept is not None
    assert kept.recorded_at == now + 1
    assert verify_token(kept.token, signature, tsa.roots) == GEN_TIME
    assert kept.gen_time == int(GEN_TIME.timestamp()) * 1_000_000
    assert (again.stamped, again.had) == (0, 1)
    assert tsa.requests == asked + 1  # a statement with a token is not stamped again


def test_one_failure_does_not_stop_the_others(tsa: LocalTSA) -> None:
    store = TimestampStore("memory:")
    tsa.upcoming = ["http-error"]
    entries = [(bytes([1]) * 32, SIGNATURE), (bytes([2]) * 32, OTHER_SIGNATURE)]
    with client_of(tsa) as client:
        result = stamp_recorded(store, client, entries, now=7)
    assert result.stamped == 1
    assert [digest for digest, _ in result.failed] == [bytes([1]) * 32]
    assert set(store.get_many([bytes([1]) * 32, bytes([2]) * 32])) == {bytes([2]) * 32}


def test_a_store_that_fails_is_logged_not_raised(
    tsa: LocalTSA, caplog: pytest.LogCaptureFixture
) -> None:
    store = TimestampStore("memory:")
    store.close()  # every query now fails
    with client_of(tsa) as client:
        result = stamp_recorded(store, client, [(bytes(32), SIGNATURE)], now=7)
    assert result.stamped == 0
    assert [(digest, why.split(":")[0]) for digest, why in result.failed] == [(bytes(32), "store")]
    assert "the store cannot be read" in caplog.text


def test_ed25519_statements_are_not_stamped_by_the_catch_up(tsa: LocalTSA) -> None:
    world = World.build()
    world.receive()
    assert list(certificate_entries(world.ledger)) == []
    store = TimestampStore("memory:")
    with client_of(tsa) as client:
        result = catch_up(world.ledger, store, client, now=world.clock.now())
    assert (result.stamped, result.had, result.failed) == (0, 0, ())
    assert tsa.requests == 0
    assert not is_certificate_key(bytes(ED25519_KEY_BYTES))
    spki = (
        other_root()
        .certificate.public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert is_certificate_key(spki)


# --- the roots ----------------------------------------------------------------------------------


def test_roots_are_read_from_a_pem_file_or_a_directory(
    tmp_path: Path, hierarchy: Hierarchy
) -> None:
    stranger = other_root().certificate
    one = write_pem(tmp_path / "roots.pem", hierarchy.root.certificate, stranger)
    assert load_roots(one) == [hierarchy.root.certificate, stranger]
    directory = tmp_path / "roots"
    directory.mkdir()
    write_pem(directory / "a.pem", hierarchy.root.certificate)
    (directory / "b.cer").write_bytes(stranger.public_bytes(serialization.Encoding.DER))
    assert load_roots(directory) == [hierarchy.root.certificate, stranger]
    (directory / "c.txt").write_text("not a certificate")
    with pytest.raises(ValueError, match=r"c\.txt holds no readable certificate"):
        load_roots(directory)
    with pytest.raises(ValueError, match="cannot read"):
        load_roots(tmp_path / "missing.pem")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no TSA root"):
        load_roots(empty)


# --- the settings -------------------------------------------------------------------------------


def test_the_authority_is_configured_with_its_roots() -> None:
    settings = LedgerSettings.from_env(
        {"LIENTHONG_TSA_URL": "https://tsa.example.vn/tsr", "LIENTHONG_TSA_ROOTS": "/etc/tsa"}
    )
    assert (settings.tsa_url, settings.tsa_roots) == ("https://tsa.example.vn/tsr", "/etc/tsa")
    assert (LedgerSettings.from_env({}).tsa_url, LedgerSettings.from_env({}).tsa_roots) == ("", "")
    with pytest.raises(ValueError, match="LIENTHONG_TSA_ROOTS must name"):
        LedgerSettings.from_env({"LIENTHONG_TSA_URL": "https://tsa.example.vn/tsr"})
    with pytest.raises(ValueError, match="http:// or https://"):
        LedgerSettings.from_env(
            {"LIENTHONG_TSA_URL": "ftp://tsa.example.vn", "LIENTHONG_TSA_ROOTS": "/etc/tsa"}
        )
