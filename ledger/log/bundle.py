"""Audit bundles: one file that proves a dossier's history offline, with no database and no server.

A bundle holds the dossier's entries, every registry entry their validity depends on (the keys,
officers, offices and procedure they name, the offices those refer to, and the authority's history,
each subject complete up to the checkpoint), an inclusion proof for each entry, and the signed
checkpoint (with any witness cosignatures). It is one canonical msgpack map (docs/log-format.md §13),
so any changed byte either fails to decode or changes what is proved.

Verifying a bundle = check the checkpoint's signature with the log's public key; check every entry's
inclusion proof against the checkpoint's root; then replay every entry, in log order, into an empty
in-memory ledger whose clock reads each entry's `recorded_at`: the same code that recorded them
re-checks every signature, key, officer, office, chain link and custody rule — in log order, so an
entry signed with a key whose revocation comes earlier in the bundle is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import DomainError
from domain.statement import AUTHORITY, Statement
from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.errors import BadBundle, BadProofRequest, LedgerError
from ledger.log import merkle, note, tlog
from ledger.log.storage.tree import StoredCheckpoint
from ledger.statements import canonical, certificates, schema
from ledger.views.timeline import Timeline, timeline

FORMAT = "lienthong-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 64 << 20
_TEN_YEARS = 10 * 366 * 86400


@dataclass(frozen=True)
class BundleEntry:
    index: int
    statement: bytes
    signature: bytes
    recorded_at: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class SideObject:
    """A certificate, CRL or OCSP response the bundle's certificate entries name by SHA-256."""

    kind: str
    der: bytes


@dataclass(frozen=True)
class Timestamp:
    """An RFC 3161 timestamp token over the signature of the entry whose statement hash it names."""

    statement: bytes
    token: bytes


@dataclass(frozen=True)
class Bundle:
    dossier: str
    checkpoint: str  # the signed note, witness cosignature lines included
    entries: tuple[BundleEntry, ...]
    # present only when the bundle holds certificate signatures: a bundle of Ed25519 entries
    # alone is byte for byte what it was before certificates
    pki: tuple[SideObject, ...] = ()
    timestamps: tuple[Timestamp, ...] = ()
    # the SHA-256 of officers' certificates left out of a bundle given to the public: they carry
    # the holder's name; the statements they signed are checked against the registered key alone
    withheld: tuple[bytes, ...] = ()

    def encode(self) -> bytes:
        document: dict[str, Any] = {
            "checkpoint": self.checkpoint,
            "dossier": self.dossier,
            "entries": [
                {
                    "index": entry.index,
                    "proof": list(entry.proof),
                    "recorded_at": entry.recorded_at,
                    "signature": entry.signature,
                    "statement": entry.statement,
                }
                for entry in self.entries
            ],
            "format": FORMAT,
            "v": VERSION,
        }
        if self.pki:
            document["pki"] = [{"der": item.der, "kind": item.kind} for item in self.pki]
        if self.timestamps:
            document["timestamps"] = [
                {"statement": item.statement, "token": item.token} for item in self.timestamps
            ]
        if self.withheld:
            document["withheld"] = list(self.withheld)
        return canonical.encode(document)

    @classmethod
    def decode(cls, data: bytes) -> Bundle:
        try:
            document = canonical.decode(data, max_bytes=MAX_BUNDLE_BYTES)
        except LedgerError as problem:
            raise BadBundle(f"the file is not a canonical bundle: {problem}") from None
        _fields(
            document,
            "bundle",
            {"checkpoint", "dossier", "entries", "format", "v"},
            optional=frozenset({"pki", "timestamps", "withheld"}),
        )
        if document["format"] != FORMAT or document["v"] != VERSION:
            raise BadBundle(
                f"the file is a {document['format']!r} version {document['v']!r}, "
                f"not a {FORMAT} version {VERSION}"
            )
        for name in ("checkpoint", "dossier"):
            if not isinstance(document[name], str):
                raise BadBundle(f"bundle.{name} must be text")
        if not isinstance(document["entries"], list) or not document["entries"]:
            raise BadBundle("bundle.entries must be a non-empty list")
        entries = tuple(
            _entry(item, f"bundle.entries[{number}]")
            for number, item in enumerate(document["entries"])
        )
        return cls(
            document["dossier"],
            document["checkpoint"],
            entries,
            _side_objects(document.get("pki", [])),
            _timestamps(document.get("timestamps", [])),
            _withheld(document.get("withheld", [])),
        )


def _withheld(items: Any) -> tuple[bytes, ...]:
    if not isinstance(items, list) or not all(
        isinstance(item, bytes) and len(item) == 32 for item in items
    ):
        raise BadBundle("bundle.withheld must be a list of 32-byte certificate hashes")
    return tuple(items)


def _side_objects(items: Any) -> tuple[SideObject, ...]:
    if not isinstance(items, list):
        raise BadBundle("bundle.pki must be a list")
    found: list[SideObject] = []
    for number, item in enumerate(items):
        path = f"bundle.pki[{number}]"
        _fields(item, path, {"der", "kind"})
        if item["kind"] not in ("certificate", "crl", "ocsp"):
            raise BadBundle(f"{path}.kind must be certificate, crl or ocsp")
        if not isinstance(item["der"], bytes) or not item["der"]:
            raise BadBundle(f"{path}.der must be bytes")
        found.append(SideObject(item["kind"], item["der"]))
    return tuple(found)


def _timestamps(items: Any) -> tuple[Timestamp, ...]:
    if not isinstance(items, list):
        raise BadBundle("bundle.timestamps must be a list")
    found: list[Timestamp] = []
    for number, item in enumerate(items):
        path = f"bundle.timestamps[{number}]"
        _fields(item, path, {"statement", "token"})
        if not isinstance(item["statement"], bytes) or len(item["statement"]) != 32:
            raise BadBundle(f"{path}.statement must be a 32-byte statement hash")
        if not isinstance(item["token"], bytes) or not item["token"]:
            raise BadBundle(f"{path}.token must be bytes")
        found.append(Timestamp(item["statement"], item["token"]))
    return tuple(found)


def _fields(
    value: Any, path: str, names: set[str], optional: frozenset[str] = frozenset()
) -> None:
    if not isinstance(value, dict):
        raise BadBundle(f"{path} must be a map")
    missing, extra = names - value.keys(), value.keys() - names - optional
    if missing or extra:
        raise BadBundle(
            f"{path} has {'missing ' + ', '.join(sorted(missing)) if missing else ''}"
            f"{'; ' if missing and extra else ''}"
            f"{'unknown ' + ', '.join(sorted(extra)) if extra else ''} fields"
        )


def _entry(item: Any, path: str) -> BundleEntry:
    _fields(item, path, {"index", "proof", "recorded_at", "signature", "statement"})
    for name in ("index", "recorded_at"):
        if isinstance(item[name], bool) or not isinstance(item[name], int) or item[name] < 0:
            raise BadBundle(f"{path}.{name} must be a non-negative integer")
    for name in ("signature", "statement"):
        if not isinstance(item[name], bytes):
            raise BadBundle(f"{path}.{name} must be bytes")
    proof = item["proof"]
    if not isinstance(proof, list) or not all(isinstance(h, bytes) for h in proof):
        raise BadBundle(f"{path}.proof must be a list of hashes")
    return BundleEntry(
        item["index"], item["statement"], item["signature"], item["recorded_at"], tuple(proof)
    )


# --- export -------------------------------------------------------------------------------------


def export(
    ledger: Ledger,
    code: str,
    checkpoint: StoredCheckpoint | None = None,
    *,
    timestamps: Callable[[list[bytes]], dict[bytes, bytes]] | None = None,
    certificates_of_officers: bool = True,
) -> Bundle:
    """The bundle of a dossier at `checkpoint` (by default the latest one kept), which must cover
    every entry of the dossier. Raises UnknownDossier, or BadProofRequest if no checkpoint does.
    Entries signed with certificate keys bring their chains and the revocation data recorded for
    their CAs; `timestamps` (statement hashes → RFC 3161 tokens kept for them) adds the tokens.
    Without `certificates_of_officers` (a bundle for the public), each officer's own certificate
    is left out and named in `withheld`: it carries the holder's name."""
    ledger.dossier(code)  # raises UnknownDossier
    checkpoint = checkpoint or ledger.checkpoint()
    size = checkpoint.size if checkpoint else 0
    wanted: dict[tuple[str, str], None] = {("dossier", code): None}
    entries: dict[int, BundleEntry] = {}
    done: set[tuple[str, str]] = set()
    pki: dict[bytes, SideObject] = {}

    def collect() -> None:
        """Every wanted subject's history up to the checkpoint, and what each entry relies on
        (the revocation data a `revocation.recorded` names, among them), until nothing new."""
        while len(done) < len(wanted):
            family, subject = next(item for item in wanted if item not in done)
            done.add((family, subject))
            for stored in ledger.history(family, subject):
                index = ledger.leaf_index(family, subject, stored.statement.seq)
                if index >= size:
                    if family == "dossier":
                        raise BadProofRequest(
                            f"no checkpoint covers entry {index + 1} of the log ({code}, seq "
                            f"{stored.statement.seq}): issue one with `lienthong checkpoint`"
                        )
                    break  # later registry changes do not bear on what the checkpoint covers
                entries[index] = BundleEntry(
                    index, stored.raw, stored.signature, stored.recorded_at, ()
                )
                for reference in references(stored.statement):
                    wanted.setdefault(reference, None)
                if family == "revocation":
                    pki.setdefault(
                        stored.statement.body["sha256"], _side(ledger, stored.statement)
                    )

    collect()
    assert checkpoint is not None
    withheld: list[bytes] = []
    if certificates_of_officers:
        # the chains, and the revocation histories of their CAs (with who recorded them, whose
        # own key may be a certificate key in turn)
        while True:
            before = len(entries)
            pki.update(_side_data(ledger, [entries[i] for i in sorted(entries)], wanted, done))
            collect()
            if len(entries) == before:
                break
    else:  # nothing to check a chain with: no certificate, no revocation history
        withheld = _leaves(entries.values())
    cosignatures = ledger.logstore.cosignatures(size)
    note_text = checkpoint.note + "".join(
        line if line.endswith("\n") else line + "\n" for line in cosignatures
    )
    proved = tuple(
        BundleEntry(
            entry.index,
            entry.statement,
            entry.signature,
            entry.recorded_at,
            tuple(ledger.inclusion_proof(entry.index, size)),
        )
        for _, entry in sorted(entries.items())
    )
    return Bundle(
        code,
        note_text,
        proved,
        tuple(pki[digest] for digest in sorted(pki)),
        _timestamps_of(timestamps, proved),
        tuple(sorted(withheld)),
    )


def _side_data(
    ledger: Ledger,
    entries: Sequence[BundleEntry],
    wanted: dict[tuple[str, str], None],
    done: set[tuple[str, str]],
) -> dict[bytes, SideObject]:
    """The certificates of the certificate keys among `entries`, by SHA-256; and, in `wanted`,
    the revocation histories of their CAs and of the ledger's trust anchors."""
    found: dict[bytes, SideObject] = {}
    for entry in entries:
        statement = schema.parse(entry.statement, max_bytes=max(len(entry.statement), 1))
        if statement.kind != "key.registered" or "certificates" not in statement.body:
            continue
        digests = list(statement.body["certificates"])
        chain = ledger.pki_objects(digests, "certificate")
        for digest, der in zip(digests, chain, strict=True):
            found[digest] = SideObject("certificate", der)
        issuers = [*chain[1:], *ledger.certificate_validation().anchors]
        for der in issuers:
            subject = ("revocation", certificates.key_id_of(der))
            if subject not in done and ledger.has(*subject):
                wanted.setdefault(subject, None)
    return found


def _leaves(entries: Iterable[BundleEntry]) -> list[bytes]:
    """The SHA-256 of the officer's certificate (the first of the chain) of each key the entries
    register with certificates."""
    found: list[bytes] = []
    for entry in entries:
        statement = schema.parse(entry.statement, max_bytes=max(len(entry.statement), 1))
        if statement.kind == "key.registered" and "certificates" in statement.body:
            found.append(statement.body["certificates"][0])
    return found


def _side(ledger: Ledger, statement: Statement) -> SideObject:
    body = statement.body
    [der] = ledger.pki_objects([body["sha256"]], f"the {body['format'].upper()}")
    return SideObject(body["format"], der)


def _timestamps_of(
    lookup: Callable[[list[bytes]], dict[bytes, bytes]] | None, entries: Sequence[BundleEntry]
) -> tuple[Timestamp, ...]:
    """The RFC 3161 tokens kept for the entries (when a time-stamping authority is configured)."""
    if lookup is None:
        return ()
    tokens = lookup([hashlib.sha256(entry.statement).digest() for entry in entries])
    return tuple(Timestamp(digest, tokens[digest]) for digest in sorted(tokens))


def references(statement: Statement) -> Iterable[tuple[str, str]]:
    """The registry subjects a statement's validity depends on."""
    if statement.officer == AUTHORITY or statement.kind == "authority.established":
        yield ("authority", AUTHORITY)
    else:
        yield ("key", statement.key)
        yield ("officer", statement.officer)
        yield ("office", statement.office)
    body = statement.body
    for name, family in (
        ("procedure", "procedure"),
        ("to", "office"),
        ("parent", "office"),
        ("successor", "office"),
        ("officer", "officer"),
    ):
        value = body.get(name)
        if isinstance(value, str) and value:
            yield (family, value)
    if statement.kind in ("officer.enrolled", "officer.moved"):
        yield ("office", body["office"])
    for row in body.get("by_procedure", ()) if statement.family == "office" else ():
        yield ("office", row["successor"])


# --- verification -------------------------------------------------------------------------------


@dataclass
class BundleReport:
    dossier: str
    size: int = 0
    root: bytes = b""
    entries: int = 0
    witnesses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    view: Timeline | None = None
    replayed: Ledger | None = None
    # RFC 3161 tokens: (entry's log index, the time the TSA vouches for), once checked; or how
    # many the bundle carries that no TSA root was given to check
    timestamps: list[tuple[int, datetime]] = field(default_factory=list)
    unchecked_timestamps: int = 0
    # statements signed with a certificate the bundle withholds: their signatures verified with
    # the registered key, their chains not checked
    withheld_chains: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.view is not None


class _EntryClock:
    """The replay's clock: each entry is recorded at its own `recorded_at`."""

    def __init__(self) -> None:
        self.current = 0

    def now(self) -> int:
        return self.current


def verify_bundle(
    data: bytes,
    log_key: note.Verifier,
    witnesses: Sequence[note.Verifier] = (),
    *,
    anchors: str = "",
    check_token: Callable[[bytes, bytes], datetime] | None = None,
    revocation_required: bool = False,
) -> BundleReport:
    """Verify a bundle offline. Raises BadBundle if the file cannot be read as a bundle; every
    other problem is listed in the report (`ok` is False), naming the entry and what failed.
    Certificate signatures are validated against the root certificates in the directory
    `anchors` (the deployment's trust anchors), with the revocation data the bundle carries
    (`revocation_required`: which must speak for every certificate of a chain at its time)."""
    bundle = Bundle.decode(data)
    report = BundleReport(bundle.dossier)
    try:
        opened = note.open_note(bundle.checkpoint, [log_key])
        checkpoint = note.Checkpoint.parse(opened.text)
    except note.NoteError as problem:
        report.problems.append(f"checkpoint: {problem}")
        return report
    if checkpoint.origin != log_key.name:
        report.problems.append(
            f"checkpoint: its origin is {checkpoint.origin!r}, not the log {log_key.name!r}"
        )
    report.size, report.root = checkpoint.size, checkpoint.root
    for witness in witnesses:
        report.witnesses.extend(_cosigned(bundle.checkpoint, opened.text, witness, report))
    previous = -1
    for entry in bundle.entries:
        where = _where(entry)
        if entry.index <= previous:
            report.problems.append(f"{where}: entries are not in strictly increasing log order")
        previous = entry.index
        leaf = tlog.entry_leaf_hash(entry.statement, entry.signature, entry.recorded_at)
        try:
            merkle.verify_inclusion(
                leaf, entry.index, checkpoint.size, entry.proof, checkpoint.root
            )
        except merkle.ProofError as problem:
            report.problems.append(f"{where}: not in the log at this checkpoint: {problem}")
    if report.problems:
        return report
    _check_timestamps(bundle, report, check_token)
    if report.problems:
        return report
    _replay(bundle, report, anchors, revocation_required)
    return report


def _check_timestamps(
    bundle: Bundle, report: BundleReport, check_token: Callable[[bytes, bytes], datetime] | None
) -> None:
    """Each token names an entry of the bundle and, when the TSA's roots are given, holds for
    that entry's signature."""
    by_hash = {hashlib.sha256(entry.statement).digest(): entry for entry in bundle.entries}
    for number, item in enumerate(bundle.timestamps):
        entry = by_hash.get(item.statement)
        if entry is None:
            report.problems.append(
                f"bundle.timestamps[{number}]: names statement {item.statement.hex()[:16]}…, "
                f"which is not in the bundle"
            )
            continue
        if check_token is None:
            report.unchecked_timestamps += 1
            continue
        try:
            report.timestamps.append((entry.index, check_token(item.token, entry.signature)))
        except LedgerError as problem:
            report.problems.append(f"{_where(entry)}: its timestamp does not hold: {problem}")


def _cosigned(note_text: str, text: str, witness: note.Verifier, report: BundleReport) -> list[str]:
    parsed = note.parse_note(note_text)
    for signature in parsed.signatures:
        if signature.name == witness.name and signature.key_hash == witness.key_hash:
            try:
                note.verify_cosignature(signature, text, witness)
            except note.NoteError as problem:
                report.problems.append(f"checkpoint: {problem}")
                return []
            return [witness.name]
    report.problems.append(f"checkpoint: not cosigned by witness {witness.name}")
    return []


def _where(entry: BundleEntry) -> str:
    try:
        statement = schema.parse(entry.statement, max_bytes=max(len(entry.statement), 1))
    except LedgerError:
        return f"entry {entry.index + 1}"
    return f"entry {entry.index + 1} ({statement.kind} {statement.subject}, seq {statement.seq})"


def _replay(
    bundle: Bundle, report: BundleReport, anchors: str, revocation_required: bool
) -> None:
    clock = _EntryClock()
    ledger = Ledger(
        LedgerSettings(
            database_url="memory:",
            clock_tolerance_seconds=_TEN_YEARS,
            trust_anchors=anchors,
            revocation_required=revocation_required,
        ),
        clock=clock,
    )
    for item in bundle.pki:
        try:
            ledger.keep_pki(item.kind, item.der)
        except LedgerError as problem:
            report.problems.append(f"bundle.pki: {problem}")
            return
    ledger.withhold(bundle.withheld)
    if bundle.pki and not anchors:
        report.problems.append(
            "the bundle holds certificate signatures (official-duty certificates): give the "
            "directory of trusted root certificates to check their chains"
        )
        return
    for entry in bundle.entries:
        clock.current = entry.recorded_at
        try:
            ledger.record(entry.statement, entry.signature)
        except (LedgerError, DomainError) as problem:
            report.problems.append(f"{_where(entry)}: {problem}")
            return
        report.entries += 1
    report.withheld_chains = ledger.unchecked_chains
    try:
        report.view = timeline(ledger, bundle.dossier)
    except (LedgerError, DomainError) as problem:
        report.problems.append(
            f"the bundle holds no history of dossier {bundle.dossier}: {problem}"
        )
        return
    report.replayed = ledger
