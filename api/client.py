"""A Python client for the HTTP API that signs on the caller's side.

    client = Client("http://127.0.0.1:8000", token)
    key = SigningKey.load(Path("officer.key"))
    receipt = client.record(key, "handover.acknowledged", code, {"dispatch": ..., "documents": []})

`record` asks the server to prepare the canonical bytes, checks that they say what was asked (kind,
subject, signer, body) before signing them — a server cannot get a signature on anything else —
signs locally, and submits. A stale head (409) is prepared and signed again, once. Refusals raise
`ApiProblem` carrying the RFC 9457 body. `verify_dossier` fetches a dossier's audit bundle and
verifies it offline against the log's verifier key, trusting nothing the server says.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import httpx

from domain.statement import FILE_KINDS
from ledger.errors import BadEnvelope
from ledger.log.bundle import BundleReport, verify_bundle
from ledger.log.note import Verifier
from ledger.statements import schema
from ledger.statements.signing import Envelope


class OfficerKey(Protocol):
    """What signs for an officer of an office: a key file's key (SigningKey) or a key on a token
    (ledger/statements/pkcs11.py TokenKey)."""

    @property
    def office(self) -> str: ...

    @property
    def officer(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    def sign(self, statement: bytes) -> bytes: ...


class ApiProblem(Exception):
    """The server refused: `status`, and the problem details it sent."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        self.code = str(problem.get("code", ""))
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")


# statements that bring documents into the dossier: the server wants their files first


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text}
    return dict(problem) if isinstance(problem, dict) else {"detail": str(problem)}


class Client:
    def __init__(
        self,
        base_url: str = "",
        token: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30,
        files: Mapping[bytes, bytes] | None = None,
        lang: str | None = None,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if lang:  # the language of the problems' titles (Vietnamese unless asked)
            self.headers["Accept-Language"] = lang
        # local files by SHA-256: `submit` uploads those a statement lists before sending it
        self.files: dict[bytes, bytes] = dict(files or {})

    def close(self) -> None:
        self.http.close()

    # --- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.headers)
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiProblem(response.status_code, _problem_of(response))
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        query = {key: value for key, value in params.items() if value is not None}
        while True:
            page = self._json("GET", path, params=query)
            yield from page["items"]
            if page["next"] is None:
                return
            query["cursor"] = page["next"]

    # --- writes ------------------------------------------------------------------------------

    def prepare(
        self,
        key: OfficerKey,
        kind: str,
        subject: str,
        body: Mapping[str, Any],
        *,
        applicant: Mapping[str, str] | None = None,
        at: int | None = None,
    ) -> bytes:
        """The canonical bytes the server built, checked against what was asked."""
        request: dict[str, Any] = {
            "kind": kind,
            "subject": subject,
            "office": key.office,
            "officer": key.officer,
            "key": key.key_id,
            "body": _hexed(body),
        }
        if applicant is not None:
            request["applicant"] = dict(applicant)
        if at is not None:
            request["at"] = at
        prepared = self._json("POST", "/v1/statements/prepare", json=request)
        raw = base64.b64decode(prepared["statement"])
        _check_prepared(raw, key, kind, subject, body)
        return raw

    def attach(self, code: str, data: bytes | Iterator[bytes], sha256: bytes) -> dict[str, Any]:
        """Upload one file of a dossier (raw body, streamed if `data` is an iterator of pieces)
        under its SHA-256; the file as the server keeps it. Bytes it holds already: the same."""
        return dict(
            self._json(
                "PUT",
                f"/v1/dossiers/{code}/files/{sha256.hex()}",
                content=data,
                headers={**self.headers, "Content-Type": "application/octet-stream"},
            )
        )

    def fetch_file(self, code: str, sha256: bytes) -> Iterator[bytes]:
        """A dossier's file, piece by piece, checked against its SHA-256 on the way (ValueError
        at the end if the bytes are not the hash's: discard what was written)."""
        digest = hashlib.sha256()
        with self.http.stream(
            "GET", f"/v1/dossiers/{code}/files/{sha256.hex()}", headers=self.headers
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiProblem(response.status_code, _problem_of(response))
            for piece in response.iter_bytes():
                digest.update(piece)
                yield piece
        if digest.digest() != sha256:
            raise ValueError(f"the server sent bytes that are not {sha256.hex()}")

    def submit(self, envelope: Envelope) -> dict[str, Any]:
        """Record a signed statement; the receipt (also for an identical resubmission). Files it
        lists that this client holds (`files`) are uploaded first."""
        statement = schema.parse(envelope.statement)
        # an acknowledgement lists what arrived: only the statements that bring files upload them
        documents = (statement.body.get("documents") or ()) if statement.kind in FILE_KINDS else ()
        for document in documents:
            data = self.files.get(document["sha256"])
            if data is not None:
                self.attach(statement.subject, data, document["sha256"])
        return dict(
            self._json(
                "POST",
                "/v1/statements",
                json={
                    "statement": base64.b64encode(envelope.statement).decode(),
                    "signature": base64.b64encode(envelope.signature).decode(),
                },
            )
        )

    def record(
        self,
        key: OfficerKey,
        kind: str,
        subject: str,
        body: Mapping[str, Any],
        *,
        applicant: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Prepare, check, sign locally, submit; once more on a stale head."""
        for attempt in (1, 2):
            raw = self.prepare(key, kind, subject, body, applicant=applicant)
            try:
                return self.submit(Envelope(raw, key.sign(raw)))
            except ApiProblem as problem:
                if problem.code != "stale-head" or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # --- reads -------------------------------------------------------------------------------

    def location(self, code: str, as_of: str | None = None) -> dict[str, Any]:
        params = {"as_of": as_of} if as_of else {}
        return dict(self._json("GET", f"/v1/dossiers/{code}", params=params))

    def history(self, code: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/v1/dossiers/{code}/history", {}))

    def slip(self, code: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/dossiers/{code}/slip"))

    def stalls(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self._pages("/v1/stalls", filters))

    def inbox(self, office: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/v1/offices/{office}/inbox", {}))

    def events(self, after: int = 0) -> Iterator[dict[str, Any]]:
        return self._pages("/v1/events", {"cursor": str(after)})

    def checkpoint(self) -> str:
        return self._call("GET", "/v1/log/checkpoint").text

    def bundle(self, code: str) -> bytes:
        return self._call("GET", f"/v1/dossiers/{code}/bundle").content

    def lookup(self, code: str, secret: str) -> dict[str, Any]:
        return dict(self._json("POST", "/v1/public/lookup", json={"code": code, "secret": secret}))

    def applicant(self, code: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/dossiers/{code}/applicant"))

    def erase_applicant(self, code: str) -> None:
        self._call("DELETE", f"/v1/dossiers/{code}/applicant")

    def verify_dossier(self, code: str, log_verifier: Verifier) -> BundleReport:
        """Fetch the dossier's bundle and verify it offline: signatures, inclusion proofs, the
        checkpoint's signature by `log_verifier`, and the custody rules replayed."""
        return verify_bundle(self.bundle(code), log_verifier)


def _hexed(value: Any) -> Any:
    """A body for JSON: bytes as hex, as the API reads them."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {name: _hexed(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_hexed(item) for item in value]
    return value


def _check_prepared(
    raw: bytes, key: OfficerKey, kind: str, subject: str, body: Mapping[str, Any]
) -> None:
    """Refuse to sign bytes that do not say what was asked."""
    statement = schema.parse(raw)
    asked = {"kind": kind, "subject": subject, "officer": key.officer, "key": key.key_id}
    got = {
        "kind": statement.kind,
        "subject": statement.subject,
        "officer": statement.officer,
        "key": statement.key,
    }
    if asked != got or statement.office != key.office:
        raise BadEnvelope(f"the server prepared {got}, not what was asked ({asked}); not signed")
    wanted = schema.from_json(kind, _hexed(body))
    for name, value in wanted.items():
        if statement.body.get(name) != value:
            raise BadEnvelope(
                f"the server prepared body.{name} = {statement.body.get(name)!r}, not "
                f"{value!r}; not signed"
            )
