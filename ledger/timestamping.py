"""RFC 3161 timestamps of certificate statements' signatures: asked of a time-stamping authority
(TSA) once a statement signed with an official-duty certificate is recorded, checked, and kept
beside the log (ledger/stores/timestamps.py).

What is stamped is the signature: the request's message imprint is SHA-256 of the statement's
signature bytes, with a nonce, asking the TSA to include its certificate. A token is kept only
once it holds: the TSA granted it, its imprint is that hash and its nonce the request's, its CMS
signature verifies, and the TSA's certificate (extended key usage timeStamping, critical) chains
to one of the configured TSA roots at the token's genTime. The same check, `verify_token`, runs
offline on a kept token (in an audit bundle) with nothing but the roots.

A token proves that the signature existed at its genTime, by a third party's clock: what a
certificate signature needs to be checked long after (the certificate since expired or revoked).
Stamping never refuses nor undoes a recording: a TSA that is down or answers wrongly is logged, and
`lienthong timestamps catch-up` asks again for every certificate statement still without a token.
Ed25519 statements are not stamped; their signatures are integrity records, not legal signatures.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from domain.instant import from_datetime
from ledger.errors import BadTimestamp, TimestampUnavailable
from ledger.statements import schema
from ledger.statements.signing import ED25519_KEY_BYTES, statement_hash
from ledger.stores.timestamps import TimestampStore

if TYPE_CHECKING:
    from ledger.application import Ledger

log = logging.getLogger("lienthong.timestamps")

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 1 << 20  # a timestamp response is a few kilobytes
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
# PKIStatusInfo { status granted }: what wraps a kept token into a response to check it again
_GRANTED = bytes.fromhex("3003020100")


def is_certificate_key(public_key: bytes) -> bool:
    """Whether a registered public key is a certificate's (a DER SubjectPublicKeyInfo), whose
    statements are stamped, rather than a raw Ed25519 key."""
    return len(public_key) != ED25519_KEY_BYTES


def load_roots(path: str | Path) -> list[x509.Certificate]:
    """The TSA root certificates of a PEM file (one or more certificates), or of every PEM or DER
    file of a directory; ValueError naming the path if none can be read."""
    where = Path(path)
    files = sorted(p for p in where.iterdir() if p.is_file()) if where.is_dir() else [where]
    roots: list[x509.Certificate] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as problem:
            raise ValueError(f"cannot read the TSA root certificates {file}: {problem}") from None
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                roots.extend(x509.load_pem_x509_certificates(data))
            else:
                roots.append(x509.load_der_x509_certificate(data))
        except ValueError:
            raise ValueError(f"{file} holds no readable certificate (PEM or DER)") from None
    if not roots:
        raise ValueError(f"{where} holds no TSA root certificate")
    return roots


@dataclass(frozen=True)
class Stamp:
    token: bytes  # the DER TimeStampToken: a CMS ContentInfo of SignedData over a TSTInfo
    gen_time: datetime  # when the TSA says it stamped (UTC)


def verify_token(token: bytes, signature: bytes, roots: Sequence[x509.Certificate]) -> datetime:
    """The genTime of a timestamp token over SHA-256 of `signature`, checked offline against the
    TSA `roots`; BadTimestamp if it is not such a token, is for other bytes, its signature does
    not verify, or the TSA's certificate does not chain to a root (at genTime) or is not one for
    time-stamping."""
    body = _GRANTED + token
    response = _decode(b"\x30" + _der_length(len(body)) + body)
    if response is None or _token_of(response) != token:
        raise BadTimestamp("the bytes are not a timestamp token (a DER TimeStampToken)")
    return _check(response, signature, roots, nonce=None)


def _check(
    response: TimeStampResponse,
    signature: bytes,
    roots: Sequence[x509.Certificate],
    *,
    nonce: int | None,
) -> datetime:
    if not roots:
        raise BadTimestamp("no TSA root certificate is configured to check the token against")
    imprint = response.tst_info.message_imprint
    if imprint.hash_algorithm != SHA256_OID:
        raise BadTimestamp(
            f"the token's imprint is a {imprint.hash_algorithm.dotted_string} hash, not SHA-256"
        )
    if imprint.message != hashlib.sha256(signature).digest():
        raise BadTimestamp(
            "the token is for other bytes: its imprint is not SHA-256 of the signature"
        )
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify_message(response, signature)
    except VerificationError as problem:
        raise BadTimestamp(f"the token does not verify: {problem}") from None
    return response.tst_info.gen_time.astimezone(UTC)


def _decode(data: bytes) -> TimeStampResponse | None:
    """The response, if the bytes are one whose token (when it has one) reads too."""
    try:
        response = decode_timestamp_response(data)
        if response.status == PKIStatus.GRANTED:
            response.tst_info  # noqa: B018 (read now: a token that does not parse raises here)
    except Exception:  # the parser's errors: ValueError, and others on odd input
        return None
    return response


def _token_of(response: TimeStampResponse) -> bytes | None:
    try:
        return response.time_stamp_token()
    except Exception:  # a response without a token
        return None


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


class TimestampClient:
    """Asks a TSA for timestamp tokens over HTTP (RFC 3161 section 3.4) and checks each against
    the TSA `roots` before giving it back. Thread-safe; `close` (or `with`) ends its connections."""

    def __init__(
        self,
        url: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        roots: Sequence[x509.Certificate] = (),
    ) -> None:
        if not roots:
            raise ValueError("a TSA client needs the TSA's root certificates to check tokens")
        self.url = url
        self.roots = tuple(roots)
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def token_for(self, signature: bytes) -> bytes:
        """A checked token over SHA-256 of `signature`; TimestampUnavailable if the TSA gives
        none, BadTimestamp if what it gives does not hold."""
        return self.stamp(signature).token

    def stamp(self, signature: bytes) -> Stamp:
        """`token_for`, with the token's genTime."""
        request = (
            TimestampRequestBuilder()
            .data(signature)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        answer = self._post(request.as_bytes())
        response = _decode(answer)
        if response is None:
            raise TimestampUnavailable(
                f"{self.url} answered with bytes that are not a timestamp response"
            )
        if response.status != PKIStatus.GRANTED:
            said = "; ".join(response.status_string) or "no reason given"
            raise TimestampUnavailable(
                f"{self.url} refused the timestamp (status {response.status}: {said})"
            )
        if response.tst_info.nonce != request.nonce:
            raise BadTimestamp(f"{self.url} answered with a token for another request (nonce)")
        token = _token_of(response)
        if token is None:
            raise TimestampUnavailable(f"{self.url} granted the timestamp but sent no token")
        gen_time = _check(response, signature, self.roots, nonce=request.nonce)
        return Stamp(token, gen_time)

    def _post(self, query: bytes) -> bytes:
        try:
            with self._http.stream(
                "POST",
                self.url,
                content=query,
                headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
            ) as answer:
                if answer.status_code != 200:
                    raise TimestampUnavailable(f"{self.url} answered HTTP {answer.status_code}")
                body = bytearray()
                for chunk in answer.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise TimestampUnavailable(
                            f"{self.url} answered with more than {MAX_RESPONSE_BYTES:,} bytes"
                        )
                return bytes(body)
        except httpx.HTTPError as problem:
            raise TimestampUnavailable(f"{self.url} cannot be reached: {problem}") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TimestampClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# --- stamping what was recorded -----------------------------------------------------------------


@dataclass(frozen=True)
class Stamped:
    """What one round of stamping did: tokens kept now, statements that already had one, and
    those the TSA gave none for (statement hash, why), left for the next catch-up."""

    stamped: int = 0
    had: int = 0
    failed: tuple[tuple[bytes, str], ...] = field(default_factory=tuple)


def stamp_recorded(
    store: TimestampStore,
    client: TimestampClient,
    entries: Iterable[tuple[bytes, bytes]],
    *,
    now: int,
) -> Stamped:
    """For each recorded (statement hash, signature) without a token, ask the TSA for one and
    keep it (recorded at `now`). Never raises: whatever fails — the TSA, its token, the store — is
    logged, counted and left for `lienthong timestamps catch-up`; the recording stands either way,
    so this may run after a recording is saved, on its thread or any other."""
    wanted = list(dict.fromkeys((bytes(digest), bytes(signature)) for digest, signature in entries))
    try:
        kept = store.get_many(digest for digest, _ in wanted)
    except Exception as problem:
        log.exception("timestamps: the store cannot be read; %d statements left", len(wanted))
        return Stamped(failed=tuple((digest, f"store: {problem}") for digest, _ in wanted))
    stamped, had, failed = 0, 0, []
    for digest, signature in wanted:
        if digest in kept:
            had += 1
            continue
        try:
            stamp = client.stamp(signature)
        except (TimestampUnavailable, BadTimestamp) as problem:
            log.warning(
                "no timestamp for statement %s (asked again by `lienthong timestamps catch-up`): "
                "%s",
                digest.hex(),
                problem,
            )
            failed.append((digest, f"{problem.code}: {problem}"))
            continue
        except Exception as problem:  # the client failed unexpectedly: left for the catch-up
            log.exception("no timestamp for statement %s: asking the TSA failed", digest.hex())
            failed.append((digest, f"tsa: {type(problem).__name__}: {problem}"))
            continue
        try:
            fresh = store.put(digest, stamp.token, from_datetime(stamp.gen_time), now)
        except Exception as problem:  # the store: kept for the next catch-up all the same
            log.exception("timestamp for statement %s not kept", digest.hex())
            failed.append((digest, f"store: {problem}"))
            continue
        if fresh:
            stamped += 1
        else:  # another process kept one meanwhile
            had += 1
    return Stamped(stamped, had, tuple(failed))


def certificate_entries(ledger: Ledger) -> Iterator[tuple[bytes, bytes]]:
    """(statement hash, signature) of every recorded statement signed with a certificate key, in
    log order. The keys are learnt from the log's own key registrations as it is read."""
    certificate_keys: set[str] = set()
    for _position, event in ledger.read_log():
        if isinstance(event, Exception):  # an entry that does not decode: the audit's to report
            continue
        raw = bytes(event.raw)
        statement = schema.parse(raw, max_bytes=len(raw))
        if statement.kind == "key.registered" and is_certificate_key(
            bytes(statement.body["public_key"])
        ):
            certificate_keys.add(statement.subject)
        if statement.key in certificate_keys:
            yield statement_hash(raw), bytes(event.signature)


def catch_up(
    ledger: Ledger, store: TimestampStore, client: TimestampClient, *, now: int
) -> Stamped:
    """Stamp every certificate statement of the log that has no token yet."""
    return stamp_recorded(store, client, certificate_entries(ledger), now=now)
