"""The checks a statement passes before its kind's handler applies the domain rules.

Its `at` is within the tolerance of the ledger's clock; its signature verifies with its key, the
key was valid at `at` and belongs to the officer, the officer served in the office and the office
was active; a registry statement is signed by the authority or a registrar key; `seq` and `prev`
follow on from the subject's head, and a statement that begins a history begins a new one. A
statement already recorded — the same bytes, with the same signature or another valid one by its
key (RSA-PSS and ECDSA sign differently each time) — is a duplicate: its first receipt is given
back. `Checks` is a part of `Ledger` (a mixin): the registry is read through the ledger's `_get`,
which notes each subject read for the save to confirm (ledger/application.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import (
    DossierExists,
    KeyNotOfficer,
    NotAuthorised,
    RegistryConflict,
    UnknownKey,
)
from domain.instant import format_local, local_date
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.signed import SignedAggregate
from domain.statement import AUTHORITY, ZERO_HASH, Entry, Statement
from ledger.batch import Batch
from ledger.errors import BadField, ClockSkew, LedgerError, NotInitialised, StaleHead
from ledger.handlers import required
from ledger.receipts import Receipt, StoredEntry
from ledger.statements import signing

if TYPE_CHECKING:
    from ledger.config import LedgerSettings

A = TypeVar("A", bound=SignedAggregate)

# The kinds that begin a subject's history.
CREATING = {
    "dossier.received",
    "authority.established",
    "office.established",
    "officer.enrolled",
    "key.registered",
    "procedure.published",
    "revocation.recorded",
}
# The kinds that begin a history or, on a subject that has one, continue it.
BEGIN_OR_CONTINUE = {"procedure.published", "revocation.recorded"}


class Checks:
    if TYPE_CHECKING:  # provided by the Ledger this is mixed into
        settings: LedgerSettings
        verified: signing.VerifiedSignatures

        def _find(self, family: str, subject: str, *, copy: bool = False) -> Any: ...
        def _get(self, cls: type[A], family: str, subject: str) -> A: ...
        def _stored(self, family: str, subject: str, seq: int) -> StoredEntry: ...
        def _check_certificate(self, key: Key, statement: Statement) -> None: ...

    def _check_clock(self, statement: Statement, recorded_at: int) -> None:
        tolerance = self.settings.clock_tolerance_seconds * 1_000_000
        if abs(statement.at - recorded_at) > tolerance:
            raise ClockSkew(
                f"the statement is dated {format_local(statement.at)} but the ledger's clock reads "
                f"{format_local(recorded_at)}; at most {self.settings.clock_tolerance_seconds} s "
                f"apart is accepted — check the signing device's clock and sign again"
            )

    def _authenticate(self, entry: Entry) -> None:
        statement = entry.statement
        if statement.kind == "authority.established":
            public_key = statement.body["public_key"]
            if statement.key != signing.key_id(public_key):
                raise BadField(
                    f"statement.key {statement.key} is not the id of the public key "
                    f"it establishes ({signing.key_id(public_key)})"
                )
            signing.verify(public_key, entry.raw, entry.signature)
            return
        if statement.officer == AUTHORITY:
            self._authenticate_authority(entry)
            return
        key = self._get(Key, "key", statement.key)
        self.verified.verify(key.public_key, entry.raw, entry.signature)
        key.require_valid(statement.at)
        if key.certificates:
            self._check_certificate(key, statement)
        if key.officer != statement.officer:
            raise KeyNotOfficer(
                f"key {key.subject} belongs to officer {key.officer}, "
                f"not to officer {statement.officer}"
            )
        self._get(Officer, "officer", statement.officer).require_in(statement.office, statement.at)
        self._get(Office, "office", statement.office).require_active(local_date(statement.at))
        if statement.family != "dossier" and key.role != "registrar":
            raise NotAuthorised(
                f"key {key.subject} is an officer key; registry statements "
                f"({statement.kind}) need the authority key or a registrar key"
            )
        if statement.kind in ("key.registered", "authority.rotated") and (
            statement.kind == "authority.rotated" or statement.body["role"] == "registrar"
        ):
            raise NotAuthorised(
                f"{statement.kind} with role registrar or a new authority key "
                f"must be signed by the authority key itself"
            )

    def _authenticate_authority(self, entry: Entry) -> None:
        statement = entry.statement
        authority = self._find("authority", AUTHORITY)
        if not isinstance(authority, Authority):
            raise NotInitialised("this ledger has no authority yet: run `lienthong init`")
        public_key = authority.public_key(statement.key, statement.at)
        if public_key is None:
            raise UnknownKey(f"key {statement.key} has never been the authority key of this ledger")
        signing.verify(public_key, entry.raw, entry.signature)
        if statement.office != AUTHORITY:
            raise BadField(
                f"statements signed by the authority key name office {AUTHORITY!r}, "
                f"not {statement.office!r}"
            )
        if statement.family == "dossier":
            raise NotAuthorised(
                "the authority key signs registry statements only; dossier "
                "statements are signed by the acting officer"
            )

    def _find_duplicate(
        self, entry: Entry, current: SignedAggregate | None, batch: Batch
    ) -> Receipt | None:
        """The receipt of the same signed bytes, with the same signature or another valid one by
        the statement's key, if already recorded or accepted earlier in the batch."""
        statement = entry.statement
        if current is None or statement.seq > current.version:
            return None
        earlier = batch.entries.get((current.id, statement.seq))
        found = earlier or self._stored(statement.family, statement.subject, statement.seq)
        if found.raw != entry.raw:
            return None
        if found.signature != entry.signature and not self._signed_again(entry):
            return None
        return Receipt(
            statement.kind,
            statement.subject,
            statement.seq,
            entry.digest,
            found.recorded_at,
            duplicate=True,
        )

    def _signed_again(self, entry: Entry) -> bool:
        """The same statement signed once more by its key: RSA-PSS and ECDSA signatures differ
        each time, so a client that signs again to retry is answered as a retry."""
        statement = entry.statement
        if statement.officer == AUTHORITY or statement.kind == "authority.established":
            return False  # the authority's key is Ed25519: the same bytes sign the same
        key = self._find("key", statement.key)
        if not isinstance(key, Key):
            return False
        try:
            signing.verify(key.public_key, entry.raw, entry.signature)
        except LedgerError:
            return False
        return True

    def _check_head(self, entry: Entry, current: SignedAggregate | None) -> None:
        statement = entry.statement
        if current is None and statement.kind not in CREATING:
            required(current, entry)  # raises the family's Unknown… error
        seq, head = (current.version, current.head) if current is not None else (0, ZERO_HASH)
        if current is not None and statement.kind in CREATING - BEGIN_OR_CONTINUE:
            error = DossierExists if statement.family == "dossier" else RegistryConflict
            raise error(
                f"{statement.subject} already exists (its history has {seq} statements); "
                f"{statement.kind} begins a new one"
            )
        if statement.seq != seq + 1 or statement.prev != head:
            raise StaleHead(
                f"{statement.subject}: the statement was signed on seq {statement.seq - 1} "
                f"(prev {statement.prev.hex()[:16]}…) but the head is seq {seq} "
                f"(hash {head.hex()[:16]}…); re-sign with seq {seq + 1} and the current prev",
                subject=statement.subject,
                seq=seq,
                head=head,
            )
