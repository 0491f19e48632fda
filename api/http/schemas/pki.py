"""Wire models of the certificates, CRLs and OCSP responses kept beside the log (api/http/routes/pki.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

PkiKind = Literal["certificate", "crl", "ocsp"]


class PkiOut(BaseModel):
    """A DER object kept beside the log, as uploaded: what a statement names it by, and what the
    statement that names it needs."""

    sha256: str = Field(..., description="SHA-256 of the DER bytes, hex: the name statements use")
    kind: PkiKind
    size: int = Field(..., description="bytes")
    new: bool = Field(..., description="false: these bytes were kept already")
    key: Annotated[
        str | None,
        Field(
            description="a certificate: the key id of its public key (the subject of the "
            "key.registered that enrols it, when it is the officer's)"
        ),
    ] = None
    issuer: Annotated[
        str | None,
        Field(
            description="a CRL or OCSP response: the key id of the certificate authority that "
            "signed it, the subject of the revocation.recorded that records it"
        ),
    ] = None
    produced: Annotated[
        int | None,
        Field(
            description="a CRL's thisUpdate or an OCSP response's producedAt (microseconds): the "
            "revocation.recorded's body.produced"
        ),
    ] = None
    produced_iso: str | None = None
