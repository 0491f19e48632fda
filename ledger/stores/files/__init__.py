"""A dossier's files: kept by content hash, encrypted at rest per dossier, streamed in and out.

Statements name each document by the SHA-256 of its bytes; this store keeps those bytes, so a
dossier's scans travel with its custody. A file is stored once per (dossier code, SHA-256 of the
plaintext), under the dossier's file key: an AES-256-GCM key of its own, kept wrapped by a key
derived from the data key (the applicant records' key family). Erasing a dossier's personal data
destroys its file key and its files; the log, which holds only the hashes, stays whole.

A stored file is a blob with a random 16-byte id: a sequence of sealed chunks, CHUNK bytes of
plaintext each (the last one shorter, possibly empty), each sealed as nonce (12 random bytes) ‖
ciphertext ‖ tag with associated data FILE_AAD ‖ blob id ‖ index (8 bytes, big-endian) ‖ final
(1 byte). A chunk cannot be moved, dropped, cut short or taken from another blob without failing
its tag, and a blob of another dossier does not open under this dossier's key. The table of
files maps (code, SHA-256 of the plaintext) to its blob; an upload of bytes already held is
discarded and answered with the file already kept.

Uploads stream: the bytes are hashed, size-capped and sealed chunk by chunk, written to a place
of their own, and kept only when complete and equal to the declared hash. Downloads check the
whole file first (every tag, the hash, the size) and only then stream it, decrypting again: a
damaged file is named in an error, and no byte of it is served.

The sealed chunks live in a directory (the default) or, on PostgreSQL, in a table of chunk rows;
what is stored, the file keys and the access log are tables beside the log.

Only a dossier code that passes the identifier rule gets files. An upload no recorded statement
names yet is *pending*: each office may hold a quota of them (a number of files and of bytes),
and one still unnamed when it expires (24 hours after it arrived, by default) is removed with its
blob — so uploads under codes that are never received do not stay. `clean` removes those, and
what a crash left behind: uploads cut off under .incoming and blobs no file names (the blob
store tells them from live uploads by the claim each writer holds; ledger/stores/blobs.py).

store.py holds FileStore (receiving and opening files), records.py the rows of the files kept,
their keys, erasure and the access log, pending.py the quota and expiry of pending uploads, and
streams.py the Upload and Download that seal and check a file's chunks.
"""

from ledger.stores.files.pending import Cleaned, Named, Quota, named_in
from ledger.stores.files.records import Access, StoredFile
from ledger.stores.files.store import DEFAULT_MAX_BYTES, FileStore
from ledger.stores.files.streams import Download, Upload

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Access",
    "Cleaned",
    "Download",
    "FileStore",
    "Named",
    "Quota",
    "StoredFile",
    "Upload",
    "named_in",
]
