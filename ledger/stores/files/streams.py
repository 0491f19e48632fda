"""A file's bytes on their way in and out: sealed chunk by chunk, checked whole before served.

A stored file is a blob with a random 16-byte id: a sequence of sealed chunks, CHUNK bytes of
plaintext each (the last one shorter, possibly empty), each sealed as nonce (12 random bytes) ‖
ciphertext ‖ tag with associated data FILE_AAD ‖ blob id ‖ index (8 bytes, big-endian) ‖ final
(1 byte). A chunk cannot be moved, dropped, cut short or taken from another blob without failing
its tag, and a blob of another dossier does not open under this dossier's key.

Uploads stream: the bytes are hashed, size-capped and sealed chunk by chunk, written to a place
of their own, and kept only when complete and equal to the declared hash. Downloads check the
whole file first (every tag, the hash, the size) and only then stream it, decrypting again: a
damaged file is named in an error, and no byte of it is served.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import (
    FileCorrupted,
    FileHashMismatch,
    FileIncomplete,
    FileQuotaExceeded,
    FileTooLarge,
)
from ledger.stores.blobs import CHUNK, Blobs, BlobWriter
from ledger.stores.files.records import StoredFile

if TYPE_CHECKING:
    from ledger.stores.files.store import FileStore

FILE_AAD = b"lienthong file chunk v1\n"


def _aad(blob: bytes, index: int, final: bool) -> bytes:
    return FILE_AAD + blob + index.to_bytes(8, "big") + bytes([final])


class Upload:
    """One file arriving: `write` its bytes as they come, then `finish` (or `abort`). Chunks are
    sealed and written as they fill, where nothing reads them; only `finish`, once the size and
    the hash are checked, makes the file exist. Any refusal leaves nothing behind."""

    def __init__(
        self,
        store: FileStore,
        code: str,
        declared: bytes | None,
        key: tuple[AESGCM, bytes],
        blob: bytes,
        writer: BlobWriter,
        uploader: tuple[str | None, str | None],
    ) -> None:
        self.store, self.code, self.declared = store, code, declared
        self.key, self.wrapped = key
        self.blob, self.writer, self.uploader = blob, writer, uploader
        self.hash = hashlib.sha256()
        self.size = 0
        self.room = store.max_bytes
        self.index = 0
        self.buffer = bytearray()
        self.closed = False

    def within(self, room: int) -> Upload:
        """Refuse the upload as it arrives past `room` bytes: what its office's quota leaves."""
        self.room = room
        return self

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.store.max_bytes:
            self.abort()
            raise FileTooLarge(
                f"a file may hold {self.store.max_bytes:,} bytes at most; this one is larger"
            )
        if self.size > self.room:
            self.abort()
            quota = self.store.quota
            raise FileQuotaExceeded(
                f"office {self.uploader[0]} may hold {quota.bytes:,} bytes of uploads that no "
                f"recorded statement names yet; this file would take it past them: submit the "
                f"statements that list its other uploads, or wait — an upload no statement "
                f"names is removed {quota.hours:g} h after it arrived"
            )
        self.hash.update(data)
        self.buffer += data
        while len(self.buffer) > CHUNK:  # the last chunk waits for finish: it is sealed final
            self._seal(bytes(self.buffer[:CHUNK]), final=False)
            del self.buffer[:CHUNK]

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = secrets.token_bytes(12)
        aad = _aad(self.blob, self.index, final)
        self.writer.write(nonce + self.key.encrypt(nonce, plain, aad))
        self.index += 1

    def finish(self, now: int, expected_size: int | None = None) -> tuple[StoredFile, bool]:
        """Check and keep the file: (the file kept, whether it is new). FileIncomplete if fewer
        (or more) bytes came than `expected_size` announced, FileHashMismatch if they are not the
        declared hash's; either way nothing is kept."""
        digest = self.hash.digest()
        if expected_size is not None and self.size != expected_size:
            self.abort()
            raise FileIncomplete(
                f"the upload announced {expected_size:,} bytes and {self.size:,} arrived"
            )
        if self.declared is not None and digest != self.declared:
            self.abort()
            raise FileHashMismatch(
                f"the bytes have SHA-256 {digest.hex()}, not the declared {self.declared.hex()}"
            )
        self._seal(bytes(self.buffer), final=True)
        self.closed = True
        try:
            self.writer.commit()
            return self.store._keep(self, digest, now)
        except BaseException:
            self.store.blobs.delete([self.blob])
            raise
        finally:
            self.writer.release()

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.abort()


class Download:
    """A stored file's plaintext, chunk by chunk. Each pass checks every chunk's tag and, at the
    end, the size and the SHA-256: FileCorrupted names the file and what failed."""

    def __init__(self, blobs: Blobs, stored: StoredFile, key: AESGCM) -> None:
        self.blobs, self.stored, self.key = blobs, stored, key

    @property
    def size(self) -> int:
        return self.stored.size

    def __iter__(self) -> Iterator[bytes]:
        stored = self.stored
        name = f"file {stored.sha256.hex()} of dossier {stored.code}"
        digest, size, final = hashlib.sha256(), 0, False
        for index, sealed in enumerate(self.blobs.chunks(stored.blob)):
            if final:
                raise FileCorrupted(f"{name} has chunks after its last one")
            plain = self._open(sealed, index, name)
            if plain is None:  # not a middle chunk: the last one, or a damaged one
                plain, final = self._open(sealed, index, name, final=True), True
            assert plain is not None
            digest.update(plain)
            size += len(plain)
            yield plain
        if not final:
            raise FileCorrupted(f"{name} is cut short: its last chunk is missing")
        if size != stored.size or digest.digest() != stored.sha256:
            raise FileCorrupted(f"{name} does not hash to its name: its bytes were altered")

    def _open(self, sealed: bytes, index: int, name: str, final: bool = False) -> bytes | None:
        try:
            return self.key.decrypt(sealed[:12], sealed[12:], _aad(self.stored.blob, index, final))
        except (InvalidTag, ValueError):
            if not final:
                return None  # perhaps the last chunk: the caller tries it as the final one
            raise FileCorrupted(
                f"{name}: chunk {index} fails its check (altered, moved or from another file)"
            ) from None
