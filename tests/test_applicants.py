"""Applicant records: commitments, the data key file, and the encrypted store on every backend."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import (
    ApplicantErased,
    ApplicantExists,
    ApplicantHeld,
    ApplicantMismatch,
    ApplicantUnreadable,
    BadApplicantDetails,
    BadKeyFile,
    UnknownApplicant,
)
from ledger.simulation.demo import demo_applicant
from ledger.statements import canonical
from ledger.statements.signing import SigningKey
from ledger.stores import applicants
from ledger.stores.applicants import (
    HOLD_MICROS,
    RECEIPT_ALPHABET,
    ApplicantStore,
    DataKey,
    applicant_commitment,
)

KEY = DataKey(hashlib.sha256(b"lienthong applicant tests: data key").digest())
OTHER_KEY = DataKey(hashlib.sha256(b"lienthong applicant tests: another data key").digest())
SALT = hashlib.sha256(b"lienthong applicant tests: salt").digest()
NOW = 1_750_000_000_000_000
DAY = 24 * 3600 * 1_000_000
CODE = "000.00.01.H59-250602-0001"
OTHER_CODE = "000.00.01.H59-250602-0002"
DETAILS = {"name": "Nguyễn Văn A", "address": "Ấp Mẫu, Trà Vinh", "phone": "0000 000 000"}
OFFICE, OTHER_OFFICE = "29266", "86"
BY = {"office": OFFICE, "officer": "cb-29266-vhxh"}  # who proposes, unless a test says otherwise


@pytest.fixture
def store(database_url: str) -> Iterator[ApplicantStore]:
    opened = ApplicantStore(database_url, KEY)
    try:
        yield opened
    finally:
        opened.close()


def reopen(database_url: str, store: ApplicantStore, key: DataKey) -> ApplicantStore:
    """Another store on the same tables; on memory:, a new database given a copy of the rows."""
    other = ApplicantStore(database_url, key)
    if database_url == "memory:":
        with other.transaction() as cursor:
            for row in store.query("SELECT * FROM lienthong_applicants"):
                cursor.execute(
                    "INSERT INTO lienthong_applicants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
                )
            for row in store.query("SELECT * FROM lienthong_applicant_keys"):
                cursor.execute("INSERT INTO lienthong_applicant_keys VALUES (?, ?)", row)
    return other


def flipped(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 1
    return bytes(changed)


def other_secret(secret: str) -> str:
    """The secret with its first character changed: a wrong guess one character off."""
    replacement = "0" if secret[0] != "0" else "1"
    return replacement + secret[1:]


# --- the commitment -----------------------------------------------------------------------------


def test_commitment_is_sha256_of_salt_then_the_canonical_details_map() -> None:
    # {"a": "x", "b": "y"}: fixmap of 2, keys sorted, each string a fixstr
    encoded = bytes.fromhex("82 a1 61 a1 78 a1 62 a1 79")
    assert (
        applicant_commitment(SALT, {"b": "y", "a": "x"}) == hashlib.sha256(SALT + encoded).digest()
    )
    assert (
        applicant_commitment(SALT, DETAILS)
        == hashlib.sha256(SALT + canonical.encode(DETAILS)).digest()
    )


def test_commitment_changes_with_any_field_or_the_salt() -> None:
    base = applicant_commitment(SALT, DETAILS)
    assert len(base) == 32
    for name in DETAILS:
        assert applicant_commitment(SALT, {**DETAILS, name: DETAILS[name] + "."}) != base
        assert applicant_commitment(SALT, {k: v for k, v in DETAILS.items() if k != name}) != base
    assert applicant_commitment(SALT, {**DETAILS, "extra": ""}) != base
    assert applicant_commitment(flipped(SALT, 31), DETAILS) != base


@pytest.mark.parametrize(
    "details",
    [{"name": "Nguye\u0302\u0303n"}, {"age": 42}, {1: "one"}, {"name": b"bytes"}],
    ids=["not-nfc", "int-value", "int-key", "bytes-value"],
)
def test_commitment_refuses_details_that_are_not_nfc_text(details: dict[object, object]) -> None:
    with pytest.raises(BadApplicantDetails):
        applicant_commitment(SALT, details)  # type: ignore[arg-type]


def test_commitment_refuses_a_salt_that_is_not_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        applicant_commitment(SALT[:16], DETAILS)


def test_the_demo_commits_to_made_up_details_under_a_fixed_salt() -> None:
    salt, details = demo_applicant(CODE)
    assert salt == hashlib.sha256(f"demo salt|{CODE}".encode()).digest()
    assert demo_applicant(CODE) == (salt, details)
    assert demo_applicant(OTHER_CODE)[0] != salt
    assert len(applicant_commitment(salt, details)) == 32


# --- the data key file --------------------------------------------------------------------------


def test_data_key_file_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    KEY.save(path)
    assert DataKey.load(path) == KEY
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_data_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    KEY.save(path)
    with pytest.raises(FileExistsError):
        OTHER_KEY.save(path)
    assert DataKey.load(path) == KEY


def test_a_signing_key_file_is_refused_as_a_data_key(tmp_path: Path) -> None:
    path = tmp_path / "officer.key"
    SigningKey.from_seed(bytes(32)).save(path)
    with pytest.raises(BadKeyFile, match="lienthong-ed25519-private-key"):
        DataKey.load(path)


def test_a_missing_data_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadKeyFile, match="does not exist"):
        DataKey.load(tmp_path / "absent.key")


def test_a_data_key_is_32_bytes_and_never_printed() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        DataKey(bytes(16))
    assert KEY.secret.hex() not in repr(KEY)
    assert DataKey.generate() != DataKey.generate()


# --- the store ----------------------------------------------------------------------------------


def test_a_proposed_record_reads_back(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    record = store.read(CODE)
    assert (record.code, record.details, record.salt) == (CODE, DETAILS, proposal.salt)
    assert record.commitment == proposal.commitment
    assert not record.recorded


def test_the_proposal_commits_to_its_salt_and_the_details(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    assert proposal.code == CODE
    assert proposal.commitment == applicant_commitment(proposal.salt, DETAILS)


def test_details_that_are_not_text_are_refused_and_nothing_is_stored(
    store: ApplicantStore,
) -> None:
    with pytest.raises(BadApplicantDetails):
        store.propose(CODE, {"name": "Nguye\u0302\u0303n"}, NOW, **BY)
    with pytest.raises(UnknownApplicant):
        store.read(CODE)


def test_the_record_survives_reopening_the_store(database_url: str, store: ApplicantStore) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    secret = store.confirm(CODE, store.read(CODE).commitment, NOW, office=OFFICE)
    again = reopen(database_url, store, KEY)
    try:
        assert again.read(CODE).details == DETAILS
        assert again.confirm(CODE, again.read(CODE).commitment, NOW + 1, office=OFFICE) == secret
    finally:
        again.close()


def test_another_data_key_cannot_read_the_record(database_url: str, store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    secret = store.confirm(CODE, proposal.commitment, NOW, office=OFFICE)
    assert secret is not None
    thief = reopen(database_url, store, OTHER_KEY)
    try:
        with pytest.raises(ApplicantUnreadable, match="another data key"):
            thief.read(CODE)
        assert not thief.check_secret(CODE, secret)
    finally:
        thief.close()


ALTERATIONS = {
    "record": "UPDATE lienthong_applicants SET record = ? WHERE code = ?",
    "commitment": "UPDATE lienthong_applicants SET commitment = ? WHERE code = ?",
    "wrapped key": "UPDATE lienthong_applicant_keys SET wrapped = ? WHERE code = ?",
}
COLUMNS = {
    "record": "SELECT record FROM lienthong_applicants WHERE code = ?",
    "commitment": "SELECT commitment FROM lienthong_applicants WHERE code = ?",
    "wrapped key": "SELECT wrapped FROM lienthong_applicant_keys WHERE code = ?",
}


@pytest.mark.parametrize("column", list(ALTERATIONS))
@pytest.mark.parametrize("index", [0, 12, -1], ids=["first-byte", "byte-12", "last-byte"])
def test_an_altered_byte_in_the_table_is_detected(
    store: ApplicantStore, column: str, index: int
) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    stored = bytes(store.query(COLUMNS[column], (CODE,))[0][0])
    with store.transaction() as cursor:
        cursor.execute(ALTERATIONS[column], (flipped(stored, index), CODE))
    with pytest.raises(ApplicantUnreadable):
        store.read(CODE)


def test_a_record_moved_to_another_dossier_does_not_open(store: ApplicantStore) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    store.propose(OTHER_CODE, {"name": "Trần Thị B"}, NOW, **BY)
    moved = store.query("SELECT record FROM lienthong_applicants WHERE code = ?", (OTHER_CODE,))
    with store.transaction() as cursor:
        cursor.execute(
            "UPDATE lienthong_applicants SET record = ? WHERE code = ?", (moved[0][0], CODE)
        )
    with pytest.raises(ApplicantUnreadable):
        store.read(CODE)


def test_a_record_that_does_not_match_its_commitment_is_refused(store: ApplicantStore) -> None:
    """Only a holder of the dossier key could seal such a record; read checks it all the same."""
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    wrapped = store.query("SELECT wrapped FROM lienthong_applicant_keys WHERE code = ?", (CODE,))
    dossier_key = store._unwrap(CODE, bytes(wrapped[0][0]))
    forged = canonical.encode({"details": {"name": "Trần Thị B"}, "salt": proposal.salt})
    aad = applicants.RECORD_AAD + CODE.encode() + proposal.commitment
    with store.transaction() as cursor:
        cursor.execute(
            "UPDATE lienthong_applicants SET record = ? WHERE code = ?",
            (applicants._seal(dossier_key, forged, aad), CODE),
        )
    with pytest.raises(ApplicantUnreadable, match="does not match its commitment"):
        store.read(CODE)


def test_erasing_destroys_the_key_and_the_ciphertext(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    secret = store.confirm(CODE, proposal.commitment, NOW, office=OFFICE)
    assert secret is not None
    store.erase(CODE, NOW + DAY)
    with pytest.raises(ApplicantErased):
        store.read(CODE)
    row = store.query(
        "SELECT commitment, record, secret, secret_mac, erased_at FROM lienthong_applicants "
        "WHERE code = ?",
        (CODE,),
    )
    assert [bytes(row[0][0]), *row[0][1:]] == [proposal.commitment, None, None, None, NOW + DAY]
    assert store.query("SELECT * FROM lienthong_applicant_keys WHERE code = ?", (CODE,)) == []
    assert not store.check_secret(CODE, secret)
    assert store.confirm(CODE, proposal.commitment, NOW + DAY, office=OFFICE) is None
    assert store.erased_at(CODE) == NOW + DAY


def test_erasing_again_keeps_the_first_time(store: ApplicantStore) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    store.erase(CODE, NOW + 1)
    store.erase(CODE, NOW + 2)
    assert store.erased_at(CODE) == NOW + 1


def test_erasing_an_unknown_record_is_refused(store: ApplicantStore) -> None:
    with pytest.raises(UnknownApplicant):
        store.erase(CODE, NOW)
    assert store.erased_at(CODE) is None


def test_erasing_one_record_leaves_the_others_readable(store: ApplicantStore) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    store.propose(OTHER_CODE, {"name": "Trần Thị B"}, NOW, **BY)
    store.erase(CODE, NOW + 1)
    assert store.read(OTHER_CODE).details == {"name": "Trần Thị B"}
    assert store.erased_at(OTHER_CODE) is None


def test_confirm_records_and_returns_the_same_secret_every_time(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    secret = store.confirm(CODE, proposal.commitment, NOW + 1, office=OFFICE)
    assert secret is not None
    assert len(secret) == 10
    assert set(secret) <= set(RECEIPT_ALPHABET)
    assert store.confirm(CODE, proposal.commitment, NOW + 2, office=OFFICE) == secret
    assert store.read(CODE).recorded
    assert store.query("SELECT recorded_at FROM lienthong_applicants")[0][0] == NOW + 1


def test_confirm_with_an_unknown_commitment_or_code_returns_none(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    assert store.confirm(CODE, flipped(proposal.commitment, 0), NOW, office=OFFICE) is None
    assert store.confirm(OTHER_CODE, proposal.commitment, NOW, office=OFFICE) is None
    assert not store.read(CODE).recorded


def test_check_secret_forgives_case_spaces_and_dashes(store: ApplicantStore) -> None:
    secret = store.confirm(
        CODE, store.propose(CODE, DETAILS, NOW, **BY).commitment, NOW, office=OFFICE
    )
    assert secret is not None
    for typed in (
        secret,
        secret.lower(),
        f"  {secret[:5]}-{secret[5:]} ",
        " ".join(secret),
        secret.replace("1", "l").replace("0", "O"),  # what Crockford's base32 reads as 1 and 0
    ):
        assert store.check_secret(CODE, typed), typed


def test_check_secret_refuses_a_wrong_or_misplaced_secret(store: ApplicantStore) -> None:
    secret = store.confirm(
        CODE, store.propose(CODE, DETAILS, NOW, **BY).commitment, NOW, office=OFFICE
    )
    assert secret is not None
    store.propose(OTHER_CODE, {"name": "Trần Thị B"}, NOW, **BY)
    for code, typed in (
        (CODE, other_secret(secret)),
        (CODE, secret[:9]),
        (CODE, secret + "0"),
        (CODE, ""),
        (OTHER_CODE, secret),  # pending: no secret yet
        ("NO-SUCH-CODE", secret),
    ):
        assert not store.check_secret(code, typed), (code, typed)


def test_the_same_officer_may_propose_again_replacing_its_pending_record(
    store: ApplicantStore,
) -> None:
    first = store.propose(CODE, DETAILS, NOW, **BY)
    second = store.propose(CODE, {"name": "Trần Thị B"}, NOW + 1, **BY)
    assert second.salt != first.salt
    assert store.read(CODE).details == {"name": "Trần Thị B"}
    assert store.confirm(CODE, first.commitment, NOW + 2, office=OFFICE) is None
    assert store.confirm(CODE, second.commitment, NOW + 2, office=OFFICE) is not None


def test_a_recorded_record_cannot_be_proposed_again(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    store.confirm(CODE, proposal.commitment, NOW, office=OFFICE)
    with pytest.raises(ApplicantExists):
        store.propose(CODE, {"name": "Trần Thị B"}, NOW + 1, **BY)
    assert store.read(CODE).details == DETAILS
    store.erase(CODE, NOW + 2)
    with pytest.raises(ApplicantExists):
        store.propose(CODE, DETAILS, NOW + 3, **BY)


def test_pending_records_older_than_a_day_are_purged_at_the_next_proposal(
    store: ApplicantStore,
) -> None:
    store.propose(CODE, DETAILS, NOW, **BY)
    recorded = store.propose(OTHER_CODE, DETAILS, NOW, **BY)
    store.confirm(OTHER_CODE, recorded.commitment, NOW, office=OFFICE)
    store.propose("A-1", DETAILS, NOW + DAY, **BY)
    assert store.read(CODE).details == DETAILS  # exactly a day old: kept
    store.propose("A-2", DETAILS, NOW + DAY + 1, **BY)
    with pytest.raises(UnknownApplicant):
        store.read(CODE)
    assert store.query("SELECT * FROM lienthong_applicant_keys WHERE code = ?", (CODE,)) == []
    assert store.read(OTHER_CODE).recorded


def test_reading_an_unknown_record_is_refused(store: ApplicantStore) -> None:
    with pytest.raises(UnknownApplicant, match="NO-SUCH-CODE"):
        store.read("NO-SUCH-CODE")


# --- whose pending record it is, and what is served -----------------------------------------

ATTACKER = {"office": OTHER_OFFICE, "officer": "cv-84-ldtbxh"}
COLLEAGUE = {"office": OFFICE, "officer": "cb-29266-khac"}


@pytest.mark.parametrize("caller", [ATTACKER, COLLEAGUE], ids=["another-office", "a-colleague"])
def test_refuses_another_officers_proposal_while_the_pending_record_is_held(
    store: ApplicantStore, caller: dict[str, str]
) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)

    with pytest.raises(ApplicantHeld, match=f"cb-29266-vhxh of office {OFFICE}"):
        store.propose(CODE, {"name": "Kẻ Gian"}, NOW + HOLD_MICROS, **caller)

    assert store.read(CODE).details == DETAILS
    assert store.read(CODE).commitment == proposal.commitment
    assert store.confirm(CODE, proposal.commitment, NOW + 1, office=OFFICE) is not None


def test_a_pending_record_no_longer_held_may_be_proposed_by_another_officer(
    store: ApplicantStore,
) -> None:
    first = store.propose(CODE, DETAILS, NOW, **BY)
    second = store.propose(CODE, {"name": "Trần Thị B"}, NOW + HOLD_MICROS + 1, **COLLEAGUE)
    assert store.read(CODE).details == {"name": "Trần Thị B"}
    assert store.confirm(CODE, first.commitment, NOW + HOLD_MICROS + 2, office=OFFICE) is None
    assert store.confirm(CODE, second.commitment, NOW + HOLD_MICROS + 2, office=OFFICE)


def test_confirm_refuses_a_record_proposed_in_another_office(store: ApplicantStore) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **ATTACKER)
    assert store.confirm(CODE, proposal.commitment, NOW + 1, office=OFFICE) is None
    assert not store.read(CODE).recorded
    assert store.confirm(CODE, proposal.commitment, NOW + 1, office=OTHER_OFFICE) is not None


def test_read_refuses_a_record_that_is_not_the_one_the_statement_signed(
    store: ApplicantStore,
) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    signed = flipped(proposal.commitment, 0)  # what the recorded dossier.received carries
    with pytest.raises(ApplicantMismatch, match="not the one the receiving officer signed"):
        store.read(CODE, signed)
    assert store.read(CODE, proposal.commitment).details == DETAILS


def test_check_secret_refuses_the_secret_of_a_record_the_statement_did_not_sign(
    store: ApplicantStore,
) -> None:
    proposal = store.propose(CODE, DETAILS, NOW, **BY)
    secret = store.confirm(CODE, proposal.commitment, NOW, office=OFFICE)
    assert secret is not None
    assert not store.check_secret(CODE, secret, flipped(proposal.commitment, 0))
    assert store.check_secret(CODE, secret, proposal.commitment)


EARLIER_TABLE = (  # lienthong_applicants as the version before proposers were recorded made it
    "CREATE TABLE lienthong_applicants ("
    "code TEXT PRIMARY KEY, commitment BYTEA NOT NULL, record BYTEA, proposed_at BIGINT NOT NULL, "
    "recorded_at BIGINT, secret BYTEA, secret_mac BYTEA, erased_at BIGINT)"
)


def test_a_table_of_the_earlier_layout_gains_the_proposer_columns_keeping_its_records(
    database_url: str,
) -> None:
    if database_url == "memory:":
        pytest.skip("a memory: store is new each time: there is no earlier table to upgrade")
    earlier = ApplicantStore(database_url, KEY)
    try:
        proposal = earlier.propose(CODE, DETAILS, NOW, **BY)
        secret = earlier.confirm(CODE, proposal.commitment, NOW, office=OFFICE)
        pending = earlier.propose(OTHER_CODE, DETAILS, NOW, **BY)
        with earlier.transaction() as cursor:  # back to the earlier layout, rows kept
            cursor.execute("ALTER TABLE lienthong_applicants RENAME TO kept")
            cursor.execute(
                EARLIER_TABLE
                if earlier.kind == "postgres"
                else EARLIER_TABLE.replace("BYTEA", "BLOB")
            )
            cursor.execute(
                "INSERT INTO lienthong_applicants SELECT code, commitment, record, proposed_at, "
                "recorded_at, secret, secret_mac, erased_at FROM kept"
            )
            cursor.execute("DROP TABLE kept")
    finally:
        earlier.close()

    upgraded = ApplicantStore(database_url, KEY)
    again = ApplicantStore(database_url, KEY)  # a second start finds the columns there
    try:
        assert upgraded.read(CODE, proposal.commitment).details == DETAILS
        assert secret is not None
        assert upgraded.check_secret(CODE, secret, proposal.commitment)
        rows = upgraded.query("SELECT office, officer FROM lienthong_applicants ORDER BY code")
        assert [tuple(row) for row in rows] == [(None, None), (None, None)]
        # a pending record kept without its proposer: whoever receives the dossier may replace it
        upgraded.propose(OTHER_CODE, {"name": "Trần Thị B"}, NOW + 1, **ATTACKER)
        assert upgraded.confirm(OTHER_CODE, pending.commitment, NOW + 2, office=OFFICE) is None
    finally:
        upgraded.close()
        again.close()
