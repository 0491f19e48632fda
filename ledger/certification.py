"""The checks of official-duty certificates (chứng thư số công vụ), a part of `Ledger` (a mixin).

A statement signed with a certificate key holds only if its certificate names the office it acts
for and the chain validates at the statement's `at` against the deployment's trust anchors with
the revocation data recorded so far (ledger/statements/certificates.py). A key is registered with
a certificate only if the chain is kept beside the log, reads, is the key's, is short enough, names
the officer's office and validates at the key's `effective`. Revocation data is recorded only if
it is kept beside the log, reads, was made when the statement says, and is signed by the CA whose
key id is the statement's subject (a trust anchor or a certificate kept beside the log).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import OfficerNotInOffice
from domain.instant import format_local, local_date
from domain.office import Office
from domain.officer import Key, Officer
from domain.revocation import Revocations
from domain.signed import SignedAggregate
from domain.statement import Entry, Statement
from ledger.errors import (
    BadCertificate,
    BadField,
    CertificateOffice,
    CertificateOfficer,
)
from ledger.log.storage.pki import PkiStore
from ledger.statements import certificates, signing
from ledger.statements.certificates import CertificateValidation, Revocation

if TYPE_CHECKING:
    from ledger.config import LedgerSettings

A = TypeVar("A", bound=SignedAggregate)
KEPT_OBJECTS = 4096  # DER objects cached by hash (content-addressed, so never stale)


class CertificateChecks:
    if TYPE_CHECKING:  # provided by the Ledger this is mixed into
        settings: LedgerSettings
        _pki_read_only: bool

        def _find(self, family: str, subject: str, *, copy: bool = False) -> Any: ...
        def _get(self, cls: type[A], family: str, subject: str) -> A: ...

    _pki: PkiStore | None = None
    _validation: CertificateValidation | None = None
    _objects: dict[bytes, bytes] | None = None
    _named: set[tuple[bytes, str, int, Any]] | None = None  # (leaf, office, version, day) found
    # officers' certificates a bundle withholds (a bundle's replay only): the statements they
    # signed are checked against the registered key alone, and counted
    _withheld: frozenset[bytes] = frozenset()
    unchecked_chains = 0

    def withhold(self, digests: Sequence[bytes]) -> None:
        """Accept keys whose officer's certificate (first of the chain) is one of `digests`
        without checking their chains: for a bundle given to the public, which leaves them out."""
        self._withheld = frozenset(digests)

    @property
    def pki(self) -> PkiStore:
        """The certificates, CRLs and OCSP responses kept beside the log."""
        if self._pki is None:
            self._pki = PkiStore(self.settings.database_url, read_only=self._pki_read_only)
        return self._pki

    def keep_pki(self, kind: str, der: bytes) -> bytes:
        """Keep a certificate, CRL or OCSP response beside the log; returns its SHA-256."""
        if kind == "certificate":
            certificates.load_certificate(der)
        else:
            certificates.load_revocation(Revocation(kind, der))
        return self.pki.put(kind, der, self.clock_now())

    def clock_now(self) -> int:
        return int(self.clock.now())  # type: ignore[attr-defined]

    def certificate_validation(self) -> CertificateValidation:
        if self._validation is None:
            self._validation = CertificateValidation(
                certificates.load_anchors(self.settings.trust_anchors),
                self.settings.certificate_max_chain,
                require_revocation=self.settings.revocation_required,
            )
        return self._validation

    def pki_objects(self, digests: Sequence[bytes], what: str) -> list[bytes]:
        """The DER of each digest, in order: cached, else read from beside the log and checked to
        hash to its name (a changed byte is refused, never passed on)."""
        if self._objects is None:
            self._objects = {}
        found = {d: self._objects[d] for d in digests if d in self._objects}
        missing = [d for d in digests if d not in found]
        if missing:
            for digest, der in zip(missing, self.pki.require(missing, what), strict=True):
                if hashlib.sha256(der).digest() != digest:
                    raise BadCertificate(
                        f"the {what} kept beside the log as SHA-256 {digest.hex()} does not hash "
                        f"to it: it was changed after it was kept"
                    )
                found[digest] = der
                if len(self._objects) >= KEPT_OBJECTS:
                    self._objects.clear()
                self._objects[digest] = der
        return [found[d] for d in digests]

    def revocation_data(self, chain: Sequence[bytes]) -> tuple[Revocation, ...]:
        """The CRLs and OCSP responses recorded for the CAs of the chain and its trust anchors."""
        issuers = {certificates.key_id_of(der) for der in chain[1:]}
        issuers.update(
            certificates.key_id_of(der) for der in self.certificate_validation().anchors
        )
        found: list[Revocation] = []
        for issuer in sorted(issuers):
            recorded = self._find("revocation", issuer)
            if isinstance(recorded, Revocations):
                ders = self.pki_objects([d for _f, d, _p in recorded.items], "revocation data")
                found.extend(
                    Revocation(f, der) for (f, _d, _p), der in zip(recorded.items, ders, strict=True)
                )
        return tuple(found)

    def _check_certificate(self, key: Key, statement: Statement) -> None:
        """A statement signed with a certificate key: the certificate is the signing officer's,
        names the office, and its chain holds at `at`."""
        if key.officer != statement.officer:
            raise CertificateOfficer(
                f"key {key.subject} is the certificate of officer {key.officer}, not of officer "
                f"{statement.officer}"
            )
        if key.certificates[0] in self._withheld:
            self.unchecked_chains += 1
            return
        chain = self.pki_objects(list(key.certificates), "certificate")
        office = self._get(Office, "office", statement.office)
        self._require_names_office(chain[0], office, statement.at)
        self.certificate_validation().validate(chain, self.revocation_data(chain), statement.at)

    def _require_names_office(self, leaf: bytes, office: Office, at: int) -> None:
        day = local_date(at)
        if self._named is None:
            self._named = set()
        # an office's names on a day never change once recorded (renames take effect later)
        if (leaf, office.subject, office.version, day) in self._named:
            return
        # every name and agency identifier the office has had by then: a certificate issued
        # before a rename still names the same office
        names = [office.name_on(day)]
        names += [name for since, name in office.names if since <= day]
        names += [agency for since, agency in getattr(office, "agencies", []) if since <= day]
        if not certificates.names_office(leaf, names):
            raise CertificateOffice(
                f"the certificate of key names another office than office {office.subject} "
                f"({names[0]}) in its organisation (O) or units (OU) on {format_local(at)}: an "
                f"official-duty certificate signs only for the office it was issued to"
            )
        if len(self._named) >= KEPT_OBJECTS:
            self._named.clear()
        self._named.add((leaf, office.subject, office.version, day))

    def _check_enrolment(self, body: Mapping[str, Any], officer: Officer) -> None:
        """A key registered with a certificate chain (`key.registered` with `certificates`)."""
        if len(body["public_key"]) == signing.ED25519_KEY_BYTES:
            raise BadField(
                "body.public_key is 32 bytes, but a key registered with certificates is the DER "
                "SubjectPublicKeyInfo of the first certificate's key"
            )
        signing.certificate_public_key(body["public_key"])  # RSA ≥ 2048 bits or P-256
        if body["certificates"][0] in self._withheld:
            return  # a bundle for the public: the chain is not there to check
        chain = self.pki_objects(list(body["certificates"]), "certificate")
        certificates.check_registration(
            chain, body["public_key"], self.settings.certificate_max_chain
        )
        effective = body["effective"]
        office_id = officer.office_at(effective)
        if office_id is None:
            raise OfficerNotInOffice(
                f"officer {officer.subject} is in no office at {format_local(effective)}: a "
                f"certificate key is registered for an officer serving in the office it names"
            )
        self._require_names_office(chain[0], self._get(Office, "office", office_id), effective)
        self.certificate_validation().validate(chain, self.revocation_data(chain), effective)

    def _check_revocation_data(self, entry: Entry) -> None:
        """A `revocation.recorded`: the data kept, readable, made when it says, signed by the CA
        its subject names."""
        body = entry.statement.body
        [der] = self.pki_objects([body["sha256"]], f"the {body['format'].upper()}")
        item = Revocation(body["format"], der)
        made = certificates.produced_at(item)
        if made != body["produced"]:
            raise BadField(
                f"body.produced is {format_local(body['produced'])} but the "
                f"{body['format'].upper()} was made {format_local(made)}"
            )
        issuer = self._issuer_certificate(entry.statement.subject)
        certificates.check_issued_by(item, issuer)

    def issuer_key_id(self, item: Revocation) -> str:
        """The key id of the CA (a trust anchor or a certificate kept beside the log) that
        signed the CRL or OCSP response; BadCertificate when none did."""
        candidates = [
            *self.certificate_validation().anchors,
            *self.pki.all_certificates(),
        ]
        loaded = [certificates.load_certificate(der) for der in candidates]
        issuer = certificates.issuer_of(item, loaded)
        if issuer is None:
            raise BadCertificate(
                f"the {item.format.upper()} is signed by no trust anchor of this ledger and no "
                f"certificate kept beside its log"
            )
        return signing.key_id(signing.spki_of(issuer.public_key()))  # type: ignore[arg-type]

    def _issuer_certificate(self, issuer_key_id: str) -> bytes:
        for der in self.certificate_validation().anchors:
            if certificates.key_id_of(der) == issuer_key_id:
                return der
        for der in self.pki.all_certificates():
            if certificates.key_id_of(der) == issuer_key_id:
                return der
        raise BadCertificate(
            f"no trust anchor and no certificate kept beside the log has key id {issuer_key_id}: "
            f"a revocation.recorded names its issuing CA by the key id of the CA's public key"
        )
