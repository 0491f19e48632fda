"""An office's seal for the signed control slip (api/seal.py, api/slip_pdf.py), from the test
hierarchy (tests/pki.py): the seal's official-duty certificate for the fixed key `seal`, written
as a PKCS#12 file and as PEM files with a passphrase; and what a reader of the PDF checks — the
signature by pyHanko's validator against the hierarchy's root, the text (pypdf), and the QR code's
modules compared with the verification address's."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from api.settings import SealSettings
from tests.pki import Hierarchy, Issued, rsa_key

PASSWORD = "mat-khau-con-dau"  # noqa: S105 — the seal files' passphrase (LIENTHONG_SEAL_PASSWORD)
OFFICE = "Ủy ban nhân dân xã Càng Long"  # the seal's office, in its certificate's O and CN
PUBLIC_URL = "https://lienthong.example.vn"


@dataclass(frozen=True)
class SealFiles:
    """The seal's files in `directory`: seal.p12 (key, certificate and the subordinate CA's),
    seal-key.pem (encrypted), seal.pem, ca.pem; and the hierarchy whose root is trusted."""

    hierarchy: Hierarchy
    seal: Issued
    directory: Path

    @property
    def p12(self) -> Path:
        return self.directory / "seal.p12"

    @property
    def key(self) -> Path:
        return self.directory / "seal-key.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "seal.pem"

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    def settings(self, password: str = PASSWORD) -> SealSettings:
        """The server's seal: the PKCS#12 file."""
        return SealSettings(p12=str(self.p12), password=password)

    def roots(self) -> list[bytes]:
        return [self.hierarchy.root.der]


def seal_files(directory: Path, *, label: str = "seal", **issue: Any) -> SealFiles:
    """The seal of OFFICE, its key the fixed RSA key `seal`, issued by the test hierarchy (with
    `issue`'s changes: not_after=… for an expired one), written to `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    hierarchy = Hierarchy.build()
    seal = hierarchy.issue(label, office=OFFICE, common=OFFICE, private=rsa_key("seal"), **issue)
    secret = serialization.BestAvailableEncryption(PASSWORD.encode())
    files = SealFiles(hierarchy, seal, directory)
    files.p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", seal.private, seal.certificate, [hierarchy.ca.certificate], secret
        )
    )
    files.key.write_bytes(
        seal.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, secret
        )
    )
    files.cert.write_bytes(seal.certificate.public_bytes(serialization.Encoding.PEM))
    files.ca.write_bytes(hierarchy.ca.certificate.public_bytes(serialization.Encoding.PEM))
    return files


def validated(pdf: bytes, roots: list[bytes]) -> Any:
    """pyHanko's verdict on the PDF's one signature, its root trusted only if among `roots`
    (DER); no fetching, revocation not required (the test CA publishes none)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (embedded,) = reader.embedded_signatures
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    return validate_pdf_signature(embedded, context)


def sub_filter(pdf: bytes) -> str:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (embedded,) = reader.embedded_signatures
    return str(embedded.sig_object["/SubFilter"])


def embedded_certificates(pdf: bytes) -> list[bytes]:
    """The DER certificates the signature carries."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (embedded,) = reader.embedded_signatures
    return [each.chosen.dump() for each in embedded.signed_data["certificates"]]


def text_of(pdf: bytes) -> str:
    """The words of every page, as a reader copies them."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def qr_matches(pdf: bytes, url: str) -> bool:
    """Whether the first page's image is the QR code of `url` (api/slip_pdf.qr_png: scale 8,
    border 2): each module's centre dark exactly where the code's module is."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    (image,) = page.images
    picture = image.image
    assert picture is not None
    grey = picture.convert("L")
    matrix = segno.make(url, error="m").matrix
    size = len(matrix)
    if grey.size != ((size + 4) * 8, (size + 4) * 8):
        return False
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            pixel = grey.getpixel(((column + 2) * 8 + 4, (row + 2) * 8 + 4))
            assert isinstance(pixel, int)
            if (pixel < 128) != bool(dark):
                return False
    return True
