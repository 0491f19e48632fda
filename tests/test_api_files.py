"""A dossier's files over HTTP: they travel with the handover, only the offices that held the
dossier (and inspectors over them) read them, every download is logged, and every bad upload
or damaged file gets a clear problem with nothing kept and nothing partial served."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.client import ApiProblem
from ledger.stores.blobs import CHUNK, DirectoryBlobs
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    assert_problem,
    code_today,
    ok,
    open_api,
    settings_for,
)
from tests.test_files_pending import crash

SCAN = random.Random(2025).randbytes(3 * CHUNK + 17)  # a scanned application, in a few chunks
SCAN_SHA = hashlib.sha256(SCAN).digest()
SCAN_DOC = {"name": "Bản chụp CCCD và đơn", "sha256": SCAN_SHA}
MAX_FILE = 5 * CHUNK


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(database_url, tmp_path, max_file_bytes=MAX_FILE) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("api-files")
    with open_api(
        f"sqlite:///{directory / 'ledger.db'}", directory, max_file_bytes=MAX_FILE
    ) as opened:
        yield opened


def put(api: Api, code: str, data: Any, sha256: bytes, role: str = "officer", **kw: Any) -> Any:
    headers = {**api.headers(role), **kw.pop("headers", {})}
    return api.http.put(
        f"/v1/dossiers/{code}/files/{sha256.hex()}", content=data, headers=headers, **kw
    )


def fetch(api: Api, code: str, sha256: bytes, role: str = "officer") -> Any:
    return api.http.get(f"/v1/dossiers/{code}/files/{sha256.hex()}", headers=api.headers(role))


def receive_with_scan(api: Api, code: str) -> dict[str, Any]:
    """The commune uploads the scan, then records the receipt that lists it."""
    uploaded = put(api, code, SCAN, SCAN_SHA)
    assert uploaded.status_code in (200, 201), uploaded.text
    body = {**RECEIVED_BODY, "documents": [DOCUMENT, SCAN_DOC]}
    officer = api.client("officer")
    return officer.record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, body, applicant=APPLICANT
    )


def dispatch(api: Api, code: str, documents: list[dict[str, Any]]) -> dict[str, Any]:
    return api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "handover.dispatched",
        code,
        {"to": PROVINCE, "purpose": "process", "documents": documents},
    )


def acknowledge(api: Api, code: str, sent: dict[str, Any], documents: list[Any]) -> Any:
    return api.client("province_officer").record(
        api.key(PROVINCE_OFFICER),
        "handover.acknowledged",
        code,
        {"dispatch": bytes.fromhex(sent["digest"]), "documents": documents},
    )


def blobs_on_disk(api: Api) -> list[Path]:
    blobs = api.services.files.blobs
    assert isinstance(blobs, DirectoryBlobs)
    found = [p for p in blobs.root.rglob("*") if p.is_file()]
    return sorted(found)


# --- the happy path, on every backend -------------------------------------------------------------


def test_the_scan_travels_with_the_handover_and_arrives_byte_for_byte(api: Api) -> None:
    code = code_today(api.services, 301)
    first = put(api, code, SCAN, SCAN_SHA)
    assert first.status_code == 201, first.text
    assert (first.json()["size"], first.json()["new"]) == (len(SCAN), True)
    again = put(api, code, iter([SCAN[:1000], SCAN[1000:]]), SCAN_SHA)
    assert (again.status_code, again.json()["new"]) == (200, False)
    receive_with_scan(api, code)
    sent = dispatch(api, code, [DOCUMENT, SCAN_DOC])

    got = fetch(api, code, SCAN_SHA, "province_officer")  # in transit to the province
    assert got.status_code == 200, got.text
    assert got.content == SCAN
    assert got.headers["content-length"] == str(len(SCAN))
    assert got.headers["repr-digest"] == f"sha-256=:{base64.b64encode(SCAN_SHA).decode()}:"
    assert "filename*=UTF-8''B%E1%BA%A3n" in got.headers["content-disposition"]

    listed = ok(api.http.get(f"/v1/dossiers/{code}/files", headers=api.headers("officer")))
    scan = next(f for f in listed if f["sha256"] == SCAN_SHA.hex())
    assert (scan["uploaded_by_office"], scan["uploaded_by_officer"]) == (COMMUNE, COMMUNE_OFFICER)
    assert [(x["kind"], x["seq"], x["name"]) for x in scan["listed_in"]] == [
        ("dossier.received", 1, "Bản chụp CCCD và đơn"),
        ("handover.dispatched", 2, "Bản chụp CCCD và đơn"),
    ]
    acknowledge(api, code, sent, [DOCUMENT, SCAN_DOC])
    history = ok(api.http.get(f"/v1/dossiers/{code}/history", headers=api.headers("officer")))
    assert [entry["discrepancy"] for entry in history["items"]] == [None, None, None]


# --- refusals -------------------------------------------------------------------------------------


def test_before_the_receipt_only_the_uploading_office_sees_its_files(shared: Api) -> None:
    code = code_today(shared.services, 316)
    assert put(shared, code, SCAN, SCAN_SHA).status_code == 201
    assert fetch(shared, code, SCAN_SHA).content == SCAN
    mine = ok(shared.http.get(f"/v1/dossiers/{code}/files", headers=shared.headers("officer")))
    assert [f["sha256"] for f in mine] == [SCAN_SHA.hex()]
    for role in ("province_officer", "inspector", "consumer"):
        assert_problem(fetch(shared, code, SCAN_SHA, role), 404, "unknown-dossier")
        listed = shared.http.get(f"/v1/dossiers/{code}/files", headers=shared.headers(role))
        assert_problem(listed, 404, "unknown-dossier")


def test_a_statement_listing_a_file_never_uploaded_is_refused_and_nothing_recorded(
    shared: Api,
) -> None:
    size = shared.services.ledger.log_size()
    body = {**RECEIVED_BODY, "documents": [SCAN_DOC]}
    with pytest.raises(ApiProblem) as refused:
        shared.client("officer").record(
            shared.key(COMMUNE_OFFICER),
            "dossier.received",
            code_today(shared.services, 317),
            body,
            applicant=APPLICANT,
        )
    assert (refused.value.status, refused.value.code) == (422, "file-not-uploaded")
    assert "Bản chụp CCCD và đơn" in refused.value.problem["detail"]
    assert SCAN_SHA.hex() in refused.value.problem["detail"]
    assert shared.services.ledger.log_size() == size


def test_bytes_that_are_not_the_declared_hash_are_refused_and_nothing_kept(shared: Api) -> None:
    before = blobs_on_disk(shared)
    wrong = hashlib.sha256(b"another scan").digest()
    problem = assert_problem(put(shared, "FILES-HASH-1", SCAN, wrong), 422, "file-hash-mismatch")
    assert SCAN_SHA.hex() in problem["detail"]
    assert wrong.hex() in problem["detail"]
    assert blobs_on_disk(shared) == before
    listed = shared.http.get("/v1/dossiers/FILES-HASH-1/files", headers=shared.headers("officer"))
    assert listed.status_code == 404  # no such dossier yet, and nothing was kept for it


@pytest.mark.parametrize("announced", [True, False])
def test_a_file_over_the_cap_is_refused_and_nothing_kept(shared: Api, announced: bool) -> None:
    before = blobs_on_disk(shared)
    big = bytes(MAX_FILE + 1)
    data: Any = big if announced else iter([big[:CHUNK]] * 5 + [big[5 * CHUNK :]])
    problem = assert_problem(
        put(shared, "FILES-BIG-1", data, hashlib.sha256(big).digest()), 413, "file-too-large"
    )
    assert f"{MAX_FILE:,}" in problem["detail"]
    assert blobs_on_disk(shared) == before


def test_an_upload_cut_short_is_refused_and_nothing_kept(shared: Api) -> None:
    before = blobs_on_disk(shared)
    cut = put(
        shared,
        "FILES-CUT-1",
        iter([SCAN[: 2 * CHUNK]]),
        SCAN_SHA,
        headers={"Content-Length": str(len(SCAN))},
    )
    problem = assert_problem(cut, 422, "file-incomplete")
    assert f"announced {len(SCAN):,} bytes" in problem["detail"]
    assert blobs_on_disk(shared) == before


@pytest.mark.parametrize(
    ("fields", "files", "says"),
    [
        ({}, {"file": ("scan.bin", SCAN)}, None),
        ({"sha256": SCAN_SHA.hex()}, {"file": ("scan.bin", SCAN)}, None),
        ({"sha256": "00" * 32}, {"file": ("scan.bin", SCAN)}, "file-hash-mismatch"),
        ({"sha256": "not hex"}, {"file": ("scan.bin", SCAN)}, "bad-request"),
        ({"sha256": ""}, {"file": ("scan.bin", SCAN)}, "bad-request"),  # given, so it must be one
        ({"sha256": [SCAN_SHA.hex(), SCAN_SHA.hex()]}, {"file": ("scan.bin", SCAN)}, "bad-request"),
        ({"note": "x"}, {"file": ("scan.bin", SCAN)}, "bad-request"),
        ({"sha256": SCAN_SHA.hex()}, {}, "bad-request"),
    ],
)
def test_a_multipart_upload_streams_the_file_part(
    shared: Api, fields: dict[str, Any], files: dict[str, Any], says: str | None
) -> None:
    before = blobs_on_disk(shared)
    code = "FILES-FORM-1"
    response = shared.http.post(
        f"/v1/dossiers/{code}/files",
        data=fields,
        files=files or {"other": ("x", b"x")},
        headers=shared.headers("officer"),
    )
    if says is None:
        assert response.status_code in (200, 201), response.text
        assert response.json()["sha256"] == SCAN_SHA.hex()
        assert b"".join(shared.services.files.open(code, SCAN_SHA)) == SCAN
    else:
        assert_problem(response, 422, says)
        assert blobs_on_disk(shared) == before


def test_an_upload_that_is_not_a_form_is_refused(shared: Api) -> None:
    response = shared.http.post(
        "/v1/dossiers/FILES-FORM-2/files", content=SCAN, headers=shared.headers("officer")
    )
    assert_problem(response, 422, "bad-request")


@pytest.mark.parametrize(
    "body", [b"no boundary anywhere", b"--b0undary\r\nContent-Disposition: form-data\r\n\r\nx"]
)
def test_a_form_that_does_not_parse_is_refused_and_nothing_kept(shared: Api, body: bytes) -> None:
    before = blobs_on_disk(shared)
    response = shared.http.post(
        "/v1/dossiers/FILES-FORM-3/files",
        content=body,
        headers={
            **shared.headers("officer"),
            "Content-Type": "multipart/form-data; boundary=b0undary",
        },
    )
    assert_problem(response, 422, "bad-request")
    assert blobs_on_disk(shared) == before


def test_only_the_office_holding_the_dossier_attaches_files_to_it(shared: Api) -> None:
    code = code_today(shared.services, 311)
    receive_with_scan(shared, code)
    other = hashlib.sha256(b"x").digest()
    assert_problem(put(shared, code, b"x", other, "province_officer"), 403, "forbidden")
    for role in ("consumer", "registrar", "inspector"):
        assert_problem(put(shared, code, b"x", other, role), 403, "forbidden")
    unauthenticated = shared.http.put(f"/v1/dossiers/{code}/files/{other.hex()}", content=b"x")
    assert_problem(unauthenticated, 401, "unauthenticated")


def test_who_may_read_a_dossiers_files_and_the_log_of_who_did(shared: Api) -> None:
    code = code_today(shared.services, 312)
    receive_with_scan(shared, code)
    assert_problem(fetch(shared, code, SCAN_SHA, "province_officer"), 403, "forbidden")
    dispatch(shared, code, [DOCUMENT, SCAN_DOC])
    shared.tokens["stranger"] = shared.token("officer", office="29269/2025", officer="cb-other")
    outcomes = {
        "officer": 200,  # received it
        "province_officer": 200,  # it is on its way there
        "inspector": 200,  # the province's inspector: it passed through the subtree
        "stranger": 403,  # never held it
        "consumer": 403,
        "registrar": 403,
    }
    for role, status in outcomes.items():
        assert fetch(shared, code, SCAN_SHA, role).status_code == status, role
    log = ok(
        shared.http.get(f"/v1/dossiers/{code}/file-access", headers=shared.headers("inspector"))
    )
    assert [(a["office"], a["outcome"]) for a in log["items"]] == [
        (PROVINCE, "refused"),
        (COMMUNE, "served"),
        (PROVINCE, "served"),
        (PROVINCE, "served"),
        ("29269/2025", "refused"),
        (None, "refused"),
        (None, "refused"),
    ]
    assert all(a["sha256"] == SCAN_SHA.hex() for a in log["items"])
    first = ok(
        shared.http.get(
            f"/v1/dossiers/{code}/file-access",
            params={"limit": 2},
            headers=shared.headers("registrar"),
        )
    )
    assert len(first["items"]) == 2
    assert first["next"] is not None
    for role in ("officer", "consumer"):
        denied = shared.http.get(f"/v1/dossiers/{code}/file-access", headers=shared.headers(role))
        assert_problem(denied, 403, "forbidden")


def test_a_damaged_file_is_named_and_no_byte_of_it_is_served(shared: Api) -> None:
    code = code_today(shared.services, 313)
    receive_with_scan(shared, code)
    stored = shared.services.files.stored(code, SCAN_SHA)
    assert stored is not None
    blobs = shared.services.files.blobs
    assert isinstance(blobs, DirectoryBlobs)
    path = blobs.path(stored.blob)
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01  # a bit of the last chunk: the first three would pass
    path.write_bytes(bytes(raw))
    problem = assert_problem(fetch(shared, code, SCAN_SHA), 500, "file-corrupted")
    assert SCAN_SHA.hex() in problem["detail"]
    assert "chunk 3" in problem["detail"]
    log = shared.services.files.accesses(code)
    assert [a.outcome for a in log] == ["corrupted"]


def test_erasing_a_dossiers_personal_data_destroys_its_files(shared: Api) -> None:
    code = code_today(shared.services, 314)
    receive_with_scan(shared, code)
    erased = shared.http.delete(
        f"/v1/dossiers/{code}/applicant", headers=shared.headers("registrar")
    )
    assert erased.status_code == 204, erased.text
    assert_problem(fetch(shared, code, SCAN_SHA), 410, "file-erased")
    listed = ok(shared.http.get(f"/v1/dossiers/{code}/files", headers=shared.headers("officer")))
    assert {f["sha256"]: f["erased"] for f in listed} == {
        DOCUMENT["sha256"].hex(): True,
        SCAN_SHA.hex(): True,
    }
    assert_problem(put(shared, code, b"more", hashlib.sha256(b"more").digest()), 410, "file-erased")


def test_an_acknowledgement_that_lists_other_files_shows_the_discrepancy(shared: Api) -> None:
    code = code_today(shared.services, 315)
    receive_with_scan(shared, code)
    sent = dispatch(shared, code, [DOCUMENT, SCAN_DOC])
    photo = {"name": "Ảnh chụp bổ sung", "sha256": hashlib.sha256(b"photo").digest()}
    acknowledge(shared, code, sent, [DOCUMENT, photo])  # the scan did not arrive; a photo did
    history = ok(shared.http.get(f"/v1/dossiers/{code}/history", headers=shared.headers("officer")))
    assert history["items"][2]["discrepancy"] == {
        "missing": [{"name": "Bản chụp CCCD và đơn", "sha256": SCAN_SHA.hex()}],
        "extra": [{"name": "Ảnh chụp bổ sung", "sha256": photo["sha256"].hex()}],
    }
    slip = ok(shared.http.get(f"/v1/dossiers/{code}/slip", headers=shared.headers("officer")))
    handover = next(block for block in slip["blocks"] if block.get("missing"))
    assert (handover["missing"], handover["extra"]) == (1, 1)


# --- what an attacker or a clumsy client sends ----------------------------------------------------

BAD_CODES = {  # as they appear in the URL (percent-encoded), and what the server reads
    "..%2F..%2Fetc%2Fpasswd": "../../etc/passwd",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E": "<script>alert(1)</script>",
    "A%00B": "A\x00B",
    "%FF%FE": "\ufffd\ufffd",  # bytes that are not UTF-8
    "x" * 129: "x" * 129,
}


def stored_rows(api: Api) -> tuple[int, int, int]:
    files = api.services.files
    return tuple(  # type: ignore[return-value]
        int(files.query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608
        for table in ("lienthong_files", "lienthong_file_keys", "lienthong_file_access")
    )


def test_refuses_a_bad_dossier_code_on_every_files_route_with_or_without_a_token(api: Api) -> None:
    before = stored_rows(api)
    sha = SCAN_SHA.hex()
    for encoded in BAD_CODES:
        for headers in (api.headers("officer"), {}):
            for method, path in (
                ("GET", f"/v1/dossiers/{encoded}/files"),
                ("GET", f"/v1/dossiers/{encoded}/files/{sha}"),
                ("PUT", f"/v1/dossiers/{encoded}/files/{sha}"),
                ("POST", f"/v1/dossiers/{encoded}/files"),
                ("GET", f"/v1/dossiers/{encoded}/file-access"),
            ):
                body = b"x" if method != "GET" else None
                response = api.http.request(method, path, content=body, headers=headers)
                problem = assert_problem(response, 422, "bad-identifier")
                assert "dossier code must be 1 to 128 characters" in problem["detail"]
    assert stored_rows(api) == before


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[Api]:
    """A server whose offices may hold two pending uploads, for a day."""
    with open_api(
        f"sqlite:///{tmp_path / 'ledger.db'}",
        tmp_path,
        max_file_bytes=MAX_FILE,
        pending_files=2,
        pending_bytes=MAX_FILE,
        pending_hours=24,
    ) as opened:
        yield opened


def test_refuses_an_upload_past_the_offices_quota_until_a_statement_names_its_uploads(
    tight: Api,
) -> None:
    code = code_today(tight.services, 320)
    assert put(tight, code, SCAN, SCAN_SHA).status_code == 201
    tight.attach(code)  # the application form, DOCUMENT
    more = b"another scan"
    refused = put(tight, code, more, hashlib.sha256(more).digest())
    problem = assert_problem(refused, 422, "file-quota-exceeded")
    assert "office 29266/2025 holds 2 upload(s)" in problem["detail"]
    assert f"its quota is 2 files and {MAX_FILE:,} bytes" in problem["detail"]
    theirs = b"the province's own scan"  # another office preparing the same code: its own quota
    assert (
        put(tight, code, theirs, hashlib.sha256(theirs).digest(), "province_officer").status_code
        == 201
    )

    receive_with_scan(tight, code)  # the receipt names both: they are the dossier's now

    assert put(tight, code, more, hashlib.sha256(more).digest()).status_code == 201


def test_an_upload_no_statement_names_is_removed_a_day_later(tight: Api) -> None:
    named, stray = code_today(tight.services, 321), code_today(tight.services, 399)
    receive_with_scan(tight, named)
    assert put(tight, stray, SCAN, SCAN_SHA).status_code == 201  # never received
    stray_blob = tight.services.files.files(stray)[0].blob
    tight.clock.advance(25 * 3600)

    assert put(tight, named, b"x", hashlib.sha256(b"x").digest()).status_code == 201

    assert tight.services.files.files(stray) == []
    assert not blobs_of(tight, stray_blob)
    assert fetch(tight, named, SCAN_SHA).content == SCAN  # named by the receipt: kept


def blobs_of(api: Api, blob: bytes) -> list[Path]:
    return [p for p in blobs_on_disk(api) if p.name == blob.hex()]


def test_refuses_a_multipart_body_without_its_closing_boundary_and_keeps_nothing(
    shared: Api,
) -> None:
    before = blobs_on_disk(shared)
    part = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="scan.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + SCAN
    )
    for cut in (part, part + b"\r\n--b0undary", part + b"\r\n--b0undary\r\n"):
        response = shared.http.post(
            "/v1/dossiers/FILES-FORM-4/files",
            content=cut,
            headers={
                **shared.headers("officer"),
                "Content-Type": "multipart/form-data; boundary=b0undary",
            },
        )
        problem = assert_problem(response, 422, "file-incomplete")
        assert "ended before its closing boundary" in problem["detail"]
    assert shared.services.files.files("FILES-FORM-4") == []
    assert blobs_on_disk(shared) == before
    whole = part + b"\r\n--b0undary--\r\n"
    response = shared.http.post(
        "/v1/dossiers/FILES-FORM-4/files",
        content=whole,
        headers={
            **shared.headers("officer"),
            "Content-Type": "Multipart/Form-Data; Boundary=b0undary",  # any case
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == SCAN_SHA.hex()


def call(api: Api, method: str, path: str, headers: dict[str, str], pieces: list[bytes]) -> Any:
    """Send a request straight to the app: `pieces` of its body, then the client goes away
    (http.disconnect). (The status it answered, how many pieces it read.)"""
    messages = [{"type": "http.request", "body": p, "more_body": True} for p in pieces]
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(messages):
            read += 1
            return messages[read - 1]
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(api.http.app(scope, receive, send))
    starts = [m["status"] for m in sent if m["type"] == "http.response.start"]
    return (starts[0] if starts else None), read


@pytest.mark.parametrize("form", [False, True])
def test_a_client_that_goes_away_mid_upload_is_one_line_in_the_log_and_nothing_is_kept(
    shared: Api, caplog: pytest.LogCaptureFixture, form: bool
) -> None:
    code = "FILES-GONE-1"
    before = blobs_on_disk(shared)
    if form:
        path, kind = f"/v1/dossiers/{code}/files", "multipart/form-data; boundary=b0undary"
        first = b'--b0undary\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + SCAN[:CHUNK]
    else:
        path, kind = f"/v1/dossiers/{code}/files/{SCAN_SHA.hex()}", "application/octet-stream"
        first = SCAN[:CHUNK]
    headers = {**shared.headers("officer"), "Content-Type": kind}
    caplog.set_level(logging.DEBUG)

    call(shared, "PUT" if not form else "POST", path, headers, [first, SCAN[CHUNK : 2 * CHUNK]])

    said = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(said) == 1, [r.getMessage() for r in said]
    assert said[0].levelno == logging.WARNING
    assert said[0].exc_info is None
    assert f"upload to dossier {code} cut off: the client went away after" in said[0].getMessage()
    assert shared.services.files.files(code) == []
    assert blobs_on_disk(shared) == before


@pytest.mark.parametrize(
    "kind",
    ["application/octet-stream", "multipart/form-data", "Multipart/Form-Data", "TEXT/PLAIN"],
)
def test_a_raw_upload_announcing_more_than_the_cap_is_refused_unread_whatever_its_type(
    shared: Api, kind: str
) -> None:
    headers = {
        **shared.headers("officer"),
        "Content-Type": kind,
        "Content-Length": str(MAX_FILE + 1),
    }
    path = f"/v1/dossiers/FILES-BIG-2/files/{SCAN_SHA.hex()}"
    status, read = call(shared, "PUT", path, headers, [bytes(CHUNK)] * 6)
    assert (status, read) == (413, 0)


def test_the_server_removes_what_a_crash_left_as_it_starts_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, directory = f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "ledger-files"
    settings_for(url, tmp_path)  # the keys
    crash((url, directory), "empty")
    crash((url, directory), "unkept")
    assert len(list((directory / ".incoming").iterdir())) == 1
    caplog.set_level(logging.INFO, logger="lienthong.api")

    with open_api(url, tmp_path) as started:
        assert blobs_on_disk(started) == []

    said = [r.getMessage() for r in caplog.records if r.name == "lienthong.api"]
    assert (
        "file store: removed 0 unnamed upload(s) past their time and 2 crash leftover(s)"
        in (said[0])
    )
