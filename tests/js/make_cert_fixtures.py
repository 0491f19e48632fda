"""Generate the certificate-key fixtures of the browser's bundle check; prints JSON on stdout.

Run by hand from the repository root, once, when a fixture is added:

    .venv/bin/python -m tests.js.make_cert_fixtures > tests/js/cert-fixtures.json

tests/js/verify-cert.test.mjs (node) and tests/test_web_verify_certificates.py (Chromium) read the
file: never regenerate it to make a failing test pass.

Every key is fixed (tests/pki.py): officer-rsa (RSA 2048), the ECDSA P-256 key of "officer-ec",
weak (RSA 1024), an ECDSA P-384 key and an Ed25519 key written as a SubjectPublicKeyInfo (keys the
ledger does not take). Signatures are made by ledger.statements.signing (RSA-PSS is randomised:
the file pins one signature, which any verifier accepts) and checked here by `signing.verify`
before they are written, so the file holds only what the Python ledger accepts, or refuses by name.

- `keys`: each certificate key's DER SubjectPublicKeyInfo, its key id by `signing.key_id`, and
  what the ledger says of it (accepted, or the refusal's class).
- `signed`: a statement signed by each key.
- `bundles`: audit bundles (docs/log-format.md section 13) made directly of canonical statements,
  a Merkle tree and a checkpoint signed by a fixed log key: the authority's genesis, the
  key.registered of certificate keys (`public_key` the SPKI, `certificates` the SHA-256 of the
  leaf and subordinate CA certificates of tests/pki.py's hierarchy), and a dossier's statements
  signed with them. `sound` verifies in the browser; `weak` and `unsupported` hold an entry signed
  with a key the browser refuses by name. The key.registered statements are built without the
  schema's checks (the schema is what the ledger's own recording applies); the dossier
  statements pass them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from domain.statement import ZERO_HASH
from ledger.errors import LedgerError
from ledger.log import merkle, tlog
from ledger.log.bundle import Bundle, BundleEntry
from ledger.log.tlog import LogKey
from ledger.statements import canonical, schema, signing
from ledger.statements.signing import CertificateSigningKey, SigningKey
from tests.pki import Hierarchy, ec_key, rsa_key

AT = 1748826000000000  # 2025-06-02 08:00 in Vietnam
MINUTE = 60 * 1_000_000
DAY = 24 * 60 * MINUTE
RECORDED = AT + 30 * MINUTE  # every entry is recorded one second after the one before
OFFICE = "29266"
DOSSIER = "000.00.29.H59-250602-0007"
LOG_KEY = LogKey.from_seed(
    "test.lienthong.example/cert-log",
    hashlib.sha256(b"lienthong certificate fixtures log key").digest(),
)
AUTHORITY = SigningKey.from_seed(
    hashlib.sha256(b"lienthong certificate fixtures authority").digest()
)


class RawSigner:
    """A key the ledger does not take, signing as a token holding it would (for the fixtures of
    refusals: the browser must refuse the key itself, before any signature)."""

    def __init__(self, public_key: bytes, sign: Any) -> None:
        self.public_key = public_key
        self.key_id = signing.key_id(public_key)
        self.sign = sign


def p384() -> RawSigner:
    private = ec.derive_private_key(
        int.from_bytes(hashlib.sha256(b"test-ec-key:p384").digest(), "big"), ec.SECP384R1()
    )

    def sign(statement: bytes) -> bytes:
        der = private.sign(signing.SIGNING_PREFIX + statement, ec.ECDSA(hashes.SHA384()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(48, "big") + s.to_bytes(48, "big")

    return RawSigner(signing.spki_of(private.public_key()), sign)


def ed25519_spki() -> RawSigner:
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ed25519 as spki").digest())
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return RawSigner(spki, lambda statement: private.sign(signing.SIGNING_PREFIX + statement))


Signer = CertificateSigningKey | SigningKey | RawSigner


def statement(
    kind: str, subject: str, seq: int, prev: bytes, key: Signer, at: int, body: dict[str, Any]
) -> bytes:
    authority = key is AUTHORITY
    fields = {
        "v": 1,
        "kind": kind,
        "subject": subject,
        "seq": seq,
        "prev": prev,
        "office": "authority" if authority else OFFICE,
        "officer": "authority" if authority else f"cb-{OFFICE}",
        "key": key.key_id,
        "at": at,
        "body": body,
    }
    raw = canonical.encode(fields)
    if kind.startswith("dossier."):
        assert schema.parse(raw).kind == kind  # the dossier's statements are the ledger's own
    return raw


def bundle(signers: list[tuple[Signer, list[bytes]]]) -> tuple[bytes, int]:
    """A bundle of the genesis, each signer's key.registered (with its certificates' hashes)
    and a dossier.received then a dossier.extension_requested, each signed by the next signer
    (the last signer signs the rest). Returns the bundle and its size."""
    entries: list[tuple[bytes, bytes]] = []
    genesis = statement(
        "authority.established",
        "authority",
        1,
        ZERO_HASH,
        AUTHORITY,
        AT - DAY,
        {"public_key": AUTHORITY.public_key},
    )
    entries.append((genesis, AUTHORITY.sign(genesis)))
    for n, (key, certificates) in enumerate(signers):
        body: dict[str, Any] = {
            "officer": f"cb-{OFFICE}",
            "public_key": key.public_key,
            "role": "officer",
            "effective": AT - DAY + n * MINUTE,
        }
        if certificates:
            body["certificates"] = [hashlib.sha256(der).digest() for der in certificates]
        registered = statement(
            "key.registered", key.key_id, 1, ZERO_HASH, AUTHORITY, AT - DAY, body
        )
        entries.append((registered, AUTHORITY.sign(registered)))
    received = statement(
        "dossier.received",
        DOSSIER,
        1,
        ZERO_HASH,
        signers[0][0],
        AT,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": hashlib.sha256(b"certificate fixture applicant").digest(),
            "channel": "direct",
            "documents": [],
            "appointed": AT + 10 * DAY,
        },
    )
    entries.append((received, signers[0][0].sign(received)))
    extended = statement(
        "dossier.extension_requested",
        DOSSIER,
        2,
        signing.statement_hash(received),
        signers[-1][0],
        AT + 9 * DAY,
        {"reason": "Chờ xác minh thêm hồ sơ gốc.", "appointed": AT + 15 * DAY},
    )
    entries.append((extended, signers[-1][0].sign(extended)))
    leaves = [
        tlog.entry_leaf_hash(raw, signature, RECORDED + i * 1_000_000)
        for i, (raw, signature) in enumerate(entries)
    ]

    def fetch(ids: Any) -> list[bytes]:
        return [subtree(level, index) for level, index in ids]

    def subtree(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        return merkle.node_hash(subtree(level - 1, 2 * index), subtree(level - 1, 2 * index + 1))

    size = len(leaves)
    root = merkle.root(size, fetch)
    made = Bundle(
        dossier=DOSSIER,
        checkpoint=LOG_KEY.sign_checkpoint(size, root),
        entries=tuple(
            BundleEntry(
                index=i,
                statement=raw,
                signature=signature,
                recorded_at=RECORDED + i * 1_000_000,
                proof=tuple(merkle.inclusion_proof(i, size, fetch)),
            )
            for i, (raw, signature) in enumerate(entries)
        ),
    )
    for entry in made.entries:
        merkle.verify_inclusion(
            tlog.entry_leaf_hash(entry.statement, entry.signature, entry.recorded_at),
            entry.index,
            size,
            list(entry.proof),
            root,
        )
    return made.encode(), size


def verdict(public_key: bytes, raw: bytes, signature: bytes) -> str:
    """What the Python ledger says of the signature: 'ok' or the refusal's class name."""
    try:
        signing.verify(public_key, raw, signature)
    except LedgerError as problem:
        return type(problem).__name__
    return "ok"


def build() -> dict[str, Any]:
    pki = Hierarchy.build()
    rsa = CertificateSigningKey(rsa_key("officer-rsa"))
    ecdsa = CertificateSigningKey(ec_key("officer-ec"))
    weak = CertificateSigningKey(rsa_key("weak"))
    rsa_chain = pki.chain(
        pki.issue("officer-rsa", office="Thị trấn Càng Long", private=rsa.private)
    )
    ec_chain = pki.chain(
        pki.issue("officer-ec", office="Thị trấn Càng Long", private=ecdsa.private)
    )
    refused = {"p384": p384(), "ed25519-spki": ed25519_spki()}
    keys: dict[str, Any] = {}
    signed: list[dict[str, Any]] = []
    named: dict[str, Signer] = {"rsa": rsa, "ec": ecdsa, "weak": weak, **refused}
    for name, key in named.items():
        raw = statement(
            "dossier.withdrawn",
            DOSSIER,
            3,
            bytes(range(32)),
            key,
            AT,
            {"reason": f"Ký bằng {name}."},
        )
        signature = key.sign(raw)
        keys[name] = {"public_key": key.public_key.hex(), "key_id": key.key_id}
        said = verdict(key.public_key, raw, signature)
        expected = {"rsa": "ok", "ec": "ok", "weak": "WeakAlgorithm"}.get(name)
        assert expected is None or said == expected, (name, said)
        signed.append(
            {"signer": name, "statement": raw.hex(), "signature": signature.hex(), "python": said}
        )
    bundles: dict[str, Any] = {}
    for name, signers in {
        "sound": [(rsa, rsa_chain), (ecdsa, ec_chain)],
        "weak": [(rsa, rsa_chain), (weak, [])],
        "unsupported": [(ecdsa, ec_chain), (refused["p384"], [])],
    }.items():
        data, size = bundle(signers)  # type: ignore[arg-type]
        bundles[name] = {"bundle": data.hex(), "size": size, "last_key": signers[-1][0].key_id}
    return {
        "log_key": LOG_KEY.verifier.line(),
        "dossier": DOSSIER,
        "keys": keys,
        "signed": signed,
        "bundles": bundles,
    }


if __name__ == "__main__":
    print(json.dumps(build(), indent=2, ensure_ascii=False))
