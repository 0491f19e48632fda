"""C2SP signed notes, transparency-log checkpoints and witness cosignatures.

The formats of c2sp.org/signed-note, c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature:

- A signed note is UTF-8 text that ends in a newline, one blank line, then one or more signature
  lines "— <key name> <base64(key hash[4] ‖ payload)>\\n" (U+2014 EM DASH, a space; standard padded
  base64). No ASCII control character but newline appears anywhere in it. The text may hold blank
  lines: the last blank line of the note separates the text from the signatures.
- Key hash = SHA-256(key name ‖ 0x0A ‖ key type ‖ 32-byte public key)[:4]. A verifier key is
  "<key name>+<8 hex digits of the key hash>+<base64(key type ‖ public key)>".
- Ed25519 (type 0x01): payload = Ed25519 signature over the note text, i.e. the UTF-8 bytes up to
  and including its final newline, without the blank line.
- cosignature/v1 (type 0x04): payload = 8-byte big-endian timestamp ‖ Ed25519 signature over
  "cosignature/v1\\ntime <timestamp>\\n" ‖ the checkpoint's note text.
- A checkpoint's note text: origin, tree size in decimal, base64 root hash, extension lines; each
  line non-empty and ending in a newline.

Whatever is malformed or does not verify raises NoteError, whose message names the line, the key
and the rule broken.

text.py holds the rules of note text, the limits and base64; keys.py the verifier keys and
signers; signed.py the notes and their signature lines; checkpoint.py checkpoints and
cosignatures. The underscored names are the package's own.
"""

from ledger.log.note.checkpoint import Checkpoint, Cosigner, verify_cosignature
from ledger.log.note.keys import NoteSigner, Verifier, key_hash, parse_verifier, verifier
from ledger.log.note.signed import (
    Note,
    Signature,
    cosignature_message,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
)
from ledger.log.note.text import (
    COSIGNATURE_HEADER,
    COSIGNATURE_V1,
    ED25519,
    KEY_TYPES,
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    MAX_TIMESTAMP,
    MAX_TREE_SIZE,
    SIGNATURE_PREFIX,
    NoteError,
)

__all__ = [
    "COSIGNATURE_HEADER",
    "COSIGNATURE_V1",
    "ED25519",
    "KEY_TYPES",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "MAX_TREE_SIZE",
    "SIGNATURE_PREFIX",
    "Checkpoint",
    "Cosigner",
    "Note",
    "NoteError",
    "NoteSigner",
    "Signature",
    "Verifier",
    "cosignature_message",
    "key_hash",
    "open_note",
    "parse_note",
    "parse_signature_line",
    "parse_verifier",
    "sign_note",
    "verifier",
    "verify_cosignature",
]
