"""The read side of the HTTP API, end to end through the app on the demo.

The demo as these tests read it (ledger/simulation/demo.py): dossier 0001 went commune 29266 → district 844
→ province 84 and back before the reform of 1/7/2025; 0002 had a handover refused; 0004 was sent
to district 844 on 30/6/2025 and never acknowledged, and its appointed date, 28/7/2025, has long
passed. The demo ends on Tuesday 3/3/2026 at 08:30: then commune 29266/2025 receives HELD and
keeps it, and receives SENT and sends it to province 86 an hour later; then a week passes, so the
reads happen on Tuesday 10/3/2026 at 09:30.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.schemas import iso
from domain.instant import VIETNAM, from_datetime, start_of
from domain.statement import family
from ledger.errors import BadSignature
from ledger.log import merkle, tlog
from ledger.log.bundle import Bundle, verify_bundle
from ledger.log.note import Checkpoint, open_note
from ledger.simulation.demo import DEMO_LOG_ORIGIN, DEMO_START, demo_log_key
from ledger.statements import signing
from ledger.views.sla import RULES
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    Api,
    assert_problem,
    demo_code,
    get,
    ok,
    open_api,
)

HOUR = 3600
WEEK = 7 * 24 * HOUR
THREE_LEVELS = "000.00.01.H59-250602-0001"
REJECTED_ONCE = "000.00.02.H59-250612-0002"
LEFT_IN_TRANSIT = "000.00.01.H59-250626-0004"
HELD = demo_code(101)
SENT = demo_code(102)
RECEIVED_AT = from_datetime(datetime(2026, 3, 3, 8, 30, tzinfo=VIETNAM))
SENT_AT = RECEIVED_AT + HOUR * 1_000_000
LOG_VERIFIER = demo_log_key().verifier


def receive_and_send(api: Api) -> None:
    """The commune receives HELD and SENT; an hour later it sends SENT to the province."""
    officer, key = api.client("officer"), api.key(COMMUNE_OFFICER)
    for code in (HELD, SENT):
        officer.record(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
    api.clock.advance(HOUR)
    officer.record(
        key,
        "handover.dispatched",
        SENT,
        {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
    )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("reads")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        receive_and_send(opened)
        opened.clock.advance(WEEK)
        yield opened


def assert_refused(response: httpx.Response, parameter: str) -> dict[str, Any]:
    """A 422 problem naming the parameter that was refused."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == 422
    assert parameter in problem["detail"]
    return problem


def at_of(api: Api, code: str, seq: int) -> int:
    """When statement `seq` of a dossier says it happened."""
    return api.services.ledger.history("dossier", code)[seq - 1].statement.at


def stall_rows(page: dict[str, Any]) -> list[tuple[str, str, str, str | None, int]]:
    return [
        (item["code"], item["rule"], item["office"], item["level"], item["over_seconds"])
        for item in page["items"]
    ]


# --- where a dossier is ------------------------------------------------------------------------


def test_location_now_names_the_custodian_and_the_deadline_of_its_level(api: Api) -> None:
    found = ok(get(api, f"/v1/dossiers/{HELD}"))
    assert found["status"] == "held"
    assert (found["custodian"], found["received_by"], found["transit_to"]) == (
        COMMUNE,
        COMMUNE,
        None,
    )
    assert (found["received_at"], found["since"], found["hops"]) == (RECEIVED_AT, RECEIVED_AT, 0)
    # the commune's three working days, counted from Tuesday 3/3/2026: Wednesday to Friday
    assert found["level_deadline_iso"] == "2026-03-06T23:59:59.999999+07:00"
    assert found["received_at_iso"] == "2026-03-03T08:30:00+07:00"
    assert found["as_of"] is None


def test_location_now_of_a_dossier_in_transit_names_sender_and_addressee(api: Api) -> None:
    found = ok(get(api, f"/v1/dossiers/{SENT}"))
    assert found["status"] == "in_transit"
    assert (found["transit_from"], found["transit_to"], found["custodian"]) == (
        COMMUNE,
        PROVINCE,
        None,
    )
    assert (found["since"], found["hops"], found["last_seq"]) == (SENT_AT, 1, 2)
    assert found["level_deadline"] is None


def test_location_as_of_an_instant_before_a_hop_is_where_the_dossier_was_held(api: Api) -> None:
    sent_at = at_of(api, THREE_LEVELS, 2)  # 29266 sends it to district 844
    found = ok(get(api, f"/v1/dossiers/{THREE_LEVELS}", as_of=str(sent_at - 1)))
    assert (found["status"], found["custodian"], found["hops"]) == ("held", "29266", 0)
    assert found["as_of"] == sent_at - 1


def test_location_as_of_an_instant_after_a_hop_follows_the_dossier(api: Api) -> None:
    sent_at, acknowledged_at = at_of(api, THREE_LEVELS, 2), at_of(api, THREE_LEVELS, 3)
    between = ok(get(api, f"/v1/dossiers/{THREE_LEVELS}", as_of=iso(sent_at + 1)))
    assert (between["status"], between["transit_from"], between["transit_to"]) == (
        "in_transit",
        "29266",
        "844",
    )
    after = ok(get(api, f"/v1/dossiers/{THREE_LEVELS}", as_of=str(acknowledged_at)))
    assert (after["status"], after["custodian"], after["hops"], after["since"]) == (
        "held",
        "844",
        1,
        acknowledged_at,
    )
    now = ok(get(api, f"/v1/dossiers/{THREE_LEVELS}"))
    assert (now["status"], now["custodian"], now["decided"]) == ("closed", "29266", "approved")


def test_location_as_of_an_instant_before_receipt_is_a_not_found_problem(api: Api) -> None:
    before = iso(RECEIVED_AT - 1)
    problem = assert_problem(get(api, f"/v1/dossiers/{HELD}", as_of=before), 404, "not-found")
    assert "not been received" in problem["detail"]
    assert problem["instance"] == f"/v1/dossiers/{HELD}"


def test_location_as_of_without_a_timezone_is_refused(api: Api) -> None:
    response = get(api, f"/v1/dossiers/{HELD}", as_of="2026-03-03T09:00:00")
    assert_refused(response, "as_of")


def test_a_dossier_whose_code_holds_a_slash_is_read_by_its_code(tmp_path: Path) -> None:
    # a code the API no longer takes for a new dossier (its date is not the day's), recorded as the
    # ledger itself and `lienthong import` still record one, with its applicant's details kept as
    # the API keeps them: the codes recorded before the rule stay readable
    code = "29266/2025-250708-0001"
    with open_api("memory:", tmp_path) as fresh:
        applicants = fresh.services.applicants
        proposal = applicants.propose(
            code, APPLICANT, fresh.clock.now(), office=COMMUNE, officer=COMMUNE_OFFICER
        )
        body = {**RECEIVED_BODY, "applicant": proposal.commitment}
        receipt = fresh.demo.by(COMMUNE_OFFICER).record("dossier.received", code, body)
        applicants.confirm(code, proposal.commitment, receipt.recorded_at, office=COMMUNE)
        assert ok(get(fresh, f"/v1/dossiers/{code}"))["code"] == code
        assert [
            item["seq"] for item in ok(get(fresh, f"/v1/dossiers/{code}/history"))["items"]
        ] == [1]
        assert ok(get(fresh, f"/v1/dossiers/{code}/slip"))["blocks"][0]["to_office"] == COMMUNE
        assert ok(get(fresh, f"/v1/dossiers/{code}/applicant"))["details"] == APPLICANT
        bundle = get(fresh, f"/v1/dossiers/{code}/bundle")
        assert verify_bundle(bundle.content, LOG_VERIFIER).ok
        disposition = 'attachment; filename="29266_2025-250708-0001.bundle"'
        assert bundle.headers["content-disposition"] == disposition


def test_location_of_an_unknown_dossier_is_a_not_found_problem(api: Api) -> None:
    assert_problem(get(api, "/v1/dossiers/000.00.01.H59-250101-9999"), 404, "unknown-dossier")


# --- the signed history --------------------------------------------------------------------------


def history_pages(api: Api, code: str, limit: int) -> list[dict[str, Any]]:
    pages = [ok(get(api, f"/v1/dossiers/{code}/history", limit=limit))]
    while pages[-1]["next"] is not None:
        cursor = pages[-1]["next"]
        pages.append(ok(get(api, f"/v1/dossiers/{code}/history", limit=limit, cursor=cursor)))
    return pages


def test_history_in_pages_of_two_follows_next_to_the_ledgers_entries(api: Api) -> None:
    pages = history_pages(api, THREE_LEVELS, limit=2)
    assert [len(page["items"]) for page in pages] == [2, 2, 2, 2, 1]
    assert [page["next"] for page in pages] == ["2", "4", "6", "8", None]
    items = [item for page in pages for item in page["items"]]
    ledger = api.services.ledger
    stored = ledger.history("dossier", THREE_LEVELS)
    assert [(item["seq"], item["kind"]) for item in items] == [
        (entry.statement.seq, entry.statement.kind) for entry in stored
    ]
    for item, entry in zip(items, stored, strict=True):
        assert base64.b64decode(item["statement"]) == entry.raw
        assert base64.b64decode(item["signature"]) == entry.signature
        assert item["recorded_at"] == entry.recorded_at
        assert item["digest"] == signing.statement_hash(entry.raw).hex()
        assert item["leaf_index"] == ledger.leaf_index("dossier", THREE_LEVELS, item["seq"])
    assert items[5]["decoded"]["body"]["reference"] == "QĐ 1234/QĐ-SLĐTBXH"


def test_history_statements_verify_with_the_signers_registered_keys(api: Api) -> None:
    items = [item for page in history_pages(api, THREE_LEVELS, 100) for item in page["items"]]
    signers = set()
    for item in items:
        registered = ok(get(api, f"/v1/registry/keys/{item['decoded']['key']}"))
        assert registered["officer"] == item["decoded"]["officer"]
        statement = base64.b64decode(item["statement"])
        signature = base64.b64decode(item["signature"])
        signing.verify(bytes.fromhex(registered["public_key"]), statement, signature)
        with pytest.raises(BadSignature):
            signing.verify(bytes.fromhex(registered["public_key"]), statement + b"\0", signature)
        signers.add(item["decoded"]["officer"])
    assert signers == {"cb-29266-vhxh", "cv-844-ldtbxh", "cv-84-ldtbxh"}


def test_history_refuses_a_cursor_it_did_not_give_out(api: Api) -> None:
    response = get(api, f"/v1/dossiers/{THREE_LEVELS}/history", cursor="seq-2")
    assert_refused(response, "cursor")


# --- the control slip and the audit bundle ------------------------------------------------------


def test_control_slip_has_a_block_for_each_turn_with_its_budget_and_result(api: Api) -> None:
    slip = ok(get(api, f"/v1/dossiers/{THREE_LEVELS}/slip"))
    assert [
        (
            block["from_office"],
            block["to_office"],
            block["outcome"],
            block["level"],
            block["budget"] and block["budget"]["days"],
            block["result"],
        )
        for block in slip["blocks"]
    ] == [
        (None, "29266", "received", "commune", 3, "early"),
        ("29266", "844", "acknowledged", "district", 5, "early"),
        ("844", "84", "acknowledged", "province", 7, "early"),
        # the commune took in the result to return it: no level budget, the appointed time judges
        ("84", "29266", "acknowledged", "commune", None, None),
    ]
    first, second = slip["blocks"][0], slip["blocks"][1]
    assert first["deadline_iso"] == "2025-06-05T23:59:59.999999+07:00"
    assert first["finished_at"] == second["handed_at"] == at_of(api, THREE_LEVELS, 2)
    assert second["received_at"] == at_of(api, THREE_LEVELS, 3)
    assert second["by_officer"] == "cv-844-ldtbxh"
    assert slip["location"]["status"] == "closed"


def test_control_slip_of_a_refused_handover_gives_that_block_no_budget(api: Api) -> None:
    blocks = ok(get(api, f"/v1/dossiers/{REJECTED_ONCE}/slip"))["blocks"]
    assert [block["outcome"] for block in blocks] == [
        "received",
        "rejected",
        "acknowledged",
        "acknowledged",
    ]
    assert (blocks[1]["budget"], blocks[1]["result"], blocks[1]["deadline"]) == (None, None, None)
    assert blocks[2]["missing"] == 1  # the original certificate did not arrive


def test_control_slip_of_a_dossier_in_transit_ends_with_an_open_block(api: Api) -> None:
    blocks = ok(get(api, f"/v1/dossiers/{SENT}/slip"))["blocks"]
    assert [(block["to_office"], block["outcome"]) for block in blocks] == [
        (COMMUNE, "received"),
        (PROVINCE, None),
    ]
    assert blocks[0]["finished_at"] == SENT_AT


def test_bundle_verifies_offline_against_the_demo_log_key(api: Api) -> None:
    response = get(api, f"/v1/dossiers/{THREE_LEVELS}/bundle")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/msgpack"
    report = verify_bundle(response.content, LOG_VERIFIER)
    assert report.ok, report.problems
    assert report.dossier == THREE_LEVELS
    assert report.root == api.services.ledger.root(report.size)
    statements = {entry.statement for entry in Bundle.decode(response.content).entries}
    assert {entry.raw for entry in api.services.ledger.history("dossier", THREE_LEVELS)} <= (
        statements
    )


def test_bundle_of_an_entry_not_yet_checkpointed_checkpoints_the_log_first(tmp_path: Path) -> None:
    with open_api("memory:", tmp_path) as fresh:
        ledger = fresh.services.ledger
        fresh.client("officer").record(
            fresh.key(COMMUNE_OFFICER), "dossier.received", HELD, RECEIVED_BODY, applicant=APPLICANT
        )
        latest = ledger.checkpoint()
        assert latest is not None
        assert latest.size == ledger.log_size() - 1  # recorded in the same instant as the last
        report = verify_bundle(get(fresh, f"/v1/dossiers/{HELD}/bundle").content, LOG_VERIFIER)
        assert report.ok, report.problems
        assert report.size == ledger.log_size()


def test_a_tampered_bundle_does_not_verify(api: Api) -> None:
    bundle = Bundle.decode(get(api, f"/v1/dossiers/{THREE_LEVELS}/bundle").content)
    last = bundle.entries[-1]
    moved = dataclasses.replace(last, recorded_at=last.recorded_at + 1)
    tampered = dataclasses.replace(bundle, entries=(*bundle.entries[:-1], moved))
    report = verify_bundle(tampered.encode(), LOG_VERIFIER)
    assert not report.ok
    assert any("not in the log" in problem for problem in report.problems)


# --- oversight: stalls, inboxes, reports ---------------------------------------------------------


def test_stalls_now_are_listed_most_overdue_first(api: Api) -> None:
    # working hours past the limit: 0004 waited for 844 from Monday 30/6/2025 07:30 — 173
    # working days (the days off of 1-2/9/2025, 1-2/1/2026 and Tết 16-20/2/2026 left out, the
    # Saturday 10/1/2026 worked in) and 2 h, 1386 h — and SENT 40 h for the province, both
    # allowed 8; 0004 is also 1218 h past its appointed date, the end of 28/7/2025 (152 working
    # days and 2 h); HELD is 10 h past the commune's three days
    assert stall_rows(ok(get(api, "/v1/stalls"))) == [
        (LEFT_IN_TRANSIT, "unacknowledged", "844", "district", 1378 * HOUR),
        (LEFT_IN_TRANSIT, "past_appointed", "844", "district", 1218 * HOUR),
        (SENT, "unacknowledged", PROVINCE, "province", 32 * HOUR),
        (HELD, "over_level_budget", COMMUNE, "commune", 10 * HOUR),
    ]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        # 0004 (martyr-worship, sent to 844) is stalled by two rules; since 1/7/2025 844's
        # martyr-worship dossiers are Vĩnh Long's Home Affairs' (86/snv), which answers to 86,
        # no longer under Trà Vinh's province 84 through 844
        ({"office": PROVINCE}, [LEFT_IN_TRANSIT, LEFT_IN_TRANSIT, SENT, HELD]),
        ({"office": COMMUNE}, [HELD]),
        ({"office": "86/snv"}, [LEFT_IN_TRANSIT, LEFT_IN_TRANSIT]),
        ({"office": "86/syt"}, []),
        ({"office": "84"}, []),
        ({"level": "province"}, [SENT]),
        ({"level": "commune"}, [HELD]),
        ({"procedure": "martyr-worship-allowance"}, [LEFT_IN_TRANSIT, LEFT_IN_TRANSIT]),
        ({"procedure": "merit-education-preference"}, [SENT, HELD]),
        ({"rule": "over_level_budget"}, [HELD]),
        ({"rule": "past_appointed"}, [LEFT_IN_TRANSIT]),
        ({"rule": "unacknowledged", "level": "district"}, [LEFT_IN_TRANSIT]),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_each_stall_filter_keeps_only_the_matching_stalls(
    api: Api, query: dict[str, str], codes: list[str]
) -> None:
    assert [item["code"] for item in ok(get(api, "/v1/stalls", **query))["items"]] == codes


def test_stalls_as_of_an_earlier_instant_judge_each_dossier_as_it_was_then(api: Api) -> None:
    # at noon on 8/7/2025, before HELD and SENT were received, 0004 had waited for 844 six
    # working days and a morning (52 h), and its appointed date was weeks away
    then = ok(get(api, "/v1/stalls", as_of="2025-07-08T12:00:00+07:00"))
    assert stall_rows(then) == [(LEFT_IN_TRANSIT, "unacknowledged", "844", "district", 44 * HOUR)]
    assert then["items"][0]["since_iso"] == "2025-06-30T07:30:00+07:00"


def test_stalls_as_of_the_epoch_are_none(api: Api) -> None:
    # instant 0 is 1/1/1970, before anything was received: not "now"
    assert ok(get(api, "/v1/stalls", as_of="0")) == {"items": [], "next": None}


def test_stalls_of_an_unknown_office_are_a_not_found_problem(api: Api) -> None:
    assert_problem(get(api, "/v1/stalls", office="999"), 404, "unknown-office")


def test_stalls_come_in_pages(api: Api) -> None:
    first = ok(get(api, "/v1/stalls", limit=2))
    second = ok(get(api, "/v1/stalls", limit=2, cursor=first["next"]))
    assert (first["next"], second["next"]) == ("2", None)
    assert [item["code"] for item in first["items"] + second["items"]] == [
        LEFT_IN_TRANSIT,
        LEFT_IN_TRANSIT,
        SENT,
        HELD,
    ]


def test_stalls_refuse_an_unknown_rule_naming_the_rules(api: Api) -> None:
    problem = assert_refused(get(api, "/v1/stalls", rule="late"), "rule")
    assert all(rule in problem["detail"] for rule in RULES)


def test_inbox_lists_what_was_sent_to_the_office_and_not_yet_acknowledged(api: Api) -> None:
    province = ok(get(api, f"/v1/offices/{PROVINCE}/inbox", "province_officer"))
    assert [(item["code"], item["transit_from"], item["since"]) for item in province["items"]] == [
        (SENT, COMMUNE, SENT_AT)
    ]
    district = ok(get(api, "/v1/offices/844/inbox"))
    assert [(item["code"], item["transit_from"]) for item in district["items"]] == [
        (LEFT_IN_TRANSIT, "29266")
    ]
    assert ok(get(api, f"/v1/offices/{COMMUNE}/inbox", "officer")) == {"items": [], "next": None}


@pytest.mark.parametrize("read", ["inbox", "report"])
def test_inbox_and_report_of_an_unknown_office_are_a_not_found_problem(api: Api, read: str) -> None:
    assert_problem(get(api, f"/v1/offices/999/{read}"), 404, "unknown-office")


def test_office_report_counts_the_district_s_june(api: Api) -> None:
    report = ok(get(api, "/v1/offices/844/report", start="2025-06-01", end="2025-07-01"))
    report.pop("index")  # the national index's figures: tests/test_report_index.py
    # what judged them (tests/test_report_provisional.py): June's version 1, confirmed, no cut-off
    judged = [report.pop(name) for name in ("provisional", "with_cutoff", "without_cutoff")]
    assert judged == [0, 0, 2]
    versions = report.pop("judged_by")
    assert {(v["provisional"], v["cutoff"]) for v in versions} == {(None, None)}
    assert sum(v["resolved"] for v in versions) == 2
    assert report == {
        "office": "844",
        "start": start_of(date(2025, 6, 1)),
        "end": start_of(date(2025, 7, 1)),
        "received": {"direct": 4},  # 0001 to 0004, each received by a commune below 844
        "carried_over": 0,
        "early": 2,  # 0001 and 0002 decided before their appointed dates
        "on_time": 0,
        "late": 0,
        "resolved": 2,
        "on_time_rate": 1.0,
        "pending_within": 1,  # 0004, in transit; 0003 was withdrawn
        "pending_overdue": 0,
        # 0002's apology slip with a new appointed date; nothing refused, stopped or extended twice
        "notices": {"apologised": 1, "refused": 0, "stopped": 0, "extended_again": []},
    }


def test_office_report_counts_the_province_s_july_after_the_reform(api: Api) -> None:
    before = ok(get(api, f"/v1/offices/{PROVINCE}/report", start="2025-07-01", end="2025-07-08"))
    assert (before["received"], before["early"], before["pending_within"]) == ({"direct": 1}, 1, 0)


def test_office_report_of_the_province_counts_neither_a_refused_nor_a_stopped_dossier(
    api: Api,
) -> None:
    # from 1/2/2026: the demo's stopped 0008 and refused 0009, then HELD and SENT
    later = ok(get(api, f"/v1/offices/{PROVINCE}/report", start="2026-02-01", end="2026-03-11"))
    assert (later["received"], later["resolved"], later["pending_within"]) == ({"direct": 4}, 0, 2)
    assert (later["notices"]["refused"], later["notices"]["stopped"]) == (1, 1)


def test_office_report_refuses_a_period_that_ends_before_it_starts(api: Api) -> None:
    response = get(api, "/v1/offices/844/report", start="2025-07-01", end="2025-06-01")
    assert_problem(response, 422, "bad-request")


# --- the registry --------------------------------------------------------------------------------


def office_tree(api: Api, on: str) -> dict[str, dict[str, Any]]:
    """Every office on a day, walking the pages."""
    found: dict[str, dict[str, Any]] = {}
    page = ok(get(api, "/v1/registry/offices", on=on, limit=50))
    while True:
        found.update((item["id"], item) for item in page["items"])
        if page["next"] is None:
            return found
        page = ok(get(api, "/v1/registry/offices", on=on, limit=50, cursor=page["next"]))


def test_office_tree_before_the_reform_has_its_districts(api: Api) -> None:
    tree = office_tree(api, "2025-06-30")
    districts = [office for office in tree.values() if office["level"] == "district"]
    assert len(districts) == 9
    assert all(office["active"] and office["parent"] == "84" for office in districts)
    assert (tree["29266"]["parent"], tree["29266"]["active"]) == ("844", True)
    assert (tree["29410"]["parent"], tree["84"]["active"], tree[PROVINCE]["active"]) == (
        "847",
        True,
        False,
    )
    assert tree["29266"]["name"] == "Thị trấn Càng Long"


def test_office_tree_after_the_reform_has_no_districts_and_new_parents(api: Api) -> None:
    tree = office_tree(api, "2025-07-01")
    assert not any(office["active"] for office in tree.values() if office["level"] == "district")
    assert (tree["29410"]["parent"], tree["29410"]["active"]) == (PROVINCE, True)
    assert (tree[COMMUNE]["parent"], tree[COMMUNE]["name"]) == (PROVINCE, "Xã Càng Long")
    assert (tree["29266"]["active"], tree["29266"]["successor"]) == (False, COMMUNE)
    assert (tree["84"]["active"], tree["84"]["successor"]) == (False, PROVINCE)
    # the 154 units of Trà Vinh and Vĩnh Long, and five departments (DOLISA, then Home Affairs and
    # Health of each province)
    assert len(tree) == len(office_tree(api, "2025-06-30")) == 159


def test_one_office_on_a_day(api: Api) -> None:
    before = ok(get(api, "/v1/registry/offices/29410", on="2025-06-30"))
    after = ok(get(api, "/v1/registry/offices/29410", on="2025-07-01"))
    assert (before["parent"], after["parent"], after["name"]) == ("847", PROVINCE, "Xã Hòa Minh")


def test_officers_of_an_office_come_with_their_keys_and_validity(api: Api) -> None:
    officers = ok(get(api, "/v1/registry/officers", office=COMMUNE))["items"]
    assert [officer["id"] for officer in officers] == ["cb-29266-vhxh", "cb-29269-vhxh"]
    for officer in officers:
        assert officer["office"] == COMMUNE
        signer = api.key(officer["id"])
        assert [
            (key["key"], key["public_key"], key["role"], key["valid_from"], key["revoked_at"])
            for key in officer["keys"]
        ] == [(signer.key_id, signer.public_key.hex(), "officer", DEMO_START, None)]
        assert officer["keys"][0]["valid_now"] is True


def test_one_key_names_its_officer_and_when_it_is_valid(api: Api) -> None:
    signer = api.key("cv-84-ldtbxh")
    key = ok(get(api, f"/v1/registry/keys/{signer.key_id}", "consumer"))
    assert key == {
        "key": signer.key_id,
        "officer": "cv-84-ldtbxh",
        "role": "officer",
        "kind": "ed25519",
        "public_key": signer.public_key.hex(),
        "certificates": [],
        "valid_from": DEMO_START,
        "revoked_at": None,
        "valid_now": True,
    }


def test_the_key_of_an_officer_who_left_is_not_valid_now(api: Api) -> None:
    officer = ok(get(api, "/v1/registry/officers/cv-844-ldtbxh", "consumer"))  # left on 1/7/2025
    assert officer["office"] is None
    [key] = officer["keys"]
    assert (key["revoked_at"], key["valid_now"]) == (None, False)
    alone = ok(get(api, f"/v1/registry/keys/{key['key']}", "consumer"))
    assert alone["valid_now"] is False


def test_an_unknown_key_is_a_not_found_problem(api: Api) -> None:
    assert_problem(get(api, "/v1/registry/keys/0123456789abcdef"), 404, "unknown-key")


# --- the transparency log ------------------------------------------------------------------------


def latest_checkpoint(api: Api) -> Checkpoint:
    response = get(api, "/v1/log/checkpoint", "consumer")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return Checkpoint.parse(open_note(response.text, [LOG_VERIFIER]).text)


def test_checkpoint_is_a_signed_note_that_verifies_with_the_log_key(api: Api) -> None:
    checkpoint = latest_checkpoint(api)
    assert checkpoint.origin == DEMO_LOG_ORIGIN
    assert checkpoint.root == api.services.ledger.root(checkpoint.size)
    assert get(api, "/v1/log/verifier").text == LOG_VERIFIER.line() + "\n"


def test_checkpoint_by_size_is_the_one_issued_at_that_size(api: Api) -> None:
    text = get(api, "/v1/log/checkpoint").text
    size = Checkpoint.parse(open_note(text, [LOG_VERIFIER]).text).size
    kept = ok(get(api, f"/v1/log/checkpoints/{size}"))
    assert (kept["size"], kept["note"]) == (size, text)


def test_checkpoint_by_a_size_never_checkpointed_is_a_not_found_problem(api: Api) -> None:
    assert api.services.ledger.checkpoint(2) is None  # the registry is seeded in one instant
    problem = assert_problem(get(api, "/v1/log/checkpoints/2"), 404, "not-found")
    assert "size 2" in problem["detail"]


def test_inclusion_proof_by_index_verifies_against_the_checkpoint_root(api: Api) -> None:
    checkpoint = latest_checkpoint(api)
    ledger = api.services.ledger
    decision = ledger.history("dossier", THREE_LEVELS)[5]
    index = ledger.leaf_index("dossier", THREE_LEVELS, 6)
    proof = ok(get(api, "/v1/log/proofs/inclusion", index=index, size=checkpoint.size))
    assert (proof["index"], proof["size"]) == (index, checkpoint.size)
    assert bytes.fromhex(proof["root"]) == checkpoint.root
    leaf = tlog.entry_leaf_hash(decision.raw, decision.signature, decision.recorded_at)
    assert proof["leaf_hash"] == leaf.hex()
    path = [bytes.fromhex(node) for node in proof["proof"]]
    merkle.verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf, index + 1, checkpoint.size, path, checkpoint.root)


def test_inclusion_proof_by_code_and_seq_is_the_proof_of_that_entry(api: Api) -> None:
    size = latest_checkpoint(api).size
    index = api.services.ledger.leaf_index("dossier", THREE_LEVELS, 6)
    by_code = ok(get(api, "/v1/log/proofs/inclusion", code=THREE_LEVELS, seq=6, size=size))
    assert by_code == ok(get(api, "/v1/log/proofs/inclusion", index=index, size=size))


def test_inclusion_proof_of_the_latest_size_by_default(api: Api) -> None:
    size = api.services.ledger.log_size()
    proof = ok(get(api, "/v1/log/proofs/inclusion", code=SENT, seq=2))
    assert (proof["size"], proof["index"]) == (size, size - 1)  # SENT's dispatch came last
    merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["index"],
        size,
        [bytes.fromhex(node) for node in proof["proof"]],
        bytes.fromhex(proof["root"]),
    )


@pytest.mark.parametrize(
    "query",
    [{}, {"code": THREE_LEVELS}, {"index": "3", "code": THREE_LEVELS, "seq": "1"}],
    ids=["neither", "code-without-seq", "both"],
)
def test_inclusion_proof_needs_an_index_or_a_code_and_seq(api: Api, query: dict[str, str]) -> None:
    assert_problem(get(api, "/v1/log/proofs/inclusion", **query), 422, "bad-request")


def test_inclusion_proof_of_an_unknown_dossier_is_a_not_found_problem(api: Api) -> None:
    response = get(api, "/v1/log/proofs/inclusion", code="000.00.01.H59-250101-9999", seq=1)
    assert_problem(response, 404, "unknown-dossier")


def test_inclusion_proof_beyond_the_log_is_refused(api: Api) -> None:
    size = api.services.ledger.log_size()
    assert_problem(get(api, "/v1/log/proofs/inclusion", index=size), 422, "bad-proof-request")


def test_consistency_proof_between_two_checkpoints_verifies(api: Api) -> None:
    latest = latest_checkpoint(api)
    first = api.services.ledger.logstore.checkpoints(limit=1)[0].size
    old_note = ok(get(api, f"/v1/log/checkpoints/{first}"))["note"]
    old = Checkpoint.parse(open_note(old_note, [LOG_VERIFIER]).text)
    proof = ok(get(api, "/v1/log/proofs/consistency", old=first, new=latest.size))
    assert (bytes.fromhex(proof["old_root"]), bytes.fromhex(proof["new_root"])) == (
        old.root,
        latest.root,
    )
    path = [bytes.fromhex(node) for node in proof["proof"]]
    merkle.verify_consistency(first, latest.size, old.root, latest.root, path)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(first, latest.size, old.root, latest.root, path[::-1])


def test_consistency_proof_refuses_a_shrinking_log(api: Api) -> None:
    response = get(api, "/v1/log/proofs/consistency", old=10, new=5)
    assert_problem(response, 422, "bad-proof-request")


# --- the feed ------------------------------------------------------------------------------------


def test_event_feed_pages_cover_the_whole_log_in_order(api: Api) -> None:
    ledger = api.services.ledger
    page = ok(get(api, "/v1/events", "consumer", limit=100))
    assert page["next"] == "100"
    indices: list[int] = []
    while True:
        indices.extend(item["index"] for item in page["items"])
        if page["next"] is None:
            break
        page = ok(get(api, "/v1/events", "consumer", limit=100, cursor=page["next"]))
    assert indices == list(range(ledger.log_size()))


def test_event_feed_cursor_is_the_position_of_the_next_entry(api: Api) -> None:
    first = ok(get(api, "/v1/events", "consumer", cursor="5", limit=3))
    second = ok(get(api, "/v1/events", "consumer", cursor=first["next"], limit=3))
    assert [item["index"] for item in first["items"]] == [5, 6, 7]
    assert [item["index"] for item in second["items"]] == [8, 9, 10]
    assert first["next"] == "8"
    ledger = api.services.ledger
    for item in first["items"]:
        stored = ledger.history(family(item["kind"]), item["subject"])[item["seq"] - 1]
        assert base64.b64decode(item["statement"]) == stored.raw
        assert item["index"] == ledger.leaf_index(
            family(item["kind"]), item["subject"], item["seq"]
        )


def test_event_feed_ends_with_the_log(api: Api) -> None:
    size = api.services.ledger.log_size()
    last = ok(get(api, "/v1/events", "consumer", cursor=str(size - 1)))
    assert ([item["index"] for item in last["items"]], last["next"]) == ([size - 1], None)
    assert (last["items"][0]["subject"], last["items"][0]["kind"]) == (SENT, "handover.dispatched")
    assert ok(get(api, "/v1/events", "consumer", cursor=str(size))) == {"items": [], "next": None}


def server_sent_events(
    api: Api, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, str]]:
    """The events of a finite stream (`max_events`), each as its fields."""
    with api.http.stream(
        "GET",
        "/v1/events/stream",
        params=params,
        headers={**api.headers("consumer"), **(headers or {})},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields:
            events.append(fields)
    return events


def test_event_stream_sends_entries_from_the_start_of_the_log(api: Api) -> None:
    events = server_sent_events(api, max_events=3)
    assert [(event["id"], event["event"]) for event in events] == [
        ("0", "entry"),
        ("1", "entry"),
        ("2", "entry"),
    ]
    data = [json.loads(event["data"]) for event in events]
    assert [item["index"] for item in data] == [0, 1, 2]
    assert data[0]["kind"] == "authority.established"
    assert data == ok(get(api, "/v1/events", "consumer", limit=3))["items"]


def test_event_stream_resumes_after_the_last_event_id(api: Api) -> None:
    events = server_sent_events(api, {"Last-Event-ID": "1"}, max_events=2)
    assert [event["id"] for event in events] == ["2", "3"]
    assert [json.loads(event["data"])["index"] for event in events] == [2, 3]


def test_event_stream_starts_at_a_cursor(api: Api) -> None:
    events = server_sent_events(api, cursor="10", max_events=2)
    assert [event["id"] for event in events] == ["10", "11"]


# --- the same reads on every backend -------------------------------------------------------------


def test_main_reads_agree_on_every_backend(database_url: str, tmp_path: Path) -> None:
    with open_api(database_url, tmp_path) as api:
        receive_and_send(api)
        api.clock.advance(WEEK)
        assert ok(get(api, f"/v1/dossiers/{SENT}"))["transit_to"] == PROVINCE
        history = [item for page in history_pages(api, THREE_LEVELS, 4) for item in page["items"]]
        assert [item["seq"] for item in history] == list(range(1, 10))
        assert [item["code"] for item in ok(get(api, "/v1/stalls"))["items"]] == [
            LEFT_IN_TRANSIT,
            LEFT_IN_TRANSIT,
            SENT,
            HELD,
        ]
        checkpoint = latest_checkpoint(api)
        proof = ok(get(api, "/v1/log/proofs/inclusion", code=THREE_LEVELS, seq=1))
        merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            proof["index"],
            proof["size"],
            [bytes.fromhex(node) for node in proof["proof"]],
            api.services.ledger.root(proof["size"]),
        )
        assert checkpoint.root == api.services.ledger.root(checkpoint.size)
        report = verify_bundle(
            get(api, f"/v1/dossiers/{THREE_LEVELS}/bundle").content, LOG_VERIFIER
        )
        assert report.ok, report.problems
        events = ok(get(api, "/v1/events", "consumer", limit=500))["items"]
        assert len(events) == api.services.ledger.log_size()


def test_an_office_whose_id_holds_a_slash_is_read_by_its_id(api: Api) -> None:
    office = ok(get(api, f"/v1/registry/offices/{COMMUNE}", on="2025-07-01"))
    assert (office["id"], office["name"], office["parent"]) == (COMMUNE, "Xã Càng Long", PROVINCE)
    encoded = ok(get(api, "/v1/registry/offices/29266%2F2025", on="2025-07-01"))
    assert encoded == office  # as a client that escapes the slash sends it


def test_active_offices_come_in_full_pages(api: Api) -> None:
    pages = [ok(get(api, "/v1/registry/offices", on="2025-07-01", active_only="true", limit=10))]
    while pages[-1]["next"] is not None:
        cursor = pages[-1]["next"]
        pages.append(
            ok(
                get(
                    api,
                    "/v1/registry/offices",
                    on="2025-07-01",
                    active_only="true",
                    limit=10,
                    cursor=cursor,
                )
            )
        )
    assert [len(page["items"]) for page in pages] == [10, 10, 10, 10, 4]
    active = [office["id"] for page in pages for office in page["items"]]
    assert all(office["active"] for page in pages for office in page["items"])
    tree = office_tree(api, "2025-07-01")
    assert active == sorted(office for office in tree if tree[office]["active"])
    assert PROVINCE in active
    assert "844" not in active


def test_officers_of_an_office_come_in_full_pages(api: Api) -> None:
    first = ok(get(api, "/v1/registry/officers", office=COMMUNE, limit=1))
    second = ok(get(api, "/v1/registry/officers", office=COMMUNE, limit=1, cursor=first["next"]))
    third = ok(get(api, "/v1/registry/officers", office=COMMUNE, limit=1, cursor=second["next"]))
    assert [officer["id"] for officer in first["items"] + second["items"]] == [
        "cb-29266-vhxh",
        "cb-29269-vhxh",
    ]
    assert third == {"items": [], "next": None}
