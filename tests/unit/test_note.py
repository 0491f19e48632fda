"""C2SP signed notes, checkpoints and cosignatures, pinned by the published vectors."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    Checkpoint,
    Cosigner,
    NoteError,
    NoteSigner,
    Verifier,
    cosignature_message,
    key_hash,
    open_note,
    parse_note,
    parse_signature_line,
    parse_verifier,
    sign_note,
    verifier,
    verify_cosignature,
)

# c2sp.org/signed-note, "Verifier keys", example: a verifier key and a note it signed.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_SIGNATURE = (
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
)
SPEC_TEXT = "This is an example message.\n"
SPEC_NOTE = SPEC_TEXT + "\n— example.com/foo " + SPEC_SIGNATURE + "\n"

# c2sp.org/signed-note, opening example: its text holds a blank line (no verifier key published).
POEM_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)

# c2sp.org/tlog-cosignature, example: a checkpoint signed by its log and cosigned by a witness.
COSIGNED_SPEC_NOTE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

# golang.org/x/mod/sumdb/note documentation: key pair, text and the note it signs.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# Other published verifier keys: a second sumdb/note key, one whose base64 holds '+', and a
# cosignature/v1 witness key (transparency-dev/formats tests).
OTHER_VKEYS = [
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
    "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
]

LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
LOG = NoteSigner("lienthong.example/log", LOG_KEY)
OTHER = NoteSigner("other.example/log", OTHER_KEY)
WITNESS = Cosigner("witness.example/w1", WITNESS_KEY)
ROOT = bytes(range(100, 132))
CHECKPOINT = Checkpoint("lienthong.example/log", 42, ROOT).text()
TIME = 1_748_840_400

line_text = st.text(st.characters(min_codepoint=0x20, codec="utf-8"))


def with_payload(line: str, change: int, position: int) -> str:
    """`line` with byte `position` of its decoded payload XORed with `change`."""
    head, _, encoded = line.removesuffix("\n").rpartition(" ")
    payload = bytearray(base64.b64decode(encoded))
    payload[position] ^= change
    return f"{head} {base64.b64encode(payload).decode()}\n"


def vkey(name: str, raw: bytes) -> str:
    """A verifier key string for any bytes, its key hash computed here, not by ledger.log.note."""
    digest = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    return f"{name}+{digest.hex()}+{base64.b64encode(raw).decode()}"


def spec_verifier() -> Verifier:
    return parse_verifier(SPEC_VKEY)


# --- the published vectors -------------------------------------------------------------------


def test_spec_example_verifies_with_its_verifier_key() -> None:
    note = open_note(SPEC_NOTE, [spec_verifier()])
    assert note.text == SPEC_TEXT
    assert note.verified_by == ("example.com/foo",)
    assert note.signatures[0].key_hash.hex() == "530d903a"


def test_spec_example_fails_with_any_signature_byte_changed() -> None:
    for position in range(4, 4 + 64):
        tampered = SPEC_TEXT + "\n" + with_payload(SPEC_NOTE.split("\n\n")[1], 0x01, position)
        with pytest.raises(
            NoteError, match=re.escape("signature by example.com/foo does not verify")
        ):
            open_note(tampered, [spec_verifier()])


def test_spec_example_fails_with_its_text_changed() -> None:
    with pytest.raises(NoteError, match=re.escape("signature by example.com/foo does not verify")):
        open_note(SPEC_NOTE.replace("example message", "example massage"), [spec_verifier()])


@pytest.mark.parametrize(
    "trusted",
    [
        verifier("example.com/bar", spec_verifier().public_key),  # same key, another name
        verifier("example.com/foo", OTHER.verifier.public_key),  # same name, another key
    ],
)
def test_spec_example_by_an_unknown_key_is_refused_naming_who_signed(trusted: Verifier) -> None:
    with pytest.raises(NoteError, match=r"no signature by a trusted key.*example.com/foo \(530d"):
        open_note(SPEC_NOTE, [trusted])


def test_go_sumdb_example_verifies_and_signing_reproduces_it() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    signer = NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert signer.verifier.line() == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE, [parse_verifier(GO_VKEY)]).text == GO_TEXT


def test_spec_poem_keeps_its_blank_line_in_the_text() -> None:
    note = parse_note(POEM_NOTE)
    assert note.text.endswith("sole:\n\ned è subito sera.\n")
    [signature] = note.signatures
    assert signature.name == "quasimodo.example/salvatore"
    assert len(signature.signature) == 64
    assert note.verified_by == ()


def test_spec_cosigned_checkpoint_parses_and_carries_the_witness_time() -> None:
    note = parse_note(COSIGNED_SPEC_NOTE)
    checkpoint = Checkpoint.parse(note.text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.text() == note.text
    log, witness = note.signatures
    assert len(log.signature) == 64
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147


@pytest.mark.parametrize("text", [SPEC_VKEY, GO_VKEY, *OTHER_VKEYS])
def test_published_verifier_keys_parse_and_print_back_byte_for_byte(text: str) -> None:
    assert parse_verifier(text).line() == text


def test_key_hash_is_the_spec_derivation() -> None:
    key = spec_verifier()
    assert key_hash("example.com/foo", ED25519, key.public_key).hex() == "530d903a"
    assert parse_verifier(OTHER_VKEYS[2]).kind == COSIGNATURE_V1


# --- opening notes ---------------------------------------------------------------------------


def test_round_trip_with_keys_from_fixed_seeds() -> None:
    text = "lienthong.example/log\n7\n"
    note = open_note(sign_note(text, LOG, OTHER), [LOG.verifier, OTHER.verifier])
    assert note.text == text
    assert note.verified_by == ("lienthong.example/log", "other.example/log")


@settings(deadline=None)
@given(st.lists(line_text, min_size=1, max_size=6))
def test_any_valid_text_signs_and_opens_to_itself(lines: list[str]) -> None:
    text = "".join(f"{line}\n" for line in lines)
    assert open_note(sign_note(text, LOG), [LOG.verifier]).text == text


def test_signature_by_an_unknown_key_is_ignored_beside_a_known_one() -> None:
    note = open_note(sign_note("hello\n", OTHER, LOG), [LOG.verifier])
    assert note.verified_by == ("lienthong.example/log",)
    assert [s.name for s in note.signatures] == ["other.example/log", "lienthong.example/log"]


def test_a_failing_trusted_signature_rejects_the_note_even_beside_a_good_one() -> None:
    good = sign_note("hello\n", LOG)
    bad = with_payload(OTHER.sign("hello\n"), 0x80, 10)
    with pytest.raises(
        NoteError, match=re.escape("signature by other.example/log does not verify")
    ):
        open_note(good + bad, [LOG.verifier, OTHER.verifier])


def test_accepts_sixteen_signatures_and_up_to_the_maximum() -> None:
    signers = [
        NoteSigner(f"s{i}.example", Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32))
        for i in range(16)
    ]
    note = open_note(sign_note("hello\n", *signers), [s.verifier for s in signers])
    assert len(note.verified_by) == 16
    crowded = sign_note("hello\n", LOG) + OTHER.sign("hello\n") * (MAX_SIGNATURES - 1)
    assert len(open_note(crowded, [LOG.verifier]).signatures) == MAX_SIGNATURES


def test_refuses_more_signatures_than_the_maximum() -> None:
    crowded = sign_note("hello\n", LOG) + OTHER.sign("hello\n") * MAX_SIGNATURES
    with pytest.raises(NoteError, match=f"{MAX_SIGNATURES + 1} signature lines; at most"):
        parse_note(crowded)
    with pytest.raises(NoteError, match="at most"):
        sign_note("hello\n", *[LOG] * (MAX_SIGNATURES + 1))


@pytest.mark.parametrize("control", ["\x00", "\t", "\r", "\x1b", "\x1f"])
def test_refuses_control_characters(control: str) -> None:
    note = sign_note("first\nsecond\n", LOG).replace("second", f"sec{control}ond")
    with pytest.raises(NoteError, match=rf"line 2: control character U\+{ord(control):04X}"):
        parse_note(note)
    with pytest.raises(NoteError, match="control character"):
        sign_note(f"a{control}b\n", LOG)


def test_refuses_a_note_without_the_blank_line() -> None:
    with pytest.raises(NoteError, match="no blank line between its text and its signature"):
        parse_note(SPEC_NOTE.replace("\n\n", "\n"))


def test_refuses_a_note_without_its_final_newline() -> None:
    with pytest.raises(NoteError, match="does not end in a newline"):
        parse_note(SPEC_NOTE.removesuffix("\n"))


def test_refuses_a_note_without_signature_lines() -> None:
    with pytest.raises(NoteError, match="no signature lines"):
        parse_note(SPEC_TEXT + "\n")


@pytest.mark.parametrize(
    ("signature", "problem"),
    [
        (SPEC_SIGNATURE.replace("=", ""), "not standard padded base64"),
        (SPEC_SIGNATURE.replace("Uw2Q", "Uw2Q!"), "not standard padded base64"),
        ("AQJ=", "not canonical base64"),  # 0x01 0x02 is "AQI="; "AQJ=" has stray bits
        ("AQID", "is 3 bytes; it needs a 4-byte key hash and a signature"),
    ],
)
def test_refuses_bad_base64_and_short_payloads(signature: str, problem: str) -> None:
    note = SPEC_NOTE.replace(SPEC_SIGNATURE, signature)
    with pytest.raises(NoteError, match=f"line 3: the signature by example.com/foo .*{problem}"):
        parse_note(note)


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014\u2014", "\u2014"])
def test_refuses_a_signature_line_without_the_em_dash_and_space(dash: str) -> None:
    note = SPEC_NOTE.replace("— example.com/foo", f"{dash}example.com/foo")
    with pytest.raises(NoteError, match=r"line 3: a signature line starts with '— '"):
        parse_note(note)


def test_refuses_a_signature_line_without_a_key_name() -> None:
    with pytest.raises(NoteError, match="line 3: a signature line is '— <key name> <base64>'"):
        parse_note(SPEC_NOTE.replace("example.com/foo ", ""))


def test_refuses_bytes_that_are_not_utf8() -> None:
    with pytest.raises(NoteError, match="not UTF-8"):
        parse_note(SPEC_NOTE.encode().replace(b"example message", b"example \xff"))
    assert parse_note(SPEC_NOTE.encode()).text == SPEC_TEXT


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "is empty"), ("no newline", "does not end in a newline"), ("a\rb\n", "control")],
)
def test_sign_refuses_texts_that_no_note_can_carry(text: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        sign_note(text, LOG)


def test_refuses_notes_over_the_size_limit() -> None:
    text = "x" * (MAX_NOTE_BYTES - 2) + "\n"
    with pytest.raises(NoteError, match=f"bytes; a note is at most {MAX_NOTE_BYTES}"):
        sign_note(text, LOG)
    with pytest.raises(NoteError, match=f"bytes; a note is at most {MAX_NOTE_BYTES}"):
        parse_note(text + "\n" + LOG.sign("x\n"))


def test_sign_and_open_need_a_key() -> None:
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("hello\n")
    with pytest.raises(NoteError, match="at least one trusted verifier"):
        open_note(SPEC_NOTE, [])


# --- verifier keys ---------------------------------------------------------------------------


def test_verifier_line_parses_back_to_the_same_verifier() -> None:
    for key in (LOG.verifier, OTHER.verifier, WITNESS.verifier):
        assert parse_verifier(key.line()) == key
    assert WITNESS.verifier.kind == COSIGNATURE_V1


def test_parse_verifier_accepts_an_uppercase_key_hash() -> None:
    assert parse_verifier(GO_VKEY.replace("c74f20a3", "C74F20A3")).line() == GO_VKEY


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GO_VKEY.replace("c74f20a3", "c74f20a4"), "states key hash c74f20a4 but its key hashes"),
        (GO_VKEY.replace("c74f20a3", "c74f20a"), "is not 8 hexadecimal digits"),
        # golang.org/x/mod's own unknown-algorithm key, its key hash adjusted to match:
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key type 0x65"),
        (vkey("a", b"\x02" + bytes(32)), "unknown key type 0x02"),
        (vkey("a", b"\x01" + bytes(31)), "32 bytes, not 31"),
        (vkey("a", b"\x04" + bytes(33)), "32 bytes, not 33"),
        (vkey("a b", b"\x01" + bytes(32)), "key name 'a b' holds ' '"),
        (vkey("a+b", b"\x01" + bytes(32)), "key hash 'b' is not 8 hexadecimal digits"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("PeterNeumann+c74f20a3", "is not <name>\\+<key hash>\\+<base64 key>"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name is empty"),
        (GO_VKEY + "\n", "not standard padded base64"),
        ("PeterNeumann+c74f20a3+", "the key is empty"),
    ],
)
def test_parse_verifier_refuses(text: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        parse_verifier(text)


@pytest.mark.parametrize("name", ["a+b", "a b", "a\u00a0b", "a\tb", "a\x7fb", ""])
def test_key_names_refuse_plus_spaces_and_controls(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        verifier(name, LOG.verifier.public_key)
    with pytest.raises(NoteError, match="key name"):
        NoteSigner(name, LOG_KEY)


def test_verifier_refuses_a_hash_that_is_not_its_keys() -> None:
    with pytest.raises(NoteError, match="is not the hash of its key"):
        Verifier("lienthong.example/log", b"\x00" * 4, LOG.verifier.public_key)


# --- checkpoints -----------------------------------------------------------------------------


@given(
    origin=line_text.filter(bool),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line_text.filter(bool), max_size=3).map(tuple),
)
def test_checkpoint_text_parses_back(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


def test_checkpoint_text_is_origin_size_and_base64_root() -> None:
    text = Checkpoint("example.com/log", 0, bytes(32), ("ext",)).text()
    assert text == "example.com/log\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n"


@pytest.mark.parametrize(
    ("size", "problem"),
    [
        ("007", "is not a decimal without leading zeros"),
        ("-1", "is not a decimal"),
        ("+7", "is not a decimal"),
        (" 7", "is not a decimal"),
        ("7_0", "is not a decimal"),
        ("\u0667", "is not a decimal"),  # ARABIC-INDIC DIGIT SEVEN: int() would take it
        ("", "is not a decimal"),
        (str(2**64), "exceeds 2\\^64 - 1"),
        ("9" * 5000, "exceeds 2\\^64 - 1"),
    ],
)
def test_checkpoint_refuses_bad_sizes(size: str, problem: str) -> None:
    with pytest.raises(NoteError, match=f"line 2: tree size .*{problem}"):
        Checkpoint.parse(f"example.com/log\n{size}\n{base64.b64encode(ROOT).decode()}\n")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"example.com/log\n1\n{base64.b64encode(bytes(31)).decode()}\n", "31 bytes, not 32"),
        (f"example.com/log\n1\n{base64.b64encode(bytes(33)).decode()}\n", "33 bytes, not 32"),
        ("example.com/log\n1\nAAAA\n", "3 bytes, not 32"),
        (f"\n1\n{base64.b64encode(ROOT).decode()}\n", "line 1: the origin is empty"),
        ("example.com/log\n1\n", "three lines"),
        (f"example.com/log\n1\n{base64.b64encode(ROOT).decode()}\n\n", "line 4: .* empty"),
        (f"example.com/log\n1\n{base64.b64encode(ROOT).decode()}", "newline"),
    ],
)
def test_checkpoint_refuses_malformed_texts(text: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        ("a", -1, ROOT, ()),
        ("a", 2**64, ROOT, ()),
        ("a", 1, ROOT[:31], ()),
        ("a", 1, ROOT, ("",)),
    ],
)
def test_checkpoint_refuses_impossible_values(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(NoteError):
        Checkpoint(origin, size, root, extensions)


# --- cosignatures ----------------------------------------------------------------------------


def test_cosignature_verifies_and_returns_its_timestamp() -> None:
    line = WITNESS.cosign(CHECKPOINT, TIME)
    assert verify_cosignature(line, CHECKPOINT, WITNESS.verifier) == TIME
    assert len(parse_signature_line(line).signature) == 8 + 64


def test_cosignature_signs_the_header_time_and_checkpoint() -> None:
    assert cosignature_message(CHECKPOINT, TIME) == (
        f"cosignature/v1\ntime {TIME}\n{CHECKPOINT}".encode()
    )


def test_cosignature_fails_for_another_checkpoint() -> None:
    line = WITNESS.cosign(CHECKPOINT, TIME)
    other = Checkpoint("lienthong.example/log", 43, ROOT).text()
    with pytest.raises(
        NoteError, match=re.escape("cosignature by witness.example/w1 does not verify")
    ):
        verify_cosignature(line, other, WITNESS.verifier)


def test_cosignature_fails_with_its_timestamp_changed() -> None:
    tampered = with_payload(WITNESS.cosign(CHECKPOINT, TIME), 0x01, 4 + 7)
    with pytest.raises(NoteError, match=f"does not verify \\(time {TIME ^ 1}\\)"):
        verify_cosignature(tampered, CHECKPOINT, WITNESS.verifier)


def test_cosignature_fails_for_another_witness_key() -> None:
    impostor = Cosigner("witness.example/w1", OTHER_KEY)
    line = impostor.cosign(CHECKPOINT, TIME)
    with pytest.raises(NoteError, match=re.escape("not by witness witness.example/w1")):
        verify_cosignature(line, CHECKPOINT, WITNESS.verifier)


def test_cosignature_is_not_checked_with_a_note_key() -> None:
    with pytest.raises(NoteError, match=r"is not a witness key: its type is 0x01 \(Ed25519\)"):
        verify_cosignature(WITNESS.cosign(CHECKPOINT, TIME), CHECKPOINT, LOG.verifier)


def test_cosignature_with_a_timestamp_past_2_to_the_63_is_refused() -> None:
    payload = WITNESS.verifier.key_hash + (1 << 63).to_bytes(8, "big") + bytes(64)
    line = f"— witness.example/w1 {base64.b64encode(payload).decode()}"
    with pytest.raises(NoteError, match="timestamp 9223372036854775808 exceeds 2\\^63 - 1"):
        verify_cosignature(line, CHECKPOINT, WITNESS.verifier)


def test_cosignature_with_a_short_payload_does_not_verify() -> None:
    line = (
        f"— witness.example/w1 {base64.b64encode(WITNESS.verifier.key_hash + bytes(64)).decode()}"
    )
    with pytest.raises(NoteError, match="64 bytes after the key hash, not 8"):
        verify_cosignature(line, CHECKPOINT, WITNESS.verifier)


@pytest.mark.parametrize(
    ("text", "timestamp", "problem"),
    [
        ("not a checkpoint\n", TIME, "three lines"),
        (CHECKPOINT, -1, "from 0 to 2\\^63 - 1"),
        (CHECKPOINT, 2**63, "from 0 to 2\\^63 - 1"),
    ],
)
def test_cosigner_refuses(text: str, timestamp: int, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        WITNESS.cosign(text, timestamp)


def test_cosigned_checkpoint_opens_with_the_log_key_and_with_the_witness_key() -> None:
    note = sign_note(CHECKPOINT, LOG) + WITNESS.cosign(CHECKPOINT, TIME)

    by_log = open_note(note, [LOG.verifier])  # the cosignature is by a key it does not know
    assert by_log.verified_by == ("lienthong.example/log",)
    _, witness_line = by_log.signatures
    assert verify_cosignature(witness_line, by_log.text, WITNESS.verifier) == TIME

    assert open_note(note, [WITNESS.verifier]).verified_by == ("witness.example/w1",)
    both = open_note(note, [LOG.verifier, WITNESS.verifier])
    assert both.verified_by == ("lienthong.example/log", "witness.example/w1")
    assert Checkpoint.parse(both.text).size == 42


def test_tampered_cosignature_rejects_the_note_for_a_verifier_that_trusts_the_witness() -> None:
    note = sign_note(CHECKPOINT, LOG) + with_payload(WITNESS.cosign(CHECKPOINT, TIME), 0x01, 40)
    assert open_note(note, [LOG.verifier]).verified_by == ("lienthong.example/log",)
    with pytest.raises(
        NoteError, match=re.escape("signature by witness.example/w1 does not verify")
    ):
        open_note(note, [LOG.verifier, WITNESS.verifier])


def test_witness_key_and_note_key_never_share_a_key_hash() -> None:
    as_note_key = NoteSigner("witness.example/w1", WITNESS_KEY)
    assert as_note_key.verifier.key_hash != WITNESS.verifier.key_hash
    note = sign_note(CHECKPOINT, as_note_key)
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(note, [WITNESS.verifier])
