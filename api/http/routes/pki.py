"""The certificates, CRLs and OCSP responses kept beside the log, by SHA-256.

A statement never holds them: `key.registered` names each certificate of a key's chain by its
SHA-256, `revocation.recorded` names a CRL or OCSP response the same way (ledger/log/storage/pki.py).
A registrar working from another computer uploads the DER bytes first (`PUT /pki/{sha256}`), then
submits the statement that names them. The upload is idempotent (the same bytes again: 200, kept
once), refused whole when the bytes are not their hash, not readable as the kind declared, or —
for revocation data — signed by no certificate authority this ledger knows (a trust anchor, or a
certificate kept here). Its answer gives what the statement needs: a certificate's key id; a CRL's
or OCSP response's issuing CA key id and when it was produced.

Reading (`GET /pki/{sha256}`): CRLs and OCSP responses are public, as their CAs publish them.
Certificates carry the officer's name, so they are served only to inspectors and registrars.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from api.http.access import Caller, ServicesDep, bearer, require
from api.http.problems import NotFound, Unauthenticated
from api.http.schemas.common import iso
from api.http.schemas.pki import PkiKind, PkiOut
from api.http.services import Services
from ledger.errors import BadCertificate, FileHashMismatch
from ledger.log.storage.pki import MAX_OBJECT_BYTES
from ledger.statements import certificates
from ledger.statements.certificates import Revocation

router = APIRouter(prefix="/pki", tags=["pki"])
MAX_BODY = MAX_OBJECT_BYTES  # an upload's cap (api/http/limits.py): the largest object kept
MEDIA_TYPES = {
    "certificate": "application/pkix-cert",  # RFC 2585
    "crl": "application/pkix-crl",
    "ocsp": "application/ocsp-response",  # RFC 6960
}
PUBLIC = ("crl", "ocsp")  # what certificate authorities publish; read without a token
BINARY = {"schema": {"type": "string", "format": "binary"}}
Sha256 = Annotated[
    str,
    Path(
        pattern="^[0-9a-f]{64}$",
        description="SHA-256 of the DER bytes, 64 lowercase hex digits",
        examples=["5c1d0b8a0b5e4f2d3c6a7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"],
    ),
]
Kind = Annotated[
    PkiKind,
    Query(description="what the bytes are: an X.509 certificate, a CRL or an OCSP response"),
]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@router.put(
    "/{sha256}",
    status_code=201,
    response_model=PkiOut,
    summary="Keep a DER certificate, CRL or OCSP response beside the log, under its SHA-256, "
    "before the statement that names it (registrars)",
    responses={200: {"description": "these bytes were kept already: nothing changed"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"the DER bytes, at most {MAX_OBJECT_BYTES} bytes",
            "content": {"application/octet-stream": BINARY},
        }
    },
)
async def upload(
    sha256: Sha256,
    kind: Kind,
    request: Request,
    response: Response,
    services: ServicesDep,
    token: Caller,
) -> PkiOut:
    require(token, "registrar")
    services.writable()
    der = await request.body()  # at most MAX_OBJECT_BYTES: api/http/limits.py
    kept, new = await run_in_threadpool(keep, services, kind, bytes.fromhex(sha256), der)
    if not new:
        response.status_code = 200
    return kept


def keep(services: Services, kind: PkiKind, expected: bytes, der: bytes) -> tuple[PkiOut, bool]:
    """Check and keep `der` (refused whole: nothing kept); what a statement naming it needs."""
    digest = hashlib.sha256(der).digest()
    if digest != expected:
        raise FileHashMismatch(
            f"the body's SHA-256 is {digest.hex()}, not {expected.hex()} as the path says"
        )
    if not der:
        raise BadCertificate(f"a {kind} is at least one byte; the body is empty")
    out = PkiOut(sha256=digest.hex(), kind=kind, size=len(der), new=True)
    if kind == "certificate":
        certificates.load_certificate(der)
        out.key = certificates.key_id_of(der)
    else:
        item = Revocation(kind, der)
        out.produced = certificates.produced_at(item)  # readable; an OCSP response that succeeded
        out.produced_iso = iso(out.produced)
        out.issuer = services.ledger.issuer_key_id(item)  # signed by a CA this ledger knows
    out.new = services.ledger.pki.get(digest) is None
    services.ledger.keep_pki(kind, der)
    return out, out.new


@router.get(
    "/{sha256}",
    summary="A certificate, CRL or OCSP response kept beside the log, as DER. CRLs and OCSP "
    "responses are public; a certificate (it names its officer) needs an inspector's or a "
    "registrar's token",
    response_class=Response,
    responses={
        200: {
            "description": "the DER bytes; Content-Type says which kind",
            "content": dict.fromkeys(MEDIA_TYPES.values(), BINARY),
        }
    },
    openapi_extra={"security": [{}]},  # a token is needed for certificates only
)
def download(sha256: Sha256, services: ServicesDep, credentials: Credentials) -> Response:
    digest = bytes.fromhex(sha256)
    kind = services.ledger.pki.kind_of(digest)  # the kind it was checked as when kept
    der = services.ledger.pki.get(digest)
    if kind is None or der is None:
        raise NotFound(f"no certificate, CRL or OCSP response with SHA-256 {sha256} is kept here")
    public = kind in PUBLIC  # anything else (a certificate names its officer) needs a token
    if not public:
        if credentials is None:
            raise Unauthenticated(
                "a certificate names its officer: send an inspector's or a registrar's token "
                "(Authorization: Bearer <token>)"
            )
        token = services.tokens_seen.authenticate(credentials.credentials, services.clock.now())
        require(token, "inspector", "registrar")
    return Response(
        der,
        media_type=MEDIA_TYPES.get(kind, "application/octet-stream"),
        headers={
            "ETag": f'"{sha256}"',
            # the bytes of a hash never change; a certificate is personal data: no shared cache
            "Cache-Control": "public, max-age=31536000, immutable"
            if public
            else "private, no-store",
            "Content-Disposition": f'attachment; filename="{sha256[:16]}.{_suffix(kind)}"',
        },
    )


def _suffix(kind: str) -> str:
    return {"certificate": "cer", "crl": "crl", "ocsp": "ors"}.get(kind, "der")
