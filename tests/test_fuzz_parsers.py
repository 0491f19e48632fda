"""Fuzzing every parser that reads bytes from outside: whatever it is given, it answers with its own
refusal or with a value that is exactly what it was given — never any other exception.

The parsers: the canonical statement decoder (ledger/statements/canonical.py), the statement
format (ledger/statements/schema.py), the audit bundle reader and its offline verification
(ledger/log/bundle.py), the signed note, checkpoint, signature line and verifier key parsers
(ledger/log/note/), and the multipart form reader of the file upload
(api/http/routes/files.py, over HTTP). Inputs are random bytes and text, random values in the
format's own shape, and real documents (statements, bundles, notes recorded by a test world) with
bytes flipped, inserted, deleted, cut or repeated.

Where a parser accepts its input, the test checks more than "no crash": a decoded value encodes
back to the very bytes, a statement builds back to them, a checkpoint prints back to its text, a
note whose log signature verifies has the text that was signed, and a form the server accepts had
its closing boundary and is stored whole — while a refused upload leaves nothing on disk.

Each target runs LIENTHONG_FUZZ_EXAMPLES examples (100 unless set): CI runs the `fuzz`-marked
tests again with many more, for a bounded time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from api.settings import Settings
from ledger.errors import BadBundle, MalformedStatement
from ledger.log import note
from ledger.log.bundle import Bundle, BundleReport, export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.log.witness import WitnessKey
from ledger.statements import canonical, schema
from ledger.stores.blobs import DirectoryBlobs
from tests.apiworld import (
    APPLICANT,
    COMMUNE_OFFICER,
    RECEIVED_BODY,
    Api,
    demo_code,
    open_api,
)
from tests.world import CODE, World

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("LIENTHONG_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

ORIGIN = "test.lienthong.example/log"
LOG_KEY = LogKey.from_seed(ORIGIN, hashlib.sha256(b"test-log-key").digest())
WITNESS = WitnessKey.from_seed("witness.test/w1", hashlib.sha256(b"test-witness").digest())
TRUSTED = [LOG_KEY.verifier, WITNESS.verifier]


def event(what: str) -> None:
    """Count an outcome in hypothesis's statistics (`--hypothesis-show-statistics`)."""
    if currently_in_test_context():
        hypothesis_event(what)


# --- real documents to start from -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Samples:
    statements: list[bytes]  # every statement of a small world's log, of many kinds
    bundle: bytes  # the audit bundle of its dossier
    note: str  # a checkpoint note signed by the log and cosigned by a witness
    checkpoint: str  # that checkpoint's text


def _samples() -> Samples:
    world = World.build()
    try:
        world.receive()
        world.hand_over("29266", "844")
        world.ledger.issue_checkpoint(LOG_KEY)
        statements = [event.raw for _, event in world.ledger.read_log()]
        bundle = export(world.ledger, CODE).encode()
    finally:
        world.ledger.close()
    # the bundle's checkpoint cosigned by the witness, as a bundle carries it once witnessed
    exported = Bundle.decode(bundle)
    text = note.parse_note(exported.checkpoint).text
    cosigned = exported.checkpoint + WITNESS.cosigner.cosign(text, 1_741_000_000)
    assert note.open_note(cosigned, TRUSTED).verified_by == (LOG_KEY.verifier.name, WITNESS.name)
    bundle = dataclasses.replace(exported, checkpoint=cosigned).encode()
    return Samples(statements, bundle, cosigned, text)


SAMPLES = _samples()


# --- strategies ---------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few bytes flipped, set, inserted, deleted, cut off or repeated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "repeat"]))
        if how == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif how == "set" and data:
            data[where] = draw(st.sampled_from([0x00, 0xC0, 0xC1, 0xD9, 0xDC, 0xDE, 0xFF, 0x7F]))
        elif how == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif how == "delete":
            del data[where : where + draw(st.integers(1, 8))]
        elif how == "cut":
            del data[where:]
        elif how == "repeat":
            data[where:where] = data[where : where + draw(st.integers(1, 16))]
    return bytes(data)


def mutated_text(original: str) -> st.SearchStrategy[str]:
    """`original` mutated as UTF-8 bytes, read back as text (invalid sequences replaced)."""
    return mutated(original.encode()).map(lambda data: data.decode("utf-8", "replace"))


# Values msgpack can carry, canonical or not: nil, floats, any int of 64 bits, non-NFC text,
# maps with keys of any type.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["e\u0301", "\u00e9", "Ω", "\u2126", ""])  # NFC and not
    | st.binary(max_size=40)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(max_size=8) | st.integers(-5, 5) | st.binary(max_size=4), inner, max_size=5
        )
    ),
    max_leaves=25,
)


@st.composite
def packed(draw: st.DrawFn, values: st.SearchStrategy[Any] = VALUES) -> bytes:
    """msgpack bytes of a value, in whichever forms msgpack picks (bin or raw str for bytes)."""
    return msgpack.packb(draw(values), use_bin_type=draw(st.booleans()))


def statement_fields(raw: bytes) -> st.SearchStrategy[dict[str, Any]]:
    """A real statement's fields with some replaced, removed or added."""
    fields: dict[str, Any] = canonical.decode(raw)

    @st.composite
    def changed(draw: st.DrawFn) -> dict[str, Any]:
        result = dict(fields)
        body = dict(result["body"])
        for _ in range(draw(st.integers(1, 3))):
            target = draw(st.sampled_from(["envelope", "body"]))
            place = result if target == "envelope" or not body else body
            key = draw(st.sampled_from(sorted(place)) | st.text(max_size=8))
            if draw(st.booleans()) and key in place:
                del place[key]
            else:
                place[key] = draw(VALUES)
        if isinstance(result.get("body"), dict):
            result["body"] = body
        return result

    return changed()


def canonical_or_packed(fields: dict[str, Any]) -> bytes:
    try:
        return canonical.encode(fields)
    except ValueError:  # nil or a float: no canonical form, so send msgpack's
        return msgpack.packb(fields, use_bin_type=True)


# --- the canonical decoder ------------------------------------------------------------------


def decodes_exactly(data: bytes) -> None:
    """`canonical.decode` refuses with MalformedStatement (or a subclass), or returns a value
    whose canonical encoding is `data` itself."""
    try:
        value = canonical.decode(data)
    except MalformedStatement as refusal:
        event(f"refused: {type(refusal).__name__}")
        return
    event("accepted")
    assert canonical.encode(value) == data


@FUZZ
@given(st.binary(max_size=200))
def test_the_canonical_decoder_on_random_bytes(data: bytes) -> None:
    decodes_exactly(data)


@FUZZ
@given(packed())
def test_the_canonical_decoder_on_msgpack_of_any_value(data: bytes) -> None:
    decodes_exactly(data)


@FUZZ
@given(st.sampled_from(SAMPLES.statements).flatmap(mutated))
def test_the_canonical_decoder_on_damaged_statements(data: bytes) -> None:
    decodes_exactly(data)


# --- the statement format -------------------------------------------------------------------


def parses_exactly(data: bytes) -> None:
    """`schema.parse` refuses with MalformedStatement (or a subclass: UnknownField, BadField …),
    or returns a statement that builds back to `data`."""
    try:
        statement = schema.parse(data)
    except MalformedStatement as refusal:
        event(f"refused: {type(refusal).__name__}")
        return
    event("accepted")
    assert schema.build(statement) == data


@FUZZ
@given(st.sampled_from(SAMPLES.statements).flatmap(mutated))
def test_the_statement_parser_on_damaged_statements(data: bytes) -> None:
    parses_exactly(data)


@FUZZ
@given(st.sampled_from(SAMPLES.statements).flatmap(statement_fields).map(canonical_or_packed))
def test_the_statement_parser_on_statements_with_fields_changed(data: bytes) -> None:
    parses_exactly(data)


@FUZZ
@given(packed() | st.binary(max_size=200))
def test_the_statement_parser_on_any_value(data: bytes) -> None:
    parses_exactly(data)


def test_the_sample_statements_parse() -> None:
    # the fuzzing above starts from them: they must be good statements of several kinds
    kinds = {schema.parse(raw).kind for raw in SAMPLES.statements}
    assert {"dossier.received", "handover.dispatched", "key.registered"} <= kinds


# --- the bundle reader and its verification -------------------------------------------------


def reads_exactly(data: bytes) -> Bundle | None:
    """`Bundle.decode` refuses with BadBundle, or returns a bundle that encodes back to `data`."""
    try:
        bundle = Bundle.decode(data)
    except BadBundle:
        event("read: refused")
        return None
    event("read: accepted")
    assert bundle.encode() == data
    return bundle


def verifies_or_refuses(data: bytes) -> BundleReport | None:
    """`verify_bundle` raises BadBundle (not a bundle) or returns its report, never anything else;
    a report that finds no problem has replayed every entry."""
    try:
        report = verify_bundle(data, LOG_KEY.verifier, [WITNESS.verifier])
    except BadBundle:
        event("verified: not a bundle")
        return None
    event("verified: ok" if report.ok else f"verified: {report.problems[0].split(':')[0]}")
    assert report.ok == (not report.problems and report.view is not None)
    if report.ok:
        assert report.entries == len(Bundle.decode(data).entries)
    return report


@st.composite
def bundles_changed(draw: st.DrawFn) -> bytes:
    """The sample bundle with its parts changed: the note damaged or without its cosignature,
    entries dropped, repeated or reordered, a statement, signature, index or proof replaced —
    encoded canonically."""
    bundle = Bundle.decode(SAMPLES.bundle)
    entries = list(bundle.entries)
    checkpoint, dossier = bundle.checkpoint, bundle.dossier
    for _ in range(draw(st.integers(1, 3))):
        change = draw(
            st.sampled_from(["note", "dossier", "drop", "repeat", "swap", "field", "uncosign"])
        )
        if change == "note":
            # text in a bundle is NFC (a bundle holding other text is not canonical)
            checkpoint = unicodedata.normalize("NFC", draw(mutated_text(checkpoint)))
        elif change == "uncosign":  # the witness's line taken off
            checkpoint = "".join(SAMPLES.note.splitlines(keepends=True)[:-1])
        elif change == "dossier":
            dossier = draw(st.sampled_from(["", "000.00.01.H59-250303-0002", "x" * 200]))
        elif change == "drop" and len(entries) > 1:
            del entries[draw(st.integers(0, len(entries) - 1))]
        elif change == "repeat":
            entries.append(draw(st.sampled_from(entries)))
        elif change == "swap" and len(entries) > 1:
            i, j = draw(st.integers(0, len(entries) - 1)), draw(st.integers(0, len(entries) - 1))
            entries[i], entries[j] = entries[j], entries[i]
        elif change == "field":
            at = draw(st.integers(0, len(entries) - 1))
            entry = entries[at]
            name = draw(
                st.sampled_from(["statement", "signature", "index", "recorded_at", "proof"])
            )
            value: Any
            if name in ("statement", "signature"):
                value = draw(mutated(getattr(entry, name)))
            elif name == "proof":
                value = tuple(draw(st.lists(st.binary(min_size=32, max_size=32), max_size=6)))
            else:
                value = draw(st.integers(0, 2**64 - 1))
            entries[at] = dataclasses.replace(entry, **{name: value})
    return Bundle(dossier, checkpoint, tuple(entries)).encode()


def test_the_sample_bundle_verifies() -> None:
    report = verifies_or_refuses(SAMPLES.bundle)
    assert report is not None
    assert report.ok, report.problems


@FUZZ
@given(mutated(SAMPLES.bundle) | st.binary(max_size=300) | packed())
def test_the_bundle_reader_on_damaged_and_random_files(data: bytes) -> None:
    reads_exactly(data)


@FUZZ
@given(mutated(SAMPLES.bundle))
def test_bundle_verification_on_damaged_files(data: bytes) -> None:
    verifies_or_refuses(data)


@FUZZ
@given(bundles_changed())
def test_bundle_verification_on_bundles_with_parts_changed(data: bytes) -> None:
    assert reads_exactly(data) is not None
    verifies_or_refuses(data)


# --- signed notes, checkpoints, signature lines, verifier keys ------------------------------

# text made of what notes are made of, so that random text gets past the first checks
NOTE_PIECES = st.sampled_from(
    [
        "\n",
        "\n\n",
        "— ",
        "—",
        " ",
        "+",
        "=",
        "0",
        "17",
        "18446744073709551616",
        ORIGIN,
        WITNESS.name,
        "AAAA",
        "AQ==",
        "\t",
        "\x00",
        "\r",
        "é",
        "e\u0301",
        "\ud800",
        "\ufeff",
    ]
)
NOTE_TEXT = st.lists(NOTE_PIECES | st.text(max_size=6), max_size=30).map("".join)


def opens_only_as_signed(text: str | bytes) -> None:
    """`open_note` refuses with NoteError, or has verified a trusted signature; a note that the
    log's signature verifies is the text the log signed."""
    try:
        opened = note.open_note(text, TRUSTED)
    except note.NoteError:
        event("opened: refused")
        return
    event(f"opened: by {', '.join(opened.verified_by)}")
    assert opened.verified_by
    if LOG_KEY.verifier.name in opened.verified_by:
        assert opened.text == SAMPLES.checkpoint


def parses_as_a_note(text: str | bytes) -> None:
    try:
        parsed = note.parse_note(text)
    except note.NoteError:
        return
    assert parsed.signatures
    assert parsed.text.endswith("\n")


def parses_as_a_checkpoint(text: str) -> None:
    try:
        checkpoint = note.Checkpoint.parse(text)
    except note.NoteError:
        event("refused")
        return
    event("accepted")
    assert checkpoint.text() == text


def only_note_errors(act: Callable[[], Any]) -> None:
    with contextlib.suppress(note.NoteError):
        act()


@FUZZ
@given(mutated_text(SAMPLES.note) | mutated(SAMPLES.note.encode()) | NOTE_TEXT)
def test_the_note_parser_and_opener_on_damaged_and_random_notes(text: str | bytes) -> None:
    parses_as_a_note(text)
    opens_only_as_signed(text)


@FUZZ
@given(st.binary(max_size=300))
def test_the_note_parser_on_random_bytes(data: bytes) -> None:
    parses_as_a_note(data)
    opens_only_as_signed(data)


@FUZZ
@given(mutated_text(SAMPLES.checkpoint) | NOTE_TEXT)
def test_the_checkpoint_parser_on_damaged_and_random_texts(text: str) -> None:
    parses_as_a_checkpoint(text)


@FUZZ
@given(mutated_text(SAMPLES.note.splitlines(keepends=True)[-1]) | NOTE_TEXT)
def test_signature_lines_and_cosignatures_on_damaged_and_random_lines(line: str) -> None:
    only_note_errors(lambda: note.parse_signature_line(line))
    only_note_errors(lambda: note.verify_cosignature(line, SAMPLES.checkpoint, WITNESS.verifier))


@FUZZ
@given(mutated_text(LOG_KEY.verifier.line()) | mutated_text(WITNESS.verifier.line()) | NOTE_TEXT)
def test_the_verifier_key_parser_on_damaged_and_random_keys(text: str) -> None:
    try:
        parsed = note.parse_verifier(text)
    except note.NoteError:
        return
    # accepted: the key it names, printed back (the key hash in either case, as Go's note reads it)
    name, key_hash, key = text.split("+", 2)
    assert parsed.line() == f"{name}+{key_hash.lower()}+{key}"


# --- the multipart form of the file upload, over HTTP ---------------------------------------

FORM_CODE = demo_code(9001)
BOUNDARY_CHARS = st.sampled_from(list(b"0123456789abcdefABCDEF-_'()+,./:=? "))


@pytest.fixture(scope="module")
def upload_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API on a SQLite file (its files on disk), with a dossier the commune office holds."""
    directory = tmp_path_factory.mktemp("fuzz-upload")
    names = {f.name for f in dataclasses.fields(Settings)}
    extra = {"pending_files": 1_000_000} if "pending_files" in names else {}  # no quota in the way
    with open_api(
        f"sqlite:///{directory / 'ledger.db'}", directory, max_file_bytes=4096, **extra
    ) as api:
        api.client("officer").record(
            api.key(COMMUNE_OFFICER),
            "dossier.received",
            FORM_CODE,
            RECEIVED_BODY,
            applicant=APPLICANT,
        )
        yield api


def on_disk(api: Api) -> list[Path]:
    blobs = api.services.files.blobs
    assert isinstance(blobs, DirectoryBlobs)
    return sorted(path for path in blobs.root.rglob("*") if path.is_file())


@dataclasses.dataclass(frozen=True)
class Form:
    body: bytes
    content_type: str
    boundary: bytes
    file: bytes | None  # the one file part's content, if the form is well made and untouched


@st.composite
def forms(draw: st.DrawFn) -> Form:
    boundary = bytes(draw(st.lists(BOUNDARY_CHARS, min_size=1, max_size=70)))
    boundary = boundary.rstrip(b" ") or b"b"
    parts = []
    names = draw(
        st.lists(st.sampled_from([b"file", b"file", b"sha256", b"other", b""]), max_size=4)
    )
    contents = []
    for name in names:
        content = draw(
            st.binary(max_size=64)
            | st.sampled_from([b"--" + boundary, b"\r\n--" + boundary, b"\r\n\r\n", b"a" * 5000])
        )
        if name == b"sha256" and draw(st.booleans()):
            content = hashlib.sha256(draw(st.binary(max_size=8))).hexdigest().encode()
        headers = b'Content-Disposition: form-data; name="' + name + b'"'
        if name == b"file":
            headers += b'; filename="scan.bin"\r\nContent-Type: application/octet-stream'
        headers += draw(st.sampled_from([b"", b"\r\nX-Extra: 1", b"\r\nContent-Disposition: x"]))
        parts.append(b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n")
        contents.append((name, content))
    closed = draw(st.booleans())
    body = b"".join(parts) + (b"--" + boundary + b"--\r\n" if closed else b"")
    touched = draw(st.booleans())
    if touched:
        body = draw(mutated(body))
    quoted = draw(st.booleans())
    content_type = "multipart/form-data; boundary=" + (
        f'"{boundary.decode()}"' if quoted or b" " in boundary else boundary.decode()
    )
    files = [content for name, content in contents if name == b"file"]
    well_made = (
        closed
        and not touched
        and len(files) == 1
        and all(name in (b"file", b"sha256") for name, _ in contents)
        and b"--" + boundary not in b"".join(content for _, content in contents)
    )
    return Form(body, content_type, boundary, files[0] if well_made else None)


@FUZZ
@given(forms())
def test_the_multipart_reader_stores_a_whole_form_or_refuses_and_keeps_nothing(
    upload_api: Api, form: Form
) -> None:
    before = on_disk(upload_api)
    response = upload_api.http.post(
        f"/v1/dossiers/{FORM_CODE}/files",
        content=form.body,
        headers={**upload_api.headers("officer"), "Content-Type": form.content_type},
    )
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        # the reader's own refusals: a problem, never "who are you" or "no such dossier"
        assert response.headers["content-type"] == "application/problem+json", response.text
        assert response.status_code not in (401, 403, 404, 405), response.text
        assert on_disk(upload_api) == before, response.text
        return
    assert response.status_code in (200, 201), response.text
    # accepted: the form ended with its closing boundary, and the file is stored whole
    assert b"--" + form.boundary + b"--" in form.body
    sha256 = bytes.fromhex(response.json()["sha256"])
    stored = b"".join(upload_api.services.files.open(FORM_CODE, sha256))
    assert hashlib.sha256(stored).digest() == sha256
    if form.file is not None:
        assert stored == form.file
