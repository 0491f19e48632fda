"""Officers (cán bộ, công chức), their signing keys, and the ledger's authority.

An officer is enrolled in one office at a time and can move or leave; instants are microseconds.
A key belongs to one officer from `effective` until it is revoked: once a revocation is recorded,
nothing more signed with the key is accepted, whatever instant the statement carries (a statement
dated before the revocation's `effective`, signed later with a stolen key, is refused too); what
was recorded before the revocation stays valid. The authority's own key signs
registry statements; it can be rotated by a statement signed with the old key. Officer names are
not recorded: they are personal data, and statements carry none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import KeyNotValid, KeyRevoked, OfficerNotInOffice, RegistryConflict
from domain.instant import format_local
from domain.signed import SignedAggregate, pin_topics
from domain.statement import Entry

ROLES = ("officer", "registrar")


class Officer(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        # (since, office or None when the officer has left, title)
        postings: list[tuple[int, str | None, str]]

    class Enrolled(SignedAggregate.Created):
        TOPIC = "lienthong.officer.Enrolled.v1"
        officer: str
        office: str
        title: str
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = self.officer
            aggregate.postings = [(self.effective, self.office, self.title)]

    class Moved(SignedAggregate.Event):
        TOPIC = "lienthong.officer.Moved.v1"
        office: str
        title: str
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.postings.append((self.effective, self.office, self.title))

    class Left(SignedAggregate.Event):
        TOPIC = "lienthong.officer.Left.v1"
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.postings.append((self.effective, None, ""))

    @classmethod
    def enroll(cls, entry: Entry) -> Officer:
        body = entry.statement.body
        return cls._start(
            cls.Enrolled,
            entry,
            officer=entry.statement.subject,
            office=body["office"],
            title=body["title"],
            effective=body["effective"],
        )

    def move(self, entry: Entry) -> None:
        body = entry.statement.body
        self._require_after_last(body["effective"])
        if self.office_at(body["effective"]) == body["office"]:
            raise RegistryConflict(f"officer {self.subject} is already in office {body['office']}")
        self._continue(
            self.Moved,
            entry,
            office=body["office"],
            title=body["title"],
            effective=body["effective"],
        )

    def leave(self, entry: Entry) -> None:
        body = entry.statement.body
        self._require_after_last(body["effective"])
        if self.office_at(body["effective"]) is None:
            raise RegistryConflict(f"officer {self.subject} has already left")
        self._continue(self.Left, entry, effective=body["effective"])

    def office_at(self, at: int) -> str | None:
        office: str | None = None
        for since, where, _title in self.postings:
            if since <= at:
                office = where
        return office

    def title_at(self, at: int) -> str:
        title = ""
        for since, _where, what in self.postings:
            if since <= at:
                title = what
        return title

    def require_in(self, office: str, at: int) -> None:
        actual = self.office_at(at)
        if actual != office:
            where = f"in office {actual}" if actual else "in no office"
            raise OfficerNotInOffice(
                f"officer {self.subject} was {where} at {format_local(at)}, not in office {office}"
            )

    def _require_after_last(self, effective: int) -> None:
        last = self.postings[-1][0]
        if effective < last:
            raise RegistryConflict(
                f"officer {self.subject}: a change effective {format_local(effective)} comes before "
                f"the posting already effective {format_local(last)}"
            )


class Key(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        officer: str
        public_key: bytes
        role: str
        effective: int
        revoked: int | None  # the revocation's `effective` instant, once one is recorded
        revocation_recorded: int | None  # when the ledger recorded it
        # a key registered with an official-duty certificate: the SHA-256 of each certificate of
        # its chain, the officer's first (empty for a bare Ed25519 key)
        certificates: tuple[bytes, ...]

    class Registered(SignedAggregate.Created):
        TOPIC = "lienthong.key.Registered.v1"
        key: str
        officer: str
        public_key: bytes
        role: str
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = self.key
            aggregate.officer = self.officer
            aggregate.public_key = self.public_key
            aggregate.role = self.role
            aggregate.effective = self.effective
            aggregate.revoked = None
            aggregate.revocation_recorded = None
            aggregate.certificates = ()

    class Certified(Registered):
        """A key registered with an X.509 certificate chain (kept beside the log, by hash)."""

        TOPIC = "lienthong.key.Certified.v1"
        certificates: list[bytes]

        def effect(self, aggregate: Any) -> None:
            super().effect(aggregate)
            aggregate.certificates = tuple(self.certificates)

    class Revoked(SignedAggregate.Event):
        TOPIC = "lienthong.key.Revoked.v1"
        reason: str
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.revoked = self.effective
            aggregate.revocation_recorded = self.recorded_at

    @classmethod
    def register(cls, entry: Entry) -> Key:
        body = entry.statement.body
        fields: dict[str, Any] = {
            "key": entry.statement.subject,
            "officer": body["officer"],
            "public_key": body["public_key"],
            "role": body["role"],
            "effective": body["effective"],
        }
        if "certificates" in body:
            return cls._start(cls.Certified, entry, certificates=list(body["certificates"]), **fields)
        return cls._start(cls.Registered, entry, **fields)

    def revoke(self, entry: Entry) -> None:
        if self.revoked is not None:
            raise RegistryConflict(
                f"key {self.subject} was already revoked from {format_local(self.revoked)}"
            )
        body = entry.statement.body
        self._continue(self.Revoked, entry, reason=body["reason"], effective=body["effective"])

    def require_valid(self, at: int) -> None:
        """The key may sign a statement dated `at` now: effective by `at`, and no revocation
        recorded — whatever `at` is, so a key revoked cannot sign back-dated statements."""
        if self.revoked is not None:
            recorded = self.revocation_recorded
            raise KeyRevoked(
                f"key {self.subject} of officer {self.officer} was revoked from "
                f"{format_local(self.revoked)}"
                + (f" (recorded {format_local(recorded)})" if recorded is not None else "")
                + f"; nothing signed with it is accepted any more, whatever its date — this "
                f"statement is dated {format_local(at)}"
            )
        if at < self.effective:
            raise KeyNotValid(
                f"key {self.subject} is valid only from {format_local(self.effective)}; "
                f"the statement is dated {format_local(at)}"
            )


class Authority(SignedAggregate):
    """The ledger's root of trust: a sequence of keys, each valid until the next one's rotation."""

    if TYPE_CHECKING:  # set by the events; not dataclass fields
        keys: list[tuple[int, str, bytes]]  # (valid from, key id, public key)

    class Established(SignedAggregate.Created):
        TOPIC = "lienthong.authority.Established.v1"
        key: str
        public_key: bytes
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = "authority"
            aggregate.keys = [(self.effective, self.key, self.public_key)]

    class Rotated(SignedAggregate.Event):
        TOPIC = "lienthong.authority.Rotated.v1"
        key: str
        public_key: bytes
        effective: int

        def effect(self, aggregate: Any) -> None:
            aggregate.keys.append((self.effective, self.key, self.public_key))

    @classmethod
    def establish(cls, entry: Entry, key_id: str) -> Authority:
        body = entry.statement.body
        return cls._start(
            cls.Established,
            entry,
            key=key_id,
            public_key=body["public_key"],
            effective=entry.statement.at,
        )

    def rotate(self, entry: Entry, key_id: str) -> None:
        if any(known == key_id for _since, known, _pub in self.keys):
            raise RegistryConflict(f"key {key_id} has already served as the authority key")
        self._continue(
            self.Rotated,
            entry,
            key=key_id,
            public_key=entry.statement.body["public_key"],
            effective=entry.statement.at,
        )

    def public_key(self, key_id: str, at: int) -> bytes | None:
        """The authority public key with this id if it was the current authority key at `at`."""
        for index, (since, known, public) in enumerate(self.keys):
            until = self.keys[index + 1][0] if index + 1 < len(self.keys) else None
            if known == key_id:
                if since <= at and (until is None or at < until):
                    return public
                raise KeyNotValid(
                    f"authority key {key_id} was current from {format_local(since)}"
                    + (f" until {format_local(until)}" if until is not None else "")
                    + f", not at {format_local(at)}"
                )
        return None


pin_topics(Officer)
pin_topics(Key)
pin_topics(Authority)
