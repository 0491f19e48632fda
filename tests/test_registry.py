"""The registry as the ledger applies it: offices, officers, keys, the authority and procedures.

Who may sign what, and when: every refusal asserts its own error class (exactly) and that nothing
was recorded on the subject concerned. Every test runs on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from domain.errors import (
    KeyNotOfficer,
    KeyNotValid,
    KeyRevoked,
    NotAuthorised,
    NotCustodian,
    OfficeNotActive,
    OfficerNotInOffice,
    RegistryConflict,
    UnknownKey,
    UnknownProcedure,
)
from domain.instant import VIETNAM, from_datetime
from ledger.application import Receipt
from ledger.statements.authoring import Signer
from tests.world import CODE, DAY, HOUR, PROCEDURE, World, document, seeded_key

OTHER = "000.00.01.H59-250303-0002"
TODAY = date(2025, 3, 3)  # the world's clock starts on 3/3/2025, 08:00 in Vietnam


# --- helpers -------------------------------------------------------------------------------


def state(world: World, family: str, subject: str) -> tuple[int, bytes, int]:
    seq, head = world.ledger.head(family, subject)
    assert len(world.ledger.history(family, subject)) == seq
    return seq, head, world.ledger.log_size()


def refused(
    world: World, error: type[Exception], act: Callable[[], Any], family: str, subject: str
) -> Exception:
    """Run `act`, expecting exactly `error`, and check nothing was recorded on the subject."""
    before = state(world, family, subject)
    with pytest.raises(error) as caught:
        act()
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    assert state(world, family, subject) == before
    return caught.value


def enrol(
    world: World, officer: str, office: str, role: str = "officer", by: Signer | None = None
) -> Signer:
    """Enrol an officer with one key from now, signed by the authority (or `by`)."""
    signer = by or world.authority
    key = seeded_key(officer)
    signer.record(
        "officer.enrolled",
        officer,
        {
            "office": office,
            "title": "Chuyên viên",
            "effective": world.clock.now(),
        },
    )
    signer.record(
        "key.registered",
        key.key_id,
        {
            "officer": officer,
            "public_key": key.public_key,
            "role": role,
            "effective": world.clock.now(),
        },
    )
    return Signer(world.ledger, key, officer, office)


def received(world: World) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": hashlib.sha256(b"salt|a").digest(),
        "channel": "direct",
        "documents": [document("Đơn đề nghị")],
        "appointed": world.clock.now() + 20 * DAY,
    }


def receive(world: World, signer: Signer, code: str = CODE, **head: Any) -> Receipt:
    return signer.record("dossier.received", code, received(world), **head)


def office_body(name: str, level: str, parent: str | None, effective: str) -> dict[str, Any]:
    body = {"name": name, "level": level, "effective": effective}
    if parent:
        body["parent"] = parent
    return body


# --- offices ---------------------------------------------------------------------------------


def test_established_office_has_its_name_level_and_parent(world: World) -> None:
    world.authority.record(
        "office.established", "29275", office_body("Xã Tam Ngãi", "commune", "845", "2025-01-01")
    )

    office = world.ledger.office("29275")
    assert (office.level, office.established, office.ended) == ("commune", date(2025, 1, 1), None)
    assert office.name_on(TODAY) == "Xã Tam Ngãi"
    assert office.parent_on(TODAY) == "845"
    assert not office.active_on(date(2024, 12, 31))
    assert office.active_on(TODAY)
    officer = enrol(world, "cb-29275", "29275")
    receive(world, officer)
    assert world.ledger.dossier(CODE).custodian == "29275"


def test_renamed_office_keeps_its_former_name_before_the_rename(world: World) -> None:
    world.authority.record(
        "office.renamed",
        "844",
        {
            "name": "Huyện Càng Long (mới)",
            "effective": "2025-04-01",
        },
    )

    office = world.ledger.office("844")
    assert office.name_on(date(2025, 3, 31)) == "Huyện Càng Long"
    assert office.name_on(date(2025, 4, 1)) == "Huyện Càng Long (mới)"
    # changes come in date order
    refused(
        world,
        RegistryConflict,
        lambda: world.authority.record(
            "office.renamed",
            "844",
            {
                "name": "Huyện Càng Long (cũ)",
                "effective": "2025-03-15",
            },
        ),
        "office",
        "844",
    )


def test_reparented_office_has_its_new_parent_from_the_effective_date(world: World) -> None:
    world.authority.record(
        "office.reparented",
        "29269",
        {
            "parent": "845",
            "effective": "2025-03-10",
        },
    )

    office = world.ledger.office("29269")
    assert office.parent_on(date(2025, 3, 9)) == "844"
    assert office.parent_on(date(2025, 3, 10)) == "845"


def test_refuses_reparenting_into_a_cycle(world: World) -> None:
    for office, parent in [("844", "29266"), ("84", "29269"), ("844", "844")]:
        refused(
            world,
            RegistryConflict,
            lambda o=office, p=parent: world.authority.record(
                "office.reparented",
                o,
                {"parent": p, "effective": "2025-03-03"},
            ),
            "office",
            office,
        )
    assert world.ledger.office("844").parent_on(TODAY) == "84"


def test_refuses_reparenting_into_a_cycle_with_an_already_scheduled_change(world: World) -> None:
    # 844 goes under 845 from 1/6; 845 under 844 from 1/5 would make each the other's parent
    world.authority.record("office.reparented", "844", {"parent": "845", "effective": "2025-06-01"})

    refused(
        world,
        RegistryConflict,
        lambda: world.authority.record(
            "office.reparented",
            "845",
            {"parent": "844", "effective": "2025-05-01"},
        ),
        "office",
        "845",
    )
    assert world.ledger.office("845").parent_on(date(2025, 7, 1)) == "84"


def test_merged_office_refuses_statements_signed_in_it_and_dispatches_to_it(world: World) -> None:
    receive(world, world.at("29266"))
    world.authority.record(
        "office.merged", "29269", {"successor": "29266", "effective": "2025-03-03"}
    )

    office = world.ledger.office("29269")
    assert (office.ended, office.successor) == (TODAY, "29266")
    assert not office.active_on(TODAY)
    assert office.active_on(date(2025, 3, 2))
    refused(
        world, OfficeNotActive, lambda: receive(world, world.at("29269"), OTHER), "dossier", OTHER
    )
    error = refused(
        world, OfficeNotActive, lambda: world.dispatch("29266", "29269"), "dossier", CODE
    )
    assert "merged into 29266" in str(error)


def test_successor_of_a_merged_office_takes_over_the_dossiers_it_held(world: World) -> None:
    receive(world, world.at("29269"))
    world.authority.record(
        "office.merged", "29269", {"successor": "29266", "effective": "2025-03-04"}
    )
    world.clock.set(world.clock.now() + DAY)

    refused(world, OfficeNotActive, lambda: world.dispatch("29269", "844"), "dossier", CODE)
    refused(world, NotCustodian, lambda: world.dispatch("844", "84"), "dossier", CODE)
    world.dispatch("29266", "844")
    transit = world.ledger.dossier(CODE).transit
    assert (transit.sender, transit.addressee) == ("29266", "844")


def test_acknowledgement_by_the_successor_of_a_merged_addressee_gives_it_custody(
    world: World,
) -> None:
    receive(world, world.at("29266"))
    dispatch = world.dispatch("29266", "29269")
    world.authority.record(
        "office.merged", "29269", {"successor": "844", "effective": "2025-03-04"}
    )
    world.clock.set(world.clock.now() + DAY)
    world.acknowledge("844", dispatch)

    assert world.ledger.dossier(CODE).custodian == "844"


def test_refuses_merging_an_office_into_one_already_merged_into_it(world: World) -> None:
    world.authority.record(
        "office.merged", "29269", {"successor": "29266", "effective": "2025-03-03"}
    )

    refused(
        world,
        RegistryConflict,
        lambda: world.authority.record(
            "office.merged",
            "29266",
            {"successor": "29269", "effective": "2025-03-02"},
        ),
        "office",
        "29266",
    )


def test_dissolved_office_refuses_statements_signed_in_it_and_new_officers(world: World) -> None:
    world.authority.record("office.dissolved", "845", {"effective": "2025-03-01"})

    office = world.ledger.office("845")
    assert (office.ended, office.successor) == (date(2025, 3, 1), None)
    refused(world, OfficeNotActive, lambda: receive(world, world.at("845")), "dossier", CODE)
    refused(
        world,
        OfficeNotActive,
        lambda: world.authority.record(
            "officer.enrolled",
            "cb-new",
            {
                "office": "845",
                "title": "Chuyên viên",
                "effective": world.clock.now(),
            },
        ),
        "officer",
        "cb-new",
    )


# --- officers --------------------------------------------------------------------------------


def test_enrolled_officer_signs_for_their_office_with_their_registered_key(world: World) -> None:
    officer = enrol(world, "cb-29269-b", "29269")

    assert world.ledger.officer("cb-29269-b").office_at(world.clock.now()) == "29269"
    key = world.ledger.key(officer.key.key_id)
    assert (key.officer, key.role, key.public_key, key.revoked) == (
        "cb-29269-b",
        "officer",
        officer.key.public_key,
        None,
    )
    receipt = receive(world, officer)
    assert receipt.seq == 1
    assert world.ledger.history("dossier", CODE)[0].statement.officer == "cb-29269-b"


def test_refuses_statements_for_the_old_office_after_a_move(world: World) -> None:
    world.later()
    moved_at = world.clock.now()
    world.authority.record(
        "officer.moved",
        "cb-29269",
        {
            "office": "29266",
            "title": "Công chức một cửa",
            "effective": moved_at,
        },
    )
    old = world.at("29269")

    error = refused(world, OfficerNotInOffice, lambda: receive(world, old), "dossier", CODE)
    assert "29266" in str(error)
    # signed before the move took effect, it is still good; after it, for the new office
    receive(world, old, at=moved_at - 1)
    new = Signer(world.ledger, old.key, old.officer, "29266")
    receive(world, new, OTHER)
    assert world.ledger.dossier(OTHER).custodian == "29266"


def test_refuses_statements_after_the_officer_left(world: World) -> None:
    world.authority.record("officer.left", "cb-29269", {"effective": world.clock.now()})

    assert world.ledger.officer("cb-29269").office_at(world.clock.now()) is None
    error = refused(
        world, OfficerNotInOffice, lambda: receive(world, world.at("29269")), "dossier", CODE
    )
    assert "in no office" in str(error)


# --- keys ------------------------------------------------------------------------------------


def test_refuses_every_statement_signed_with_a_key_once_its_revocation_is_recorded(
    world: World,
) -> None:
    world.later()
    revoked_at = world.clock.now()
    key_id = world.at("29266").key.key_id
    world.authority.record(
        "key.revoked", key_id, {"reason": "Mất thiết bị", "effective": revoked_at}
    )

    assert world.ledger.key(key_id).revoked == revoked_at
    refused(world, KeyRevoked, lambda: receive(world, world.at("29266")), "dossier", CODE)
    # dated before the revocation's effective instant, but signed after it was recorded
    refused(
        world,
        KeyRevoked,
        lambda: receive(world, world.at("29266"), at=revoked_at - 1),
        "dossier",
        CODE,
    )
    refused(
        world,
        RegistryConflict,
        lambda: world.authority.record(
            "key.revoked",
            key_id,
            {"reason": "Lần nữa", "effective": revoked_at},
        ),
        "key",
        key_id,
    )


def test_refuses_a_key_before_its_effective_instant(world: World) -> None:
    key = seeded_key("cb-29269:second")
    world.authority.record(
        "key.registered",
        key.key_id,
        {
            "officer": "cb-29269",
            "public_key": key.public_key,
            "role": "officer",
            "effective": world.clock.now() + HOUR,
        },
    )
    signer = Signer(world.ledger, key, "cb-29269", "29269")

    refused(world, KeyNotValid, lambda: receive(world, signer), "dossier", CODE)
    world.later(1)
    receive(world, signer)
    assert world.ledger.dossier(CODE).custodian == "29269"


def test_refuses_an_unknown_key_id(world: World) -> None:
    stranger = Signer(world.ledger, seeded_key("never-registered"), "cb-29266", "29266")

    refused(world, UnknownKey, lambda: receive(world, stranger), "dossier", CODE)


def test_refuses_a_key_of_another_officer(world: World) -> None:
    borrowed = Signer(world.ledger, world.at("29269").key, "cb-29266", "29266")

    error = refused(world, KeyNotOfficer, lambda: receive(world, borrowed), "dossier", CODE)
    assert "cb-29269" in str(error)


# --- who may sign registry statements -------------------------------------------------------


def test_refuses_registry_statements_signed_with_an_officer_key(world: World) -> None:
    officer = world.at("84")
    newcomer = seeded_key("newcomer")
    attempts = [
        (
            "office.established",
            "office",
            "29280",
            office_body("Xã Mới", "commune", "844", "2025-03-01"),
        ),
        ("office.dissolved", "office", "845", {"effective": "2025-03-03"}),
        (
            "officer.enrolled",
            "officer",
            "newcomer",
            {"office": "84", "title": "Chuyên viên", "effective": world.clock.now()},
        ),
        (
            "key.registered",
            "key",
            newcomer.key_id,
            {
                "officer": "cb-84",
                "public_key": newcomer.public_key,
                "role": "officer",
                "effective": world.clock.now(),
            },
        ),
        (
            "procedure.published",
            "procedure",
            "new-procedure",
            {
                "version": 1,
                "name_vi": "Thủ tục",
                "name_en": "Procedure",
                "route": [{"level": "commune", "days": 3, "day_type": "working"}],
                "decides": ["commune"],
                "legal_basis": "-",
                "effective": "2025-01-01",
            },
        ),
    ]
    for kind, family, subject, body in attempts:
        error = refused(
            world,
            NotAuthorised,
            lambda k=kind, s=subject, b=body: officer.record(k, s, b),
            family,
            subject,
        )
        assert officer.key.key_id in str(error), kind


def test_refuses_dossier_statements_signed_with_the_authority_key(world: World) -> None:
    refused(world, NotAuthorised, lambda: receive(world, world.authority), "dossier", CODE)


def test_registrar_key_may_establish_offices_enrol_officers_and_register_their_keys(
    world: World,
) -> None:
    registrar = enrol(world, "registrar-84", "84", role="registrar")

    registrar.record(
        "office.established", "29275", office_body("Xã Tam Ngãi", "commune", "845", "2025-01-01")
    )
    officer = enrol(world, "cb-29275", "29275", by=registrar)
    receive(world, officer)

    assert world.ledger.office("29275").parent_on(TODAY) == "845"
    assert world.ledger.key(officer.key.key_id).role == "officer"
    assert world.ledger.history("office", "29275")[0].statement.officer == "registrar-84"
    assert world.ledger.dossier(CODE).custodian == "29275"


def test_refuses_a_registrar_key_registering_a_registrar_key_or_rotating_the_authority(
    world: World,
) -> None:
    registrar = enrol(world, "registrar-84", "84", role="registrar")
    second = seeded_key("registrar-84:second")

    refused(
        world,
        NotAuthorised,
        lambda: registrar.record(
            "key.registered",
            second.key_id,
            {
                "officer": "registrar-84",
                "public_key": second.public_key,
                "role": "registrar",
                "effective": world.clock.now(),
            },
        ),
        "key",
        second.key_id,
    )
    refused(
        world,
        NotAuthorised,
        lambda: registrar.record(
            "authority.rotated",
            "authority",
            {"public_key": second.public_key},
        ),
        "authority",
        "authority",
    )


def test_authority_rotation_retires_the_old_key_and_empowers_the_new_one(world: World) -> None:
    old = world.authority
    new = Signer.authority(world.ledger, seeded_key("authority:2026"))
    rotation = old.record("authority.rotated", "authority", {"public_key": new.key.public_key})
    assert rotation.seq == 2
    world.later()

    refused(
        world,
        KeyNotValid,
        lambda: old.record(
            "office.established",
            "29275",
            office_body("Xã Tam Ngãi", "commune", "845", "2025-01-01"),
        ),
        "office",
        "29275",
    )
    refused(
        world,
        KeyNotValid,
        lambda: old.record(
            "authority.rotated",
            "authority",
            {"public_key": seeded_key("usurper").public_key},
        ),
        "authority",
        "authority",
    )
    new.record(
        "office.established", "29275", office_body("Xã Tam Ngãi", "commune", "845", "2025-01-01")
    )
    assert world.ledger.history("office", "29275")[0].statement.key == new.key.key_id
    # a former authority key cannot come back
    refused(
        world,
        RegistryConflict,
        lambda: new.record(
            "authority.rotated",
            "authority",
            {"public_key": old.key.public_key},
        ),
        "authority",
        "authority",
    )


# --- procedures ------------------------------------------------------------------------------

VERSION_2 = {
    "version": 2,
    "name_vi": "Ưu đãi trong giáo dục đào tạo",
    "name_en": "Education preference for families of people with merit",
    "route": [
        {"level": "commune", "days": 3, "day_type": "working"},
        {"level": "province", "days": 10, "day_type": "working"},
    ],
    "decides": ["province"],
    "legal_basis": "Decree 55/2025/NĐ-CP",
    "effective": "2025-03-05",
}


def test_receipt_must_name_the_procedure_version_in_effect_on_its_date(world: World) -> None:
    world.authority.record("procedure.published", PROCEDURE, VERSION_2)
    assert [v["version"] for v in world.ledger.procedure(PROCEDURE).versions] == [1, 2]
    office = world.at("29266")

    # before 5/3 only version 1 is in effect
    refused(
        world,
        UnknownProcedure,
        lambda: office.record("dossier.received", CODE, {**received(world), "version": 2}),
        "dossier",
        CODE,
    )
    receive(world, office, OTHER)
    # from 5/3, only version 2
    world.clock.set(from_datetime(datetime(2025, 3, 5, 8, tzinfo=VIETNAM)))
    error = refused(world, UnknownProcedure, lambda: receive(world, office), "dossier", CODE)
    assert "version 2 is" in str(error)
    office.record("dossier.received", CODE, {**received(world), "version": 2})
    assert world.ledger.dossier(CODE).procedure_version == 2
    assert world.ledger.dossier(OTHER).procedure_version == 1


def test_refuses_a_procedure_version_that_does_not_follow_the_latest(world: World) -> None:
    for changes in ({"version": 3}, {"version": 1}, {"effective": "2022-02-15"}):
        refused(
            world,
            RegistryConflict,
            lambda c=changes: world.authority.record(
                "procedure.published",
                PROCEDURE,
                {**VERSION_2, **c},
            ),
            "procedure",
            PROCEDURE,
        )
    assert [v["version"] for v in world.ledger.procedure(PROCEDURE).versions] == [1]
