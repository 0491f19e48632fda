"""The file store, on a directory (beside SQLite) and in PostgreSQL: round trips of every shape,
and every refusal leaving nothing behind — a wrong hash, an oversized file, an interrupted
upload, a damaged blob, an erased dossier, another data key."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import (
    FileCorrupted,
    FileErased,
    FileHashMismatch,
    FileIncomplete,
    FileNotUploaded,
    FileTooLarge,
)
from ledger.stores.applicants import DataKey
from ledger.stores.blobs import CHUNK, SEALED, DirectoryBlobs
from ledger.stores.files import FileStore

CODE = "000.66.29.H59-250708-0001"
OTHER = "000.66.29.H59-250708-0002"
KEY = DataKey(hashlib.sha256(b"test data key").digest())
NOW = 1_751_936_400_000_000
TOKEN_ID = "9f2c61d0"  # noqa: S105 — a token id, not its secret
STORES = ["directory", pytest.param("postgres", marks=pytest.mark.postgres)]


def payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileStore]:
    opened = open_store(request.param, tmp_path, KEY, request)
    try:
        yield opened
    finally:
        opened.close()


def open_store(
    kind: str, tmp_path: Path, key: DataKey, request: pytest.FixtureRequest
) -> FileStore:
    if kind == "directory":
        url, directory = f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "files"
        return FileStore(url, key, directory=directory, max_bytes=CHUNK * 5)
    return FileStore(request.getfixturevalue("postgres_url"), key, max_bytes=CHUNK * 5)


def upload(
    store: FileStore, data: bytes, code: str = CODE, piece: int = 10_000, **kw: object
) -> tuple:
    declared = kw.pop("declared", hashlib.sha256(data).digest())
    incoming = store.receive(code, declared, office="29266/2025", officer="cb-29266-vhxh", now=NOW)  # type: ignore[arg-type]
    for start in range(0, len(data), piece):
        incoming.write(data[start : start + piece])
    return incoming.finish(NOW, **kw)  # type: ignore[arg-type]


def blob_count(store: FileStore) -> int:
    """Blobs kept, and uploads half-written: all that takes room."""
    if isinstance(store.blobs, DirectoryBlobs):
        root = store.blobs.root
        kept = [p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts]
        return len(kept) + len(list(store.blobs.incoming.iterdir()))
    return int(store.query("SELECT count(DISTINCT blob) FROM lienthong_file_chunks")[0][0])


def read(store: FileStore, code: str, sha256: bytes) -> bytes:
    return b"".join(store.open(code, sha256))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_file_comes_back_byte_for_byte_whatever_its_size(store: FileStore, size: int) -> None:
    data = payload(size)
    stored, new = upload(store, data)
    assert new
    assert (stored.code, stored.sha256, stored.size) == (CODE, hashlib.sha256(data).digest(), size)
    assert (stored.office, stored.officer, stored.uploaded_at) == (
        "29266/2025",
        "cb-29266-vhxh",
        NOW,
    )
    assert read(store, CODE, stored.sha256) == data
    assert store.files(CODE) == [stored]
    assert blob_count(store) == 1


def test_an_upload_without_a_declared_hash_is_kept_under_its_own(store: FileStore) -> None:
    data = payload(CHUNK + 3)
    stored, _new = upload(store, data, declared=None)
    assert stored.sha256 == hashlib.sha256(data).digest()
    assert read(store, CODE, stored.sha256) == data


def test_the_same_bytes_again_keep_the_first_copy_only(store: FileStore) -> None:
    data = payload(CHUNK * 2)
    first, _ = upload(store, data)
    again, new = upload(store, data, piece=777)
    assert (again, new) == (first, False)
    assert blob_count(store) == 1
    assert read(store, CODE, first.sha256) == data


def test_the_same_bytes_in_two_dossiers_are_two_files_under_two_keys(store: FileStore) -> None:
    data = payload(100)
    mine, _ = upload(store, data)
    theirs, _ = upload(store, data, code=OTHER)
    assert mine.blob != theirs.blob
    assert read(store, OTHER, theirs.sha256) == data
    assert blob_count(store) == 2


def test_bytes_that_are_not_the_declared_hash_are_refused_and_nothing_is_kept(
    store: FileStore,
) -> None:
    declared = hashlib.sha256(b"what the statement lists").digest()
    with pytest.raises(FileHashMismatch, match=f"not the declared {declared.hex()}"):
        upload(store, payload(CHUNK * 2), declared=declared)
    assert store.files(CODE) == []
    assert blob_count(store) == 0


def test_a_file_over_the_cap_is_refused_as_it_arrives_and_nothing_is_kept(
    store: FileStore,
) -> None:
    with pytest.raises(FileTooLarge, match="at most"):
        upload(store, payload(CHUNK * 5 + 1))
    assert store.files(CODE) == []
    assert blob_count(store) == 0


def test_an_interrupted_upload_keeps_nothing(store: FileStore) -> None:
    data = payload(CHUNK * 3)
    with pytest.raises(FileIncomplete, match="announced 196,608 bytes and 100,000 arrived"):
        upload(
            store, data[:100_000], declared=hashlib.sha256(data).digest(), expected_size=len(data)
        )
    abandoned = store.receive(CODE, None, office=None, officer=None, now=NOW)
    abandoned.write(data[: CHUNK * 2])
    abandoned.abort()  # the connection dropped: the server aborts
    assert store.files(CODE) == []
    assert blob_count(store) == 0


def test_a_file_never_uploaded_is_named(store: FileStore) -> None:
    digest = hashlib.sha256(b"nothing").digest()
    with pytest.raises(FileNotUploaded, match=digest.hex()):
        store.open(CODE, digest)
    data = payload(10)
    upload(store, data)
    assert store.missing(CODE, [digest, hashlib.sha256(data).digest()]) == [digest]


def damage(store: FileStore, blob: bytes, how: str) -> None:
    """Change a stored blob behind the store's back."""
    if isinstance(store.blobs, DirectoryBlobs):
        path = store.blobs.path(blob)
        raw = bytearray(path.read_bytes())
        if how == "flip":
            raw[SEALED + 40] ^= 1
        elif how == "cut":
            raw = raw[:SEALED]
        elif how == "swap":
            raw = raw[SEALED : 2 * SEALED] + raw[:SEALED] + raw[2 * SEALED :]
        if how == "delete":
            path.unlink()
        else:
            path.write_bytes(bytes(raw))
        return
    statements = {
        # one bit of byte 40 flipped (XOR): overwriting the byte left it whole when it held that value
        "flip": "UPDATE lienthong_file_chunks SET data = set_byte(data, 40, get_byte(data, 40) # 1) "
        "WHERE blob = ? AND n = 1",
        "cut": "DELETE FROM lienthong_file_chunks WHERE blob = ? AND n > 0",
        "delete": "DELETE FROM lienthong_file_chunks WHERE blob = ?",
    }
    with store.transaction() as cursor:
        if how == "swap":  # through a free number: (blob, n) is the key
            cursor.execute(
                "UPDATE lienthong_file_chunks SET n = -1 WHERE blob = ? AND n = 0", (blob,)
            )
            cursor.execute(
                "UPDATE lienthong_file_chunks SET n = 0 WHERE blob = ? AND n = 1", (blob,)
            )
            cursor.execute(
                "UPDATE lienthong_file_chunks SET n = 1 WHERE blob = ? AND n = -1", (blob,)
            )
        else:
            cursor.execute(statements[how], (blob,))


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("flip", "chunk 1 fails its check"),
        ("cut", "cut short"),
        ("swap", "chunk 0 fails its check"),
        ("delete", "missing from the file store"),
    ],
)
def test_a_damaged_file_is_named_and_no_byte_of_it_is_given_out(
    store: FileStore, how: str, says: str
) -> None:
    data = payload(CHUNK * 3 + 9)
    stored, _ = upload(store, data)
    sound, _ = upload(store, payload(20, seed=8))
    damage(store, stored.blob, how)
    with pytest.raises(FileCorrupted, match=says):
        store.open(CODE, stored.sha256)
    assert read(store, CODE, sound.sha256) == payload(20, seed=8)
    report = {file.sha256: problem for file, problem in store.check_all()}
    assert report[sound.sha256] is None
    problem = report[stored.sha256]
    assert problem is not None
    assert says in problem


def test_erasing_a_dossier_destroys_its_files_and_refuses_new_ones(store: FileStore) -> None:
    data = payload(CHUNK + 1)
    stored, _ = upload(store, data)
    kept, _ = upload(store, data, code=OTHER)
    assert store.erase(CODE, NOW + 1) == 1
    with pytest.raises(FileErased):
        store.open(CODE, stored.sha256)
    with pytest.raises(FileErased):
        upload(store, payload(5))
    assert [f.erased for f in store.files(CODE)] == [True]
    assert store.missing(CODE, [stored.sha256]) == [stored.sha256]
    assert blob_count(store) == 1  # the other dossier's
    assert read(store, OTHER, kept.sha256) == data
    assert store.erase(CODE, NOW + 2) == 0  # again: nothing more to destroy


@pytest.mark.parametrize("kind", STORES)
def test_files_do_not_open_under_another_data_key(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = open_store(kind, tmp_path, KEY, request)
    stranger = open_store(kind, tmp_path, DataKey(hashlib.sha256(b"another").digest()), request)
    try:
        stored, _ = upload(store, payload(10))
        with pytest.raises(FileCorrupted, match="does not decrypt"):
            stranger.open(CODE, stored.sha256)
    finally:
        stranger.close()
        store.close()


def test_the_access_log_keeps_every_download_in_order(store: FileStore) -> None:
    stored, _ = upload(store, payload(10))
    for n, outcome in enumerate(["served", "refused", "served"]):
        store.log_access(
            (CODE, stored.sha256),
            NOW + n,
            office="844",
            officer=f"o{n}",
            token=TOKEN_ID,
            outcome=outcome,
        )
    store.log_access(
        (OTHER, stored.sha256), NOW, office="84", officer="x", token=None, outcome="served"
    )
    mine = store.accesses(CODE)
    assert [(a.officer, a.outcome, a.at) for a in mine] == [
        ("o0", "served", NOW),
        ("o1", "refused", NOW + 1),
        ("o2", "served", NOW + 2),
    ]
    assert [a.officer for a in store.accesses(CODE, after=mine[0].id, limit=1)] == ["o1"]
    assert len(store.accesses()) == 4
