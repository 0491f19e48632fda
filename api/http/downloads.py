"""Reading a dossier's files, the use case the JSON route (GET /v1/dossiers/<code>/files/<sha256>)
and the officer's page (GET /can-bo/tep/<code>/<sha256>, a scan opened from the inbox) share:
who may read them, the file checked whole before a byte is given out, and every download, served
or not, written to the access log an inspector reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from api.http.access import may_read_files
from api.http.services import Services
from api.http.writing import STEP
from domain.errors import UnknownDossier
from ledger.errors import FileCorrupted, FileErased, FileNotUploaded, LedgerError
from ledger.stores.files.streams import Download
from ledger.stores.tokens import Token


@dataclass(frozen=True)
class Opened:
    """A file ready to send: its checked bytes and the name its latest listing gave it (its
    SHA-256 in hex if no statement lists it yet)."""

    download: Download
    name: str


def may_read(services: Services, token: Token, code: str, uploaded_by: set[str | None]) -> bool:
    """Whether the caller may read the dossier's files (True), or only those its own office
    uploaded to a dossier not received yet (False); else the refusal: UnknownDossier for a
    dossier not received (to others it does not exist yet), Forbidden for one received."""
    try:
        services.ledger.dossier(code)
    except UnknownDossier:
        # files arrive before the receipt that lists them: until then they are their office's
        if token.role == "officer" and token.office in uploaded_by:
            return False
        raise
    may_read_files(token, code, services.inspector(), services.clock.now())
    return True


def listed_name(services: Services, code: str, digest: bytes) -> str:
    """The name the dossier's latest statement listing the file gives it; its hash if none."""
    name = digest.hex()
    for entry in services.ledger.history("dossier", code):
        for document in entry.statement.body.get("documents") or ():
            if document["sha256"] == digest:
                name = document["name"]
    return name


def open_file(services: Services, token: Token, code: str, digest: bytes) -> Opened:
    """The file `digest` of dossier `code` for `token`, checked whole and logged; the refusal
    (logged too) if the caller may not read it or it is missing, erased or corrupted."""
    now = services.clock.now()

    def log(outcome: str) -> None:
        if services.read_only:
            return  # a replica cannot write its log: downloads are served by the primary only
        services.files.log_access(
            (code, digest),
            now,
            office=token.office,
            officer=token.officer,
            token=token.id,
            outcome=outcome,
        )

    try:
        stored = services.files.stored(code, digest)
        may_read(services, token, code, {stored.office} if stored else set())
        opened = services.files.open(code, digest)
    except LedgerError as problem:
        log(
            {FileErased: "erased", FileCorrupted: "corrupted", FileNotUploaded: "missing"}.get(
                type(problem), "refused"
            )
        )
        raise
    except Exception:
        log("refused")
        raise
    log("served")
    return Opened(opened, listed_name(services, code, digest))


def in_steps(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The pieces joined into STEP bytes or so: the response fetches each from a worker thread."""
    pending = bytearray()
    for piece in pieces:
        pending += piece
        if len(pending) >= STEP:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)
