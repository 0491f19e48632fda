"""The file store's rules for uploads no recorded statement names yet (pending): a dossier code
must pass the identifier rule, an office holds a quota of pending uploads, and one still unnamed
when it expires is removed; and `clean` removes what a crash (kill -9) left — an upload cut off
under .incoming, a blob no file names — without touching a live upload, in this process or
another. On a directory (beside SQLite) and in PostgreSQL."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import BadIdentifier
from ledger.errors import FileNotUploaded, FileQuotaExceeded
from ledger.stores.blobs import CHUNK, DatabaseBlobs, DirectoryBlobs, Removed
from ledger.stores.files import FileStore, Quota, Upload
from tests.test_files import CODE, KEY, NOW, OTHER, STORES, blob_count, payload, read

OFFICE, OFFICER = "29266/2025", "cb-29266-vhxh"
HOUR = 3600 * 1_000_000
QUOTA = Quota(files=3, bytes=4 * CHUNK, hours=24)
ROOT = Path(__file__).resolve().parent.parent


class Names:
    """What the recorded statements name, dossier by dossier, as the ledger would say it."""

    def __init__(self) -> None:
        self.named: dict[str, set[bytes]] = {}
        self.asked: list[str] = []

    def __call__(self, code: str) -> set[bytes]:
        self.asked.append(code)
        return self.named.get(code, set())

    def name(self, code: str, *data: bytes) -> None:
        self.named.setdefault(code, set()).update(hashlib.sha256(d).digest() for d in data)


@pytest.fixture
def names() -> Names:
    return Names()


@pytest.fixture(params=STORES)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def where(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path | None]:
    if kind == "directory":
        return f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "files"
    return str(request.getfixturevalue("postgres_url")), None


@pytest.fixture
def store(where: tuple[str, Path | None], names: Names) -> Iterator[FileStore]:
    url, directory = where
    opened = FileStore(url, KEY, directory=directory, max_bytes=CHUNK * 5, quota=QUOTA, named=names)
    try:
        yield opened
    finally:
        opened.close()


def start(store: FileStore, code: str = CODE, office: str = OFFICE, at: int = NOW) -> Upload:
    return store.receive(code, None, office=office, officer=OFFICER, now=at)


def put(
    store: FileStore, data: bytes, code: str = CODE, office: str = OFFICE, at: int = NOW
) -> bool:
    """Upload `data` whole; whether it is new."""
    upload = start(store, code, office, at)
    upload.write(data)
    return upload.finish(at)[1]


def rows(store: FileStore, table: str) -> int:
    return int(store.query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608


# --- the identifier rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["../../etc/passwd", "<script>alert(1)</script>", "A\x00B", "\udcff", "", "x" * 129, "a b"],
)
def test_refuses_a_code_that_breaks_the_identifier_rule_and_keeps_nothing(
    store: FileStore, code: str
) -> None:
    with pytest.raises(BadIdentifier, match="dossier code must be 1 to 128 characters"):
        start(store, code)
    assert rows(store, "lienthong_files") == rows(store, "lienthong_file_keys") == 0
    assert blob_count(store) == 0


# --- the quota ------------------------------------------------------------------------------------


def test_refuses_an_upload_past_the_offices_quota_of_pending_files(store: FileStore) -> None:
    for n in range(3):
        assert put(store, payload(10, n))
    with pytest.raises(FileQuotaExceeded) as refused:
        start(store, OTHER)
    assert "office 29266/2025 holds 3 upload(s)" in str(refused.value)
    assert "its quota is 3 files" in str(refused.value)
    assert "removed 24 h after it arrived" in str(refused.value)
    assert store.pending(OFFICE) == (3, 30)
    assert store.files(OTHER) == []
    assert put(store, payload(10, 9), OTHER, office="86")  # another office has its own quota


def test_refuses_an_upload_that_would_pass_the_quota_of_pending_bytes(store: FileStore) -> None:
    assert put(store, payload(3 * CHUNK))
    with pytest.raises(FileQuotaExceeded, match="its quota is 3 files and 262,144 bytes"):
        store.receive(OTHER, None, office=OFFICE, officer=OFFICER, now=NOW, announced=CHUNK + 1)
    streamed = start(store, OTHER)  # announcing nothing: refused as the bytes pass the quota
    with pytest.raises(FileQuotaExceeded, match="262,144 bytes of uploads"):
        streamed.write(payload(CHUNK + 1, 2))
    assert store.files(OTHER) == []
    assert blob_count(store) == 1
    assert put(store, payload(CHUNK, 3), OTHER)  # what fits still does


def test_uploads_a_recorded_statement_names_leave_the_quota(store: FileStore, names: Names) -> None:
    files = [payload(10, n) for n in range(3)]
    for data in files:
        put(store, data)
    names.name(CODE, *files[:2])  # the receipt lists two of them
    assert put(store, payload(10, 7), OTHER)
    assert store.pending(OFFICE) == (2, 20)
    assert [read(store, CODE, hashlib.sha256(d).digest()) for d in files] == files


def test_the_same_bytes_again_count_once_and_start_their_time_again(store: FileStore) -> None:
    data = payload(100)
    assert put(store, data)
    assert not put(store, data, at=NOW + 20 * HOUR)
    assert store.pending(OFFICE) == (1, 100)
    assert store.expire(NOW + 30 * HOUR) == []  # 10 h since it came again
    assert [f.size for f in store.expire(NOW + 44 * HOUR)] == [100]


# --- expiry ---------------------------------------------------------------------------------------


def test_removes_an_unnamed_upload_once_expired_and_keeps_the_named_ones(
    store: FileStore, names: Names
) -> None:
    named, unnamed, stray = payload(100, 1), payload(200, 2), payload(300, 3)
    put(store, named)
    put(store, unnamed)
    put(store, stray, OTHER)  # a code never received
    names.name(CODE, named)

    assert store.expire(NOW + 24 * HOUR - 1) == []
    removed = store.expire(NOW + 24 * HOUR)

    assert sorted((f.code, f.size) for f in removed) == [(CODE, 200), (OTHER, 300)]
    assert read(store, CODE, hashlib.sha256(named).digest()) == named
    with pytest.raises(FileNotUploaded):
        store.open(CODE, hashlib.sha256(unnamed).digest())
    assert store.files(OTHER) == []
    assert blob_count(store) == 1
    assert store.pending(OFFICE) == (0, 0)  # the named one is let go, the others are gone
    # the stray code's file key went with its last file; the received dossier's stays
    assert [r[0] for r in store.query("SELECT code FROM lienthong_file_keys")] == [CODE]
    assert put(store, stray, OTHER, at=NOW + 25 * HOUR)  # a new upload makes a new key


def test_an_upload_removes_expired_ones_on_its_way_in(store: FileStore) -> None:
    put(store, payload(10, 1), OTHER)
    put(store, payload(10, 2), CODE, at=NOW + 25 * HOUR)
    assert store.files(OTHER) == []
    assert store.pending(OFFICE) == (1, 10)


def test_a_file_whose_key_went_with_its_expired_dossier_while_it_arrived_is_kept_whole(
    store: FileStore,
) -> None:
    put(store, payload(10, 1), OTHER)
    late = start(store, OTHER, at=NOW + 20 * HOUR)  # sealing under OTHER's key
    late.write(payload(50, 2))
    store.expire(NOW + 25 * HOUR)  # OTHER's only kept file goes, and its key with it
    stored, new = late.finish(NOW + 25 * HOUR)
    assert new
    assert read(store, OTHER, stored.sha256) == payload(50, 2)


# --- what a crash leaves --------------------------------------------------------------------------

CRASH = """
import hashlib, os, signal, sys
from pathlib import Path
from ledger.stores.applicants import DataKey
from ledger.stores.files import FileStore
url, directory, stage, code, now = *sys.argv[1:5], int(sys.argv[5])
store = FileStore(url, DataKey(hashlib.sha256(b"test data key").digest()),
                  directory=Path(directory) if directory else None)
upload = store.receive(code, None, office="29266/2025", officer="cb", now=now)
if stage == "partial":
    upload.write(bytes(3 * 65536 + 5))
    if hasattr(upload.writer, "handle"):
        upload.writer.handle.flush()  # what the kernel holds survives the kill
if stage == "unkept":  # the blob is in place; the process dies before its row is written
    store._keep = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    upload.write(b"a scan that was never kept")
    upload.finish(now)
os.kill(os.getpid(), signal.SIGKILL)
"""


def crash(where: tuple[str, Path | None], stage: str, code: str = CODE) -> None:
    """Another process starts an upload and is killed (SIGKILL) at `stage`."""
    url, directory = where
    done = subprocess.run(
        [sys.executable, "-c", CRASH, url, str(directory or ""), stage, code, str(NOW)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr


def test_clean_removes_what_a_kill_9_left_and_leaves_live_uploads_alone(
    store: FileStore, where: tuple[str, Path | None], names: Names, kind: str
) -> None:
    kept = payload(100, 1)
    put(store, kept)
    names.name(CODE, kept)
    for stage in ("empty", "partial", "unkept"):
        crash(where, stage)
    writing = start(store, OTHER)  # live: half-written
    writing.write(payload(CHUNK + 10, 2))
    placed = start(store, OTHER)  # live: in place, its row about to be written
    placed.write(payload(10, 3))
    placed._seal(bytes(placed.buffer), final=True)
    placed.writer.commit()

    try:
        cleaned = store.clean(NOW)

        incoming = sorted(r.size for r in cleaned.leftovers if r.what == "incoming")
        blobs = [r for r in cleaned.leftovers if r.what == "blob"]
        if kind == "directory":
            assert len(incoming) == 2  # the empty one, and the partial one
            assert incoming[0] == 0
            assert incoming[1] >= 3 * (12 + CHUNK + 16)  # its three sealed chunks, at least
        else:
            assert incoming == []  # a PostgreSQL upload cut off never committed a row
        assert len(blobs) == 1
        assert blobs[0].size == 12 + len(b"a scan that was never kept") + 16
        assert cleaned.expired == []
        assert read(store, CODE, hashlib.sha256(kept).digest()) == kept
        writing.write(payload(5, 4))  # the live uploads go on as if nothing happened
        assert writing.finish(NOW)[1]
        placed.store._keep(placed, placed.hash.digest(), NOW)
        placed.writer.release()
        assert read(store, OTHER, placed.hash.digest()) == payload(10, 3)
        assert store.clean(NOW).leftovers == []  # nothing more to remove, nothing live removed
    finally:  # a live upload left open would hold its locks past the test
        writing.abort()
        placed.writer.release()


def test_clean_removes_blobs_an_erasure_cut_off_before_deleting_them(
    store: FileStore, names: Names
) -> None:
    data = payload(100)
    put(store, data)
    names.name(CODE, data)
    blob = store.files(CODE)[0].blob
    store.blobs.delete = lambda blobs: None  # type: ignore[method-assign]  # the crash
    store.erase(CODE, NOW)
    del store.blobs.delete

    cleaned = store.clean(NOW)

    assert [(r.what, r.name) for r in cleaned.leftovers] == [("blob", blob.hex())]
    assert blob_count(store) == 0


def test_a_sweep_leaves_a_blob_whose_writer_still_holds_it(
    where: tuple[str, Path | None], kind: str
) -> None:
    url, directory = where
    blobs = DirectoryBlobs(directory) if directory else DatabaseBlobs(url)
    writer = blobs.writer(b"\x01" * 16)
    try:
        writer.write(b"sealed")
        writer.commit()
        assert blobs.sweep(lambda ids: set(ids)) == []
    finally:
        writer.release()
    size = len(b"sealed")
    assert blobs.sweep(lambda ids: set(ids)) == [Removed("blob", "01" * 16, size)]


def test_bytes_held_already_are_sent_again_whatever_the_quota(store: FileStore) -> None:
    files = [payload(10, n) for n in range(3)]
    for data in files:
        put(store, data)
    again = store.receive(
        CODE, hashlib.sha256(files[0]).digest(), office=OFFICE, officer=OFFICER, now=NOW
    )
    again.write(files[0])
    assert again.finish(NOW)[1] is False
    assert store.pending(OFFICE) == (3, 30)
