"""A dossier's files on the command line: attach and fetch-file against the API (in process),
`verify --files` on the database the server kept them in, and the files beside an audit bundle
(`export --with-files`, `verify-bundle --files`), with their refusals and exit codes (0 done;
1 refused or does not verify; 2 bad input)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

import api.cli.files
from api.cli.main import app
from api.client import Client
from ledger.simulation.demo import DEMO_START, demo_log_key
from ledger.stores.files import FileStore
from tests.apiworld import (
    APPLICANT,
    COMMUNE_OFFICER,
    DATA_KEY,
    DOCUMENT,
    DOCUMENT_BYTES,
    RECEIVED_BODY,
    Api,
    demo_code,
    open_api,
)
from tests.test_files_pending import crash

runner = CliRunner()
CODE = demo_code(401)  # received with DOCUMENT and SCAN by the commune
SCAN = b"CCCD " * 50_000  # a few pieces of the command's reads
SCAN_SHA = hashlib.sha256(SCAN).digest()
SCAN_DOC = {"name": "Bản chụp CCCD", "sha256": SCAN_SHA}
DEMO_VKEY = demo_log_key().verifier.line()
SERVER = ["--server", "http://testserver"]


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATA_KEY",
        "FILES_DIR",
        "SERVER",
        "TOKEN",
        "LOG_KEY",
        "LOG_VERIFIER",
        "PENDING_HOURS",
    ):
        monkeypatch.delenv(f"LIENTHONG_{name}", raising=False)


def receive(api: Api, code: str) -> None:
    """The commune uploads the scan and records the receipt listing both documents."""
    api.attach(code, data=SCAN)
    api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "dossier.received",
        code,
        {**RECEIVED_BODY, "documents": [DOCUMENT, SCAN_DOC]},
        applicant=APPLICANT,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("served")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        receive(opened, CODE)
        yield opened


@pytest.fixture
def server(served: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The commands' client talks to the app in this process."""
    monkeypatch.setattr(
        api.cli.files,
        "connect",
        lambda _server, token, lang: Client(
            http=TestClient(served.http.app), token=token, lang=lang
        ),
    )
    return served


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server's directory after it stopped: ledger.db, its files in ledger-files/, the keys."""
    directory = tmp_path_factory.mktemp("kept")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        receive(opened, CODE)
    return directory


@pytest.fixture
def local(kept: Path, tmp_path: Path) -> Path:
    """A copy of `kept` of this test's own."""
    copy = tmp_path / "server"
    shutil.copytree(kept, copy)
    return copy


def cli(*args: str, lang: str = "en") -> Result:
    return runner.invoke(app, ["--lang", lang, *args])


def on(directory: Path, *args: str) -> Result:
    return cli("--database-url", f"sqlite:///{directory / 'ledger.db'}", *args)


def token(api: Api, role: str = "officer") -> list[str]:
    return ["--token", api.tokens[role]]


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


# --- attach -------------------------------------------------------------------------------------


def test_attach_uploads_each_file_and_says_whether_the_server_had_it(
    server: Api, tmp_path: Path
) -> None:
    code = "000.66.29.H59-250708-0402"
    (tmp_path / "don.pdf").write_bytes(DOCUMENT_BYTES)
    (tmp_path / "cccd.jpg").write_bytes(SCAN)
    files = [str(tmp_path / "don.pdf"), str(tmp_path / "cccd.jpg")]

    first = ok(cli("attach", code, *files, *SERVER, *token(server)))
    again = ok(cli("attach", code, files[1], *SERVER, *token(server)))

    assert f"don.pdf: 11 bytes, SHA-256 {DOCUMENT['sha256'].hex()} — uploaded (new)" in first
    assert f"cccd.jpg: 250,000 bytes, SHA-256 {SCAN_SHA.hex()} — uploaded (new)" in first
    assert f"cccd.jpg: 250,000 bytes, SHA-256 {SCAN_SHA.hex()} — already held" in again
    held = {f.sha256: f.size for f in server.services.files.files(code)}
    assert held == {DOCUMENT["sha256"]: len(DOCUMENT_BYTES), SCAN_SHA: len(SCAN)}


def test_attach_speaks_vietnamese_first(server: Api, tmp_path: Path) -> None:
    (tmp_path / "don.pdf").write_bytes(DOCUMENT_BYTES)
    args = ["attach", CODE, str(tmp_path / "don.pdf"), *SERVER, *token(server)]
    assert "máy chủ đã có tệp này từ trước" in ok(cli(*args, lang="vi"))


def test_attach_refuses_a_missing_local_file_before_sending_anything(
    server: Api, tmp_path: Path
) -> None:
    code = "000.66.29.H59-250708-0403"
    (tmp_path / "don.pdf").write_bytes(DOCUMENT_BYTES)
    missing = tmp_path / "khong-co.pdf"

    result = cli("attach", code, str(tmp_path / "don.pdf"), str(missing), *SERVER, *token(server))

    assert result.exit_code == 2
    assert f"Cannot read {missing}" in result.output
    assert server.services.files.files(code) == []


def test_attach_prints_the_servers_refusal_and_exits_non_zero(server: Api, tmp_path: Path) -> None:
    (tmp_path / "don.pdf").write_bytes(DOCUMENT_BYTES)
    args = ["attach", "000.66.29.H59-250708-0404", str(tmp_path / "don.pdf"), *SERVER]

    result = cli(*args, *token(server, "consumer"))
    in_vietnamese = cli(*args, *token(server, "consumer"), lang="vi")

    assert result.exit_code == 2  # the caller's own mistake: a token that may not upload
    assert "(forbidden)" in result.output  # the problem's code, title and detail
    assert "This token may not do this" in result.output  # the server's title, in English
    assert "a consumer token may not do this" in result.output
    assert "không được phép" in in_vietnamese.output


# --- fetch-file ---------------------------------------------------------------------------------


def test_fetch_file_writes_the_checked_bytes_named_by_their_hash(
    server: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    output = ok(cli("fetch-file", CODE, SCAN_SHA.hex(), *SERVER, *token(server)))
    assert (tmp_path / SCAN_SHA.hex()).read_bytes() == SCAN
    assert "250,000 bytes" in output
    chosen = tmp_path / "don.pdf"
    ok(
        cli(
            "fetch-file",
            CODE,
            DOCUMENT["sha256"].hex(),
            "--out",
            str(chosen),
            *SERVER,
            *token(server),
        )
    )
    assert chosen.read_bytes() == DOCUMENT_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([SCAN_SHA.hex(), "don.pdf"])


def test_fetch_file_refuses_to_overwrite_an_existing_file_unless_forced(
    server: Api, tmp_path: Path
) -> None:
    target = tmp_path / "don.pdf"
    target.write_bytes(b"mine")
    args = ["fetch-file", CODE, DOCUMENT["sha256"].hex(), "--out", str(target), *SERVER]

    refused = cli(*args, *token(server))
    assert refused.exit_code == 2
    assert f"{target} already exists" in refused.output
    assert target.read_bytes() == b"mine"
    ok(cli(*args, "--force", *token(server)))
    assert target.read_bytes() == DOCUMENT_BYTES


def test_fetch_file_keeps_nothing_when_the_bytes_do_not_match_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lying = httpx.MockTransport(lambda _request: httpx.Response(200, content=b"something else"))
    monkeypatch.setattr(
        api.cli.files,
        "connect",
        lambda server, _token, _lang: Client(http=httpx.Client(transport=lying, base_url=server)),
    )
    target = tmp_path / "don.pdf"
    args = ["fetch-file", CODE, DOCUMENT["sha256"].hex(), "--out", str(target), *SERVER]

    result = cli(*args, "--token", "t")

    assert result.exit_code == 1
    assert "do not hash to" in result.output
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file


def test_fetch_file_exits_1_on_a_file_the_server_does_not_hold(server: Api, tmp_path: Path) -> None:
    target = tmp_path / "x"
    args = ["fetch-file", CODE, "ab" * 32, "--out", str(target), *SERVER, *token(server)]
    result = cli(*args)
    assert result.exit_code == 1
    assert "file-not-uploaded" in result.output
    assert list(tmp_path.iterdir()) == []


def test_fetch_file_refuses_what_is_not_a_sha256(server: Api) -> None:
    result = cli("fetch-file", CODE, "abc", *SERVER, *token(server))
    assert result.exit_code == 2
    assert "'abc' is not a SHA-256" in result.output


# --- verify --files -----------------------------------------------------------------------------


def verify_files(directory: Path, *extra: str) -> Result:
    return on(directory, "verify", "--log-key", DEMO_VKEY, "--workers", "1", "--files", *extra)


def test_verify_files_checks_every_stored_file(local: Path) -> None:
    output = ok(verify_files(local, "--data-key", str(local / "data.key")))
    assert "Ledger intact" in output
    assert "Dossier files intact: 2 files" in output


def test_verify_files_names_a_damaged_file_and_exits_1(local: Path) -> None:
    blobs = [p for p in (local / "ledger-files").rglob("*") if p.is_file()]
    damaged = max(blobs, key=lambda p: p.stat().st_size)  # the scan's blob
    data = bytearray(damaged.read_bytes())
    data[100] ^= 1
    damaged.write_bytes(bytes(data))

    result = verify_files(local, "--data-key", str(local / "data.key"))

    assert result.exit_code == 1
    assert "Ledger intact" in result.output  # the log is fine: only a file is not
    assert "1 of 2 files are damaged" in result.output
    assert f"{CODE} {SCAN_SHA.hex()}: file {SCAN_SHA.hex()}" in result.output
    assert "fails its check" in result.output


def test_verify_files_needs_the_data_key(local: Path) -> None:
    result = verify_files(local)
    assert result.exit_code == 2
    assert "--data-key FILE or LIENTHONG_DATA_KEY" in result.output


def test_verify_files_finds_them_where_they_were_moved(local: Path) -> None:
    moved = local / "elsewhere"
    (local / "ledger-files").rename(moved)
    key = ["--data-key", str(local / "data.key")]
    assert verify_files(local, *key).exit_code == 1  # not where the default says: missing
    assert "Dossier files intact" in ok(verify_files(local, *key, "--files-dir", str(moved)))


def test_verify_without_files_is_unchanged(local: Path) -> None:
    shutil.rmtree(local / "ledger-files")
    output = ok(on(local, "verify", "--log-key", DEMO_VKEY, "--workers", "1"))
    assert "Dossier files" not in output


# --- bundles with their files -------------------------------------------------------------------


def export_with_files(local: Path) -> tuple[Path, Path]:
    bundle, files = local / "hs.bundle", local / "hs-files"
    output = ok(
        on(
            local,
            "export",
            CODE,
            "-o",
            str(bundle),
            "--log-key",
            str(local / "log.key"),
            "--with-files",
            str(files),
            "--data-key",
            str(local / "data.key"),
        )
    )
    assert f"Wrote 2 of the dossier's files into {files}" in output
    return bundle, files


def verify_bundle(bundle: Path, files: Path) -> Result:
    return cli("verify-bundle", str(bundle), "--log-key", DEMO_VKEY, "--files", str(files))


def test_a_bundle_exported_with_its_files_verifies_with_them(local: Path) -> None:
    bundle, files = export_with_files(local)
    assert (files / SCAN_SHA.hex()).read_bytes() == SCAN
    assert (files / DOCUMENT["sha256"].hex()).read_bytes() == DOCUMENT_BYTES
    assert sorted(p.name for p in files.iterdir()) == sorted(
        [SCAN_SHA.hex(), DOCUMENT["sha256"].hex()]
    )
    output = ok(verify_bundle(bundle, files))
    assert "VERIFIED" in output
    assert "all 2 are in" in output


def test_verify_bundle_names_each_missing_or_altered_file(local: Path) -> None:
    bundle, files = export_with_files(local)
    (files / DOCUMENT["sha256"].hex()).unlink()
    (files / SCAN_SHA.hex()).write_bytes(SCAN + b"!")

    result = verify_bundle(bundle, files)

    assert result.exit_code == 1
    assert "VERIFIED" in result.output  # the statements still verify; the files do not
    assert "2 of 2 are missing or wrong" in result.output
    assert f"Đơn đề nghị ({DOCUMENT['sha256'].hex()}): missing" in result.output
    altered = hashlib.sha256(SCAN + b"!").hexdigest()
    assert f"Bản chụp CCCD ({SCAN_SHA.hex()}): {files / SCAN_SHA.hex()} hashes to {altered}" in (
        result.output
    )


def test_export_with_files_exits_1_naming_a_file_it_cannot_check(local: Path) -> None:
    for blob in [p for p in (local / "ledger-files").rglob("*") if p.is_file()]:
        blob.write_bytes(blob.read_bytes()[:-1])  # every blob cut short by a byte
    files = local / "hs-files"

    result = on(
        local,
        "export",
        CODE,
        "-o",
        str(local / "hs.bundle"),
        "--log-key",
        str(local / "log.key"),
        "--with-files",
        str(files),
        "--data-key",
        str(local / "data.key"),
    )

    assert result.exit_code == 1
    assert "Wrote 0 of the dossier's files" in result.output
    assert f"Đơn đề nghị ({DOCUMENT['sha256'].hex()}): Stored file damaged" in result.output
    assert f"Bản chụp CCCD ({SCAN_SHA.hex()}): Stored file damaged" in result.output
    assert list(files.iterdir()) == []  # nothing partial


# --- files clean ----------------------------------------------------------------------------------


def test_files_clean_removes_unnamed_uploads_and_crash_leftovers_and_says_what(
    local: Path,
) -> None:
    url, directory = f"sqlite:///{local / 'ledger.db'}", local / "ledger-files"
    stray_code, stray_bytes = "000.66.29.H59-250708-0498", b"a scan never received"
    store = FileStore(url, DATA_KEY, directory=directory)
    stray = store.receive(stray_code, None, office="29266/2025", officer="cb", now=DEMO_START)
    stray.write(stray_bytes)
    stray.finish(DEMO_START)  # long ago: the command runs on today's clock
    store.close()
    crash((url, directory), "empty")
    crash((url, directory), "unkept")
    key = ["--data-key", str(local / "data.key")]

    output = ok(on(local, "files", "clean", *key))
    again = ok(cli("--database-url", url, "files", "clean", *key, lang="vi"))

    stray_sha = hashlib.sha256(stray_bytes).hexdigest()
    assert (
        f"Removed 1 upload(s) older than 24 h that no statement names (21 bytes), of dossiers: "
        f"{stray_code}" in output
    )
    assert f"  {stray_code} {stray_sha}: 21 B, " in output
    assert "Removed 2 crash leftover(s) (" in output
    assert "  incoming .incoming/upload-" in output
    assert "Không có gì cần dọn" in again
    store = FileStore(url, DATA_KEY, directory=directory)
    try:
        assert store.files(stray_code) == []
        held = {f.sha256: b"".join(store.open(CODE, f.sha256)) for f in store.files(CODE)}
        assert held == {DOCUMENT["sha256"]: DOCUMENT_BYTES, SCAN_SHA: SCAN}  # named: kept
    finally:
        store.close()
    blobs = [p for p in directory.rglob("*") if p.is_file()]
    assert len(blobs) == 2


def test_files_clean_takes_the_hours_to_keep_unnamed_uploads(local: Path) -> None:
    url, directory = f"sqlite:///{local / 'ledger.db'}", local / "ledger-files"
    store = FileStore(url, DATA_KEY, directory=directory)
    stray = store.receive("STRAY-1", None, office="29266/2025", officer="cb", now=DEMO_START)
    stray.write(b"x")
    stray.finish(DEMO_START)
    store.close()
    key = ["--data-key", str(local / "data.key")]

    kept = ok(on(local, "files", "clean", "--hours", "1000000", *key))
    gone = ok(on(local, "files", "clean", "--hours", "1", *key))

    assert "Nothing to clean: no upload older than 1e+06 h" in kept
    assert "Removed 1 upload(s) older than 1 h" in gone
