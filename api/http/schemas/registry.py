"""Wire models of the registry (offices, officers, keys), of the transparency log (checkpoints,
proofs, the feed of entries) and of the caller's own token."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.certificate_info import KeyKind


class OfficeOut(BaseModel):
    id: str
    name: str
    level: str
    parent: str | None
    active: bool
    successor: str | None = None


class KeyOut(BaseModel):
    key: str
    officer: str
    role: str
    kind: KeyKind = Field(
        ...,
        description="how its statements are signed: an Ed25519 key, or the key of an "
        "official-duty certificate (RSA-PSS or ECDSA P-256)",
    )
    public_key: str = Field(
        ..., description="hex: 32 bytes (Ed25519) or a DER SubjectPublicKeyInfo (certificate key)"
    )
    certificates: list[str] = Field(
        default_factory=list,
        description="a certificate key: the SHA-256 (hex) of each certificate of its chain, the "
        "officer's first; each kept beside the log (GET /v1/pki/{sha256}); empty for Ed25519",
    )
    valid_from: int
    revoked_at: int | None
    valid_now: bool


class OfficerOut(BaseModel):
    id: str
    office: str | None
    title: str
    keys: list[KeyOut]


class CheckpointOut(BaseModel):
    size: int
    issued_at: int
    note: str


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class EventOut(BaseModel):
    """One log entry, for consumers following the log."""

    index: int = Field(..., description="its position in the log (leaf index); the feed's cursor")
    kind: str
    subject: str
    seq: int
    statement: str
    signature: str
    digest: str
    recorded_at: int
    recorded_at_iso: str | None


class CallerOut(BaseModel):
    token: str
    role: str
    office: str | None
    officer: str | None
    expires_at: int
