"""Commands of registrars and operators for official-duty certificates (chứng thư số công vụ) and
the revocation data of their certificate authorities: here on the database, or through a server
with --server (the DER bytes uploaded first, then the statement prepared there, checked and signed
here, as `sign` and `submit` do).

lienthong certificate enrol OFFICER CHAIN… --key FILE [--role officer|registrar] [--effective ISO]
    keep the chain (PEM or DER files; one PEM file may hold it all) beside the log and record
    key.registered naming each certificate by its SHA-256; the ledger checks the chain
lienthong certificate show KEY_ID
    the key's chain (subjects, issuers, validity, fingerprints), its officer, and whether the
    chain holds now — the ledger's own validation, its refusal named when it does not
lienthong revocation add FILE --format crl|ocsp --key FILE
    keep a CRL or OCSP response and record revocation.recorded for the CA that signed it
lienthong revocation fetch KEY_ID --key FILE
    fetch the CRLs and OCSP responses the key's certificates name (CRL Distribution Points,
    Authority Information Access), check them and record them; an address that does not answer
    is named, and nothing is recorded

The signing key file (`--key`) is the authority's or a registrar's. Certificates carry the
officer's name: they are kept beside the log, never in a statement, and `show` prints them to
whoever can read the database (through a server, only inspectors and registrars read them).

Exit codes: 0 done; 1 refused by the ledger (or the server), a chain that does not hold now
(`show`), revocation data that cannot be fetched or is unusable (`fetch`); 2 input errors (bad
arguments, unreadable certificate, revocation or key files, a key without certificates).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from rich.markup import escape

from api.certificate_info import CertificateInfo, describe, key_kind, local_text
from api.cli.args import identifier, in_instant_range
from api.cli.serve import server_answers
from api.cli.shell import Options, err, fail, load_key, open_ledger, options_of, out
from api.client import ApiProblem, Client
from api.pki_fetch import (
    TIMEOUT,
    Fetched,
    RevocationUnavailable,
    fetch,
    ocsp_answer_problem,
    plan,
)
from api.texts import word
from domain.errors import DomainError, OfficerNotInOffice, RegistryConflict
from domain.instant import format_local, local_date
from ledger.application import Ledger, Receipt
from ledger.clock import SystemClock
from ledger.errors import (
    BadCertificate,
    BadEnvelope,
    CertificateOffice,
    LedgerError,
    MalformedStatement,
)
from ledger.statements import certificates, schema
from ledger.statements.authoring import Signer, record_revocation, register_certificate_key
from ledger.statements.certificates import Revocation
from ledger.statements.signing import Envelope, SigningKey, key_id, spki_of

certificate_app = typer.Typer(
    help="Chứng thư số công vụ / official-duty certificates.", no_args_is_help=True
)
revocation_app = typer.Typer(
    help="Danh sách thu hồi (CRL) và phản hồi OCSP / revocation data (CRLs, OCSP responses).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(certificate_app, name="certificate")
    app.add_typer(revocation_app, name="revocation")
    certificate_app.command("enrol")(enrol)
    certificate_app.command("show")(show)
    revocation_app.command("add")(add)
    revocation_app.command("fetch")(fetch_command)


WORDS: dict[str, tuple[str, str]] = {
    "key": ("Khóa", "Key"),
    "officer": ("Cán bộ", "Officer"),
    "role": ("vai trò", "role"),
    "subject": ("Chủ thể", "Subject"),
    "issuer": ("Cấp bởi", "Issuer"),
    "validity": ("Hiệu lực", "Valid"),
    "fingerprint": ("Dấu vân tay SHA-256", "SHA-256 fingerprint"),
    "serial": ("Số hiệu", "Serial"),
    "chain": ("Chuỗi chứng thư số ({n})", "Certificate chain ({n})"),
    "effective": ("Có hiệu lực từ", "In force from"),
    "key_revoked": ("Khóa đã bị thu hồi trong sổ đăng ký từ", "Revoked in the registry from"),
    "in_office": ("đơn vị hiện nay", "office now"),
    "no_office": ("hiện không thuộc đơn vị nào", "in no office now"),
    "ed25519": (
        "Khóa Ed25519, không có chứng thư số: chữ ký của khóa này là bản ghi toàn vẹn, không phải "
        "chữ ký số theo chứng thư số công vụ.",
        "An Ed25519 key, without a certificate: its signatures are integrity records, not "
        "signatures by an official-duty certificate.",
    ),
    "holds": (
        "Chuỗi chứng thư số hợp lệ vào lúc này ({at}), theo các điểm tin cậy và dữ liệu thu hồi "
        "sổ cái đang giữ.",
        "The certificate chain holds now ({at}) against this ledger's trust anchors and the "
        "revocation data it holds.",
    ),
    "fails": (
        "Chuỗi chứng thư số KHÔNG hợp lệ vào lúc này ({at})",
        "The certificate chain does NOT hold now ({at})",
    ),
    "produced": ("Lập lúc", "Produced"),
    "next_update": ("Lần cập nhật tiếp theo", "Next update"),
    "revoked_entries": ("Số chứng thư số bị thu hồi trong danh sách", "Certificates it revokes"),
    "ocsp_status": ("Trạng thái chứng thư số số hiệu {serial}", "Status of certificate {serial}"),
    "ocsp_revoked": ("ĐÃ BỊ THU HỒI từ {at}", "REVOKED from {at}"),
    "fetched": ("Đã lấy {what} từ {url}", "Fetched the {what} from {url}"),
    "already": (
        "{what} này đã được ghi nhận trước đó (SHA-256 {sha256})",
        "This {what} was recorded already (SHA-256 {sha256})",
    ),
    "nothing_recorded": ("Không ghi nhận gì.", "Nothing was recorded."),
    "no_address": (
        "Các chứng thư số của khóa {key} không ghi địa chỉ CRL (CRL Distribution Points) hay OCSP "
        "(Authority Information Access) nào dùng http:// hoặc https://: không có gì để lấy. Hãy "
        "lấy CRL từ tổ chức cấp và ghi bằng `lienthong revocation add`.",
        "The certificates of key {key} name no CRL (CRL Distribution Points) or OCSP (Authority "
        "Information Access) address over http:// or https://: nothing to fetch. Get the CRL "
        "from the certificate authority and record it with `lienthong revocation add`.",
    ),
    "no_issuer": (
        "Không hỏi OCSP cho chứng thư số {n} ({subject}): không có chứng thư số của tổ chức cấp "
        "(đặt LIENTHONG_TRUST_ANCHORS).",
        "No OCSP request for certificate {n} ({subject}): its issuer's certificate is not at "
        "hand (set LIENTHONG_TRUST_ANCHORS).",
    ),
    "not_certificate_key": (
        "Khóa {key} là khóa Ed25519, không đăng ký kèm chứng thư số: không có dữ liệu thu hồi "
        "nào để lấy.",
        "Key {key} is an Ed25519 key registered without a certificate: there is no revocation "
        "data to fetch.",
    ),
    "cannot_read": ("Không đọc được {path}: {reason}", "Cannot read {path}: {reason}"),
    "not_certificates": (
        "{path} không chứa chứng thư số X.509 (PEM hoặc DER): {reason}",
        "{path} holds no X.509 certificate (PEM or DER): {reason}",
    ),
    "not_revocation": (
        "{path} không phải {what} dạng DER hoặc PEM: {reason}",
        "{path} is not a {what} in DER or PEM: {reason}",
    ),
    "unusable_ocsp": (
        "Phản hồi OCSP trong {path} không dùng được: {reason}",
        "The OCSP response in {path} is unusable: {reason}",
    ),
    "bad_effective": (
        "--effective {text!r} không phải thời điểm ISO 8601 có múi giờ: {reason}",
        "--effective {text!r} is not an ISO 8601 time with a timezone: {reason}",
    ),
}
WHAT = {"crl": ("CRL", "CRL"), "ocsp": ("phản hồi OCSP", "OCSP response")}


def said(lang: str, name: str, **values: object) -> str:
    vi, en = WORDS[name]
    return (vi if lang == "vi" else en).format(**values)


def what(kind: str, lang: str) -> str:
    vi, en = WHAT[kind]
    return vi if lang == "vi" else en


class Role(StrEnum):
    officer = "officer"
    registrar = "registrar"


class Format(StrEnum):
    crl = "crl"
    ocsp = "ocsp"


SignerKey = Annotated[
    Path, typer.Option("--key", help="the signing key file: the authority's or a registrar's")
]
Server = Annotated[
    str | None,
    typer.Option(help="the API's address, e.g. http://127.0.0.1:8000; or set LIENTHONG_SERVER"),
]
Token = Annotated[
    str | None,
    typer.Option(help="a registrar's bearer token for --server; or set LIENTHONG_TOKEN"),
]
KeyId = Annotated[
    str, typer.Argument(metavar="KEY_ID", help="the key's id", callback=identifier("key"))
]


# --- reading the files given ----------------------------------------------------------------------


def _refuse(lang: str, name: str, **values: object) -> NoReturn:
    fail(BadCertificate(said(lang, name, **values)), lang, 2)


def _read(path: Path, lang: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        fail(BadEnvelope(said(lang, "cannot_read", path=path, reason=problem.strerror)), lang, 2)


def read_chain(paths: Sequence[Path], lang: str) -> list[bytes]:
    """The DER certificates in the files, in the order given (a PEM file may hold several, in
    its own order). Exit 2 naming a file that holds none, or that cannot be read."""
    chain: list[bytes] = []
    for path in paths:
        data = _read(path, lang)
        try:
            if b"-----BEGIN" in data:
                found = x509.load_pem_x509_certificates(data)
            else:
                found = [x509.load_der_x509_certificate(data)]
        except ValueError as problem:
            _refuse(lang, "not_certificates", path=path, reason=problem)
        chain.extend(c.public_bytes(serialization.Encoding.DER) for c in found)
    return chain


def read_revocation(path: Path, kind: str, lang: str) -> bytes:
    """The DER CRL (from DER or PEM) or OCSP response (DER) in `path`; exit 2 if it is not."""
    data = _read(path, lang)
    try:
        if kind == "crl":
            crl = (
                x509.load_pem_x509_crl(data)
                if b"-----BEGIN" in data
                else x509.load_der_x509_crl(data)
            )
            return crl.public_bytes(serialization.Encoding.DER)
        response = ocsp.load_der_ocsp_response(data)
    except ValueError as problem:
        _refuse(lang, "not_revocation", path=path, what=what(kind, lang), reason=problem)
    if response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL:
        unusable = ocsp_answer_problem(response)
        if unusable is not None:
            vi, en = unusable
            _refuse(lang, "unusable_ocsp", path=path, reason=vi if lang == "vi" else en)
    return data


def _effective(text: str | None, lang: str) -> int | None:
    if text is None:
        return None
    try:
        instant = schema.from_json("key.registered", {"effective": text})["effective"]
    except (ValueError, MalformedStatement) as problem:
        fail(BadEnvelope(said(lang, "bad_effective", text=text, reason=problem)), lang, 2)
    assert isinstance(instant, int)
    return in_instant_range(instant, "--effective", text, lang)


def _server(options: Options, server: str | None, token: str | None) -> tuple[str, str] | None:
    """(server, token) for the remote mode (--server or LIENTHONG_SERVER), else None."""
    chosen = server or options.environment.server
    return (chosen, token or options.environment.token or "") if chosen else None


# --- printing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """A receipt, from the ledger here or from a server."""

    duplicate: bool
    kind: str
    subject: str
    seq: int
    digest: str
    recorded_at: str

    @classmethod
    def of(cls, receipt: Receipt) -> Recorded:
        return cls(
            receipt.duplicate,
            receipt.kind,
            receipt.subject,
            receipt.seq,
            receipt.digest.hex(),
            format_local(receipt.recorded_at),
        )

    @classmethod
    def remote(cls, receipt: dict[str, Any]) -> Recorded:
        return cls(
            bool(receipt["duplicate"]),
            receipt["kind"],
            receipt["subject"],
            int(receipt["seq"]),
            receipt["digest"],
            str(receipt.get("recorded_at_iso") or receipt.get("recorded_at")),
        )

    def print(self, lang: str) -> None:
        status = word("duplicate" if self.duplicate else "recorded", lang)
        out.print(
            f"{status}: {self.kind} {self.subject} seq {self.seq} {self.digest} @ "
            f"{self.recorded_at}",
            markup=False,
        )


def print_certificate(info: CertificateInfo, lang: str, indent: str = "  ") -> None:
    for label, value in (
        ("subject", info.subject),
        ("issuer", info.issuer),
        ("serial", info.serial),
        ("validity", f"{local_text(info.not_before)} → {local_text(info.not_after)}"),
        ("fingerprint", info.sha256),
    ):
        out.print(f"{indent}{said(lang, label)}: {value}", markup=False)


def print_revocation(kind: str, der: bytes, lang: str) -> None:
    """What a CRL or OCSP response says, in a few lines."""
    item = Revocation(kind, der)
    loaded = certificates.load_revocation(item)
    out.print(f"  {what(kind, lang)} SHA-256: {hashlib.sha256(der).hexdigest()}", markup=False)
    if isinstance(loaded, x509.CertificateRevocationList):
        out.print(f"  {said(lang, 'issuer')}: {loaded.issuer.rfc4514_string()}", markup=False)
        out.print(f"  {said(lang, 'produced')}: {local_text(loaded.last_update_utc)}")
        if loaded.next_update_utc is not None:
            out.print(f"  {said(lang, 'next_update')}: {local_text(loaded.next_update_utc)}")
        out.print(f"  {said(lang, 'revoked_entries')}: {len(loaded)}")
        return
    if loaded.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return
    out.print(f"  {said(lang, 'produced')}: {local_text(loaded.produced_at_utc)}")
    # each answer it holds (a response of several answers is refused before it is recorded or
    # printed; its single-answer properties would raise on one)
    for answer in loaded.responses:
        status = answer.certificate_status.name
        if answer.certificate_status == ocsp.OCSPCertStatus.REVOKED and answer.revocation_time_utc:
            status = said(lang, "ocsp_revoked", at=local_text(answer.revocation_time_utc))
        serial = f"{answer.serial_number:x}"
        out.print(f"  {said(lang, 'ocsp_status', serial=serial)}: {status}", markup=False)


# --- the remote mode -------------------------------------------------------------------------------


class PkiClient(Client):
    """The API client with the side data's routes (api/http/routes/pki.py)."""

    def keep(self, kind: str, der: bytes) -> dict[str, Any]:
        """Upload `der` beside the server's log (again: the same answer, nothing changes)."""
        return dict(
            self._json(
                "PUT",
                f"/v1/pki/{hashlib.sha256(der).hexdigest()}",
                params={"kind": kind},
                content=der,
                headers={**self.headers, "Content-Type": "application/octet-stream"},
            )
        )

    def object(self, sha256: str) -> bytes:
        """A certificate, CRL or OCSP response kept beside the server's log, checked against its
        hash."""
        der = self._call("GET", f"/v1/pki/{sha256}").content
        if hashlib.sha256(der).hexdigest() != sha256:
            raise BadEnvelope(f"the server sent bytes that are not {sha256}")
        return der

    def key(self, key: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/registry/keys/{key}"))

    def record_signed(
        self, signer: SigningKey, kind: str, subject: str, body: dict[str, Any]
    ) -> Recorded:
        """Prepared by the server, checked and signed here, submitted."""
        raw = self.prepare(signer, kind, subject, body)
        return Recorded.remote(self.submit(Envelope(raw, signer.sign(raw))))


@contextmanager
def remote(options: Options, server: str, token: str) -> Iterator[PkiClient]:
    """A client of `server`; its refusals mapped to exit codes as `sign --server` maps them."""
    client = PkiClient(server, token, lang=options.lang)
    try:
        with server_answers(options, server):
            yield client
    except BadEnvelope as problem:
        fail(problem, options.lang, 2)
    finally:
        client.close()


# --- certificate enrol ----------------------------------------------------------------------------


def enrol(
    ctx: typer.Context,
    officer: Annotated[
        str,
        typer.Argument(
            metavar="OFFICER",
            help="the officer the certificate is issued to",
            callback=identifier("officer"),
        ),
    ],
    chain: Annotated[
        list[Path],
        typer.Argument(
            metavar="CHAIN…",
            help="the officer's certificate, then the CAs that issued it: PEM or DER files (one "
            "PEM file may hold the whole chain)",
        ),
    ],
    key: SignerKey,
    role: Annotated[Role, typer.Option(help="what the key may sign")] = Role.officer,
    effective: Annotated[
        str | None, typer.Option(help="ISO 8601 time with zone from which it signs (default: now)")
    ] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Enrol an official-duty certificate as an officer's key: keep its chain beside the log and
    record key.registered. The ledger checks the chain (order, trust anchor, validity, the
    officer's office named in it)."""
    options = options_of(ctx)
    lang = options.lang
    signing_key = load_key(key, lang)
    ders = read_chain(chain, lang)
    instant = _effective(effective, lang)
    leaf = describe(ders[0])
    remote_to = _server(options, server, token)
    if remote_to is not None:
        with remote(options, *remote_to) as client:
            public_key = _public_key(ders[0], lang)
            digests = [client.keep("certificate", der)["sha256"] for der in ders]
            recorded = client.record_signed(
                signing_key,
                "key.registered",
                key_id(public_key),
                {
                    "officer": officer,
                    "public_key": public_key,
                    "role": role.value,
                    "effective": instant if instant is not None else _now(),
                    "certificates": [bytes.fromhex(d) for d in digests],
                },
            )
    else:
        with open_ledger(options) as ledger:
            receipt = register_certificate_key(
                _signer(ledger, signing_key), officer, ders, role=role.value, effective=instant
            )
            recorded = Recorded.of(receipt)
    recorded.print(lang)
    public = _public_key(ders[0], lang)
    out.print(f"  {said(lang, 'key')}: {key_id(public)} ({key_kind(public)})", markup=False)
    out.print(
        f"  {said(lang, 'officer')}: {officer} ({said(lang, 'role')} {role.value})", markup=False
    )
    print_certificate(leaf, lang)
    out.print(f"  {said(lang, 'chain', n=len(ders))}", markup=False)


def _public_key(leaf: bytes, lang: str) -> bytes:
    try:
        return spki_of(certificates.load_certificate(leaf).public_key())  # type: ignore[arg-type]
    except (BadCertificate, TypeError, ValueError) as problem:
        fail(BadCertificate(str(problem)), lang, 2)


def _signer(ledger: Ledger, key: SigningKey) -> Signer:
    return Signer(ledger, key, key.officer, key.office)


def _now() -> int:
    return SystemClock().now()


# --- certificate show -----------------------------------------------------------------------------


def show(ctx: typer.Context, key: KeyId) -> None:
    """A key's certificate chain, its officer, and whether the chain holds now (the ledger's own
    validation, with its refusal named when it does not). Reads the database."""
    options = options_of(ctx)
    lang = options.lang
    with open_ledger(options) as ledger:
        found = ledger.key(key)  # UnknownKey: exit 1
        now = ledger.clock.now()
        officer = ledger.officer(found.officer)
        office_id = officer.office_at(now)
        kind = key_kind(found.public_key)
        out.print(f"{said(lang, 'key')}: {found.subject} ({kind})", markup=False)
        where = said(lang, "no_office")
        if office_id is not None:
            office = ledger.office(office_id)
            where = f"{said(lang, 'in_office')} {office_id} {office.name_on(local_date(now))}"
        out.print(
            f"{said(lang, 'officer')}: {found.officer} ({said(lang, 'role')} {found.role}; "
            f"{where})",
            markup=False,
        )
        out.print(f"{said(lang, 'effective')}: {format_local(found.effective)}")
        if found.revoked is not None:
            out.print(f"{said(lang, 'key_revoked')}: {format_local(found.revoked)}")
        if not found.certificates:
            out.print(said(lang, "ed25519"))
            return
        chain = ledger.pki_objects(list(found.certificates), "certificate")
        out.print(said(lang, "chain", n=len(chain)))
        for number, der in enumerate(chain, 1):
            out.print(f"  {number}.", markup=False)
            print_certificate(describe(der), lang, indent="     ")
        try:
            _holds(ledger, chain, office_id, now)
        except (LedgerError, DomainError) as problem:
            err.print(
                f"[bold red]{escape(said(lang, 'fails', at=format_local(now)))}[/]: "
                f"({problem.code}) {escape(problem.title(lang))}: {escape(str(problem))}"
            )
            raise typer.Exit(1) from None
        out.print(said(lang, "holds", at=format_local(now)))


def _holds(ledger: Ledger, chain: list[bytes], office_id: str | None, now: int) -> None:
    """What the ledger checks of a statement the key would sign now, as far as the certificate
    goes: its officer's office named in it, and the chain validated at `now` with the revocation
    data recorded."""
    if office_id is None:
        raise OfficerNotInOffice("the key's officer serves in no office now")
    office = ledger.office(office_id)
    day = local_date(now)
    names = [office.name_on(day)]
    agency = office.agency_on(day)
    if agency:
        names.append(agency)
    if not certificates.names_office(chain[0], names):
        raise CertificateOffice(
            f"the certificate names another office than office {office_id} ({names[0]}) in its "
            f"organisation (O) or units (OU)"
        )
    ledger.certificate_validation().validate(chain, ledger.revocation_data(chain), now)


# --- revocation add -------------------------------------------------------------------------------


def add(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="the CRL (DER or PEM) or OCSP response (DER)")
    ],
    format_: Annotated[Format, typer.Option("--format", help="crl or ocsp")],
    key: SignerKey,
    server: Server = None,
    token: Token = None,
    issuer: Annotated[
        list[Path] | None,
        typer.Option(
            help="the certificate of the CA that made it (PEM or DER), kept beside the log first: "
            "for a subordinate CA no enrolled chain has named yet (repeatable)"
        ),
    ] = None,
) -> None:
    """Record a CRL or an OCSP response of a certificate authority (a trust anchor, or a CA whose
    certificate is kept beside the log, or given with --issuer): kept beside the log, then
    revocation.recorded."""
    options = options_of(ctx)
    lang = options.lang
    signing_key = load_key(key, lang)
    kind = format_.value
    der = read_revocation(file, kind, lang)
    issuers = read_chain(issuer or [], lang)
    remote_to = _server(options, server, token)
    if remote_to is not None:
        with remote(options, *remote_to) as client:
            for certificate in issuers:
                client.keep("certificate", certificate)
            recorded = _record_remote(client, signing_key, kind, der)
    else:
        with open_ledger(options) as ledger:
            try:
                for certificate in issuers:
                    ledger.keep_pki("certificate", certificate)
            except LedgerError as problem:
                fail(problem, lang, 2)
            recorded = Recorded.of(record_revocation(_signer(ledger, signing_key), kind, der))
    recorded.print(lang)
    print_revocation(kind, der, lang)


def _record_remote(client: PkiClient, signing_key: SigningKey, kind: str, der: bytes) -> Recorded:
    kept = client.keep(kind, der)
    return client.record_signed(
        signing_key,
        "revocation.recorded",
        kept["issuer"],
        {"format": kind, "sha256": bytes.fromhex(kept["sha256"]), "produced": kept["produced"]},
    )


# --- revocation fetch -----------------------------------------------------------------------------


def fetch_command(
    ctx: typer.Context,
    key: KeyId,
    signer: SignerKey,
    server: Server = None,
    token: Token = None,
) -> None:
    """Fetch, check and record the revocation data a certificate key's chain names: the CRL at
    each certificate's CRL Distribution Points, an OCSP response from its Authority Information
    Access responder. If one cannot be had, the address is named and nothing is recorded."""
    options = options_of(ctx)
    lang = options.lang
    signing_key = load_key(signer, lang)
    remote_to = _server(options, server, token)
    if remote_to is not None:
        with remote(options, *remote_to) as client:
            found = client.key(key)
            chain = [client.object(digest) for digest in found.get("certificates", [])]
            anchors = certificates.load_anchors(options.settings.trust_anchors)
            items = _fetch_all(options, key, chain, anchors)
            for item in items:
                _announce(item, lang)
                try:
                    _record_remote(client, signing_key, item.format, item.der).print(lang)
                except ApiProblem as problem:
                    if problem.code != RegistryConflict.code:
                        raise
                    _already(item, lang)
        return
    with open_ledger(options) as ledger:
        chain = ledger.pki_objects(list(ledger.key(key).certificates), "certificate")
        items = _fetch_all(options, key, chain, ledger.certificate_validation().anchors)
        for item in items:
            _announce(item, lang)
            try:
                receipt = record_revocation(_signer(ledger, signing_key), item.format, item.der)
            except RegistryConflict:
                _already(item, lang)
                continue
            Recorded.of(receipt).print(lang)


def _fetch_all(
    options: Options, key: str, chain: list[bytes], anchors: Sequence[bytes]
) -> list[Fetched]:
    """Everything the chain names, fetched and checked before anything is recorded; exit 2 for
    a key without certificates, 1 when the chain names nothing or an address fails."""
    lang = options.lang
    if not chain:
        err.print(
            f"[bold red]{word('error', lang)}[/] {escape(said(lang, 'not_certificate_key', key=key))}"
        )
        raise typer.Exit(2)
    asked = plan(chain, anchors)
    for index, certificate in asked.skipped:
        err.print(
            said(lang, "no_issuer", n=index + 1, subject=certificate.subject.rfc4514_string()),
            markup=False,  # a subject may hold brackets
        )
    if not asked.asks:
        err.print(f"[bold red]{word('error', lang)}[/] {escape(said(lang, 'no_address', key=key))}")
        raise typer.Exit(1)
    try:
        # a redirect is not followed: fetch() names the address as unusable
        with httpx.Client(follow_redirects=False, timeout=TIMEOUT) as http:
            return fetch(chain, anchors, http)
    except RevocationUnavailable as problem:
        err.print(f"[bold red]{word('error', lang)}[/] {escape(problem.said(lang))}")
        err.print(said(lang, "nothing_recorded"))
        raise typer.Exit(1) from None


def _announce(item: Fetched, lang: str) -> None:
    out.print(said(lang, "fetched", what=what(item.format, lang), url=item.url), markup=False)
    print_revocation(item.format, item.der, lang)


def _already(item: Fetched, lang: str) -> None:
    out.print(
        said(
            lang,
            "already",
            what=what(item.format, lang),
            sha256=hashlib.sha256(item.der).hexdigest(),
        ),
        markup=False,
    )
