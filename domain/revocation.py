"""Revocation data (CRLs and OCSP responses) a certificate authority published, as the ledger
recorded it: one subject per issuing CA, named by the key id of the CA's public key.

The bytes are kept beside the log and named here by their SHA-256, so that an audit years later
validates each certificate signature with exactly the revocation data the ledger had when it
recorded the statement. Each recording adds to the issuer's list; nothing is ever removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.signed import SignedAggregate, pin_topics
from domain.statement import Entry

FORMATS = ("crl", "ocsp")


class Revocations(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        # (format, SHA-256 of the DER, produced: the CRL's thisUpdate or OCSP producedAt)
        items: list[tuple[str, bytes, int]]

    class Started(SignedAggregate.Created):
        TOPIC = "lienthong.revocation.Started.v1"
        issuer: str
        format: str
        sha256: bytes
        produced: int

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = self.issuer
            aggregate.items = [(self.format, self.sha256, self.produced)]

    class Added(SignedAggregate.Event):
        TOPIC = "lienthong.revocation.Added.v1"
        format: str
        sha256: bytes
        produced: int

        def effect(self, aggregate: Any) -> None:
            aggregate.items.append((self.format, self.sha256, self.produced))

    @classmethod
    def start(cls, entry: Entry) -> Revocations:
        body = entry.statement.body
        return cls._start(
            cls.Started,
            entry,
            issuer=entry.statement.subject,
            format=body["format"],
            sha256=body["sha256"],
            produced=body["produced"],
        )

    def add(self, entry: Entry) -> None:
        body = entry.statement.body
        self._continue(
            self.Added, entry, format=body["format"], sha256=body["sha256"], produced=body["produced"]
        )

    def holds(self, sha256: bytes) -> bool:
        return any(digest == sha256 for _format, digest, _produced in self.items)


pin_topics(Revocations)
