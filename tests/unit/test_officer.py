"""Officers, their keys and the authority, on the aggregates themselves: who could sign for which
office and when. tests/test_registry.py checks the same through the ledger and its signatures."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import KeyNotValid, KeyRevoked, OfficerNotInOffice, RegistryConflict
from domain.officer import Authority, Key, Officer
from tests.unit.entries import DAY, HOUR, START, entry, refused

PUBLIC = bytes(range(32))


def enrolled(office: str = "29266", effective: int = START) -> Officer:
    body = {"office": office, "title": "Công chức một cửa", "effective": effective}
    return Officer.enroll(entry("officer.enrolled", "cb-1", body))


def posting(kind: str, seq: int = 2, **body: Any) -> Any:
    return entry(kind, "cb-1", body, seq=seq)


# --- officers ------------------------------------------------------------------------------


def test_an_enrolled_officer_is_in_their_office_from_the_effective_instant() -> None:
    officer = enrolled()
    assert officer.office_at(START) == "29266"
    assert officer.office_at(START - 1) is None
    assert officer.title_at(START) == "Công chức một cửa"
    officer.require_in("29266", START)


def test_a_moved_officer_signs_for_the_new_office_only_from_the_move() -> None:
    officer = enrolled()
    officer.move(posting("officer.moved", office="844", title="Chuyên viên", effective=START + DAY))

    assert officer.office_at(START + DAY - 1) == "29266"
    assert (officer.office_at(START + DAY), officer.title_at(START + DAY)) == ("844", "Chuyên viên")
    refused(
        officer,
        OfficerNotInOffice,
        "officer cb-1 was in office 844 at 04/03/2025 08:00, not in office 29266",
        lambda: officer.require_in("29266", START + DAY),
    )


def test_an_officer_who_left_is_in_no_office() -> None:
    officer = enrolled()
    officer.leave(posting("officer.left", effective=START + DAY))
    assert officer.office_at(START + DAY) is None
    refused(
        officer,
        OfficerNotInOffice,
        "officer cb-1 was in no office at 04/03/2025 08:00, not in office 29266",
        lambda: officer.require_in("29266", START + DAY),
    )


def test_refuses_moving_an_officer_to_the_office_they_are_already_in() -> None:
    officer = enrolled()
    refused(
        officer,
        RegistryConflict,
        "officer cb-1 is already in office 29266",
        lambda: officer.move(
            posting("officer.moved", office="29266", title="Chuyên viên", effective=START + HOUR)
        ),
    )


def test_refuses_an_officer_leaving_twice() -> None:
    officer = enrolled()
    officer.leave(posting("officer.left", effective=START + HOUR))
    refused(
        officer,
        RegistryConflict,
        "officer cb-1 has already left",
        lambda: officer.leave(posting("officer.left", 3, effective=START + 2 * HOUR)),
    )


@pytest.mark.parametrize("kind", ["officer.moved", "officer.left"])
def test_refuses_an_officer_change_dated_before_their_last_posting(kind: str) -> None:
    officer = enrolled()
    officer.move(posting("officer.moved", office="844", title="Chuyên viên", effective=START + DAY))
    body: dict[str, Any] = {"effective": START + DAY - HOUR}
    if kind == "officer.moved":
        body |= {"office": "845", "title": "Chuyên viên"}
    act = officer.move if kind == "officer.moved" else officer.leave
    refused(
        officer,
        RegistryConflict,
        "comes before the posting already effective 04/03/2025 08:00",
        lambda: act(posting(kind, 3, **body)),
    )
    act(posting(kind, 3, **(body | {"effective": START + DAY})))  # the same instant: in order


# --- keys ----------------------------------------------------------------------------------


def registered(effective: int = START) -> Key:
    body = {"officer": "cb-1", "public_key": PUBLIC, "role": "officer", "effective": effective}
    return Key.register(entry("key.registered", "k1", body))


def test_a_registered_key_signs_from_its_effective_instant() -> None:
    key = registered()
    assert (key.subject, key.officer, key.public_key, key.role) == ("k1", "cb-1", PUBLIC, "officer")
    assert (key.effective, key.revoked, key.revocation_recorded) == (START, None, None)
    key.require_valid(START)
    refused(
        key,
        KeyNotValid,
        "key k1 is valid only from 03/03/2025 08:00; the statement is dated 03/03/2025 07:59",
        lambda: key.require_valid(START - 60_000_000),
    )


def test_refuses_every_statement_signed_with_a_key_once_its_revocation_is_recorded() -> None:
    key = registered()
    revocation = entry(
        "key.revoked",
        "k1",
        {"reason": "Mất thiết bị", "effective": START + DAY},
        seq=2,
        recorded_at=START + 2 * DAY,
    )
    key.revoke(revocation)
    assert (key.revoked, key.revocation_recorded) == (START + DAY, START + 2 * DAY)
    # whatever the statement's date: before the revocation's effective instant too
    for at in (START, START + DAY - 1, START + 3 * DAY):
        refused(
            key,
            KeyRevoked,
            "was revoked from 04/03/2025 08:00 \\(recorded 05/03/2025 08:00\\); nothing signed",
            lambda at=at: key.require_valid(at),
        )


def test_refuses_revoking_a_key_twice() -> None:
    key = registered()
    key.revoke(entry("key.revoked", "k1", {"reason": "Mất", "effective": START + DAY}, seq=2))
    refused(
        key,
        RegistryConflict,
        "key k1 was already revoked from 04/03/2025 08:00",
        lambda: key.revoke(
            entry("key.revoked", "k1", {"reason": "Lần nữa", "effective": START}, seq=3)
        ),
    )


# --- the authority -------------------------------------------------------------------------


def established() -> Authority:
    return Authority.establish(
        entry("authority.established", "authority", {"public_key": b"A" * 32}), "ka"
    )


def test_the_authority_key_serves_from_establishment_until_the_next_rotation() -> None:
    authority = established()
    assert authority.public_key("ka", START) == b"A" * 32
    authority.rotate(
        entry("authority.rotated", "authority", {"public_key": b"B" * 32}, seq=2, at=START + DAY),
        "kb",
    )
    assert authority.public_key("ka", START + DAY - 1) == b"A" * 32
    assert authority.public_key("kb", START + DAY) == b"B" * 32
    assert authority.public_key("kc", START + DAY) is None  # not an authority key at all
    refused(
        authority,
        KeyNotValid,
        "authority key ka was current from 03/03/2025 08:00 until 04/03/2025 08:00, "
        "not at 04/03/2025 08:00",
        lambda: authority.public_key("ka", START + DAY),
    )
    refused(
        authority,
        KeyNotValid,
        "authority key kb was current from 04/03/2025 08:00, not at 04/03/2025 07:59",
        lambda: authority.public_key("kb", START + DAY - 60_000_000),
    )


@pytest.mark.parametrize("again", ["ka", "kb"])
def test_refuses_rotating_to_a_key_that_has_already_served(again: str) -> None:
    authority = established()
    authority.rotate(
        entry("authority.rotated", "authority", {"public_key": b"B" * 32}, seq=2), "kb"
    )
    refused(
        authority,
        RegistryConflict,
        f"key {again} has already served as the authority key",
        lambda: authority.rotate(
            entry("authority.rotated", "authority", {"public_key": b"C" * 32}, seq=3), again
        ),
    )
