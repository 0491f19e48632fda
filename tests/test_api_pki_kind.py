"""`GET /v1/pki/{sha256}` decides who may read an object by the kind it was kept as (the store's
`kind` column, ledger/log/storage/pki.py), never by guessing from the bytes: only what was kept as
a CRL or an OCSP response is public; a certificate, or any row of another kind, needs an
inspector's or a registrar's token."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.log.storage.pki import PkiStore
from tests.apiworld import Api, assert_problem
from tests.test_api_pki import HIERARCHY, get, open_pki_api, sha

# bytes that are neither a certificate nor a CRL: guessing from them once made them "ocsp", public
PERSONAL = b"\x30\x0bNguyen Van A"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with open_pki_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as opened:
        yield opened


def test_kind_of_reads_the_kind_kept() -> None:
    store = PkiStore("memory:")
    try:
        digest = store.put("certificate", PERSONAL, 1)
        assert store.kind_of(digest) == "certificate"
        assert store.kind_of(store.put("crl", b"\x30\x00", 1)) == "crl"
        assert store.kind_of(hashlib.sha256(b"never kept").digest()) is None
    finally:
        store.close()


def test_a_certificate_that_does_not_parse_is_still_not_public(api: Api) -> None:
    api.services.ledger.pki.put("certificate", PERSONAL, 1)
    assert_problem(get(api, sha(PERSONAL)), 401, "unauthenticated")
    assert_problem(get(api, sha(PERSONAL), "consumer"), 403, "forbidden")
    answer = get(api, sha(PERSONAL), "inspector")
    assert answer.status_code == 200, answer.text
    assert answer.content == PERSONAL
    assert answer.headers["content-type"] == "application/pkix-cert"
    assert answer.headers["cache-control"] == "private, no-store"


def test_a_row_of_an_unknown_kind_needs_a_token(api: Api) -> None:
    data = b"\x30\x03odd"
    with api.services.ledger.pki.transaction() as cursor:
        cursor.execute(
            "INSERT INTO lienthong_pki_objects (sha256, kind, der, added_at) VALUES (?, ?, ?, ?)",
            (hashlib.sha256(data).digest(), "attribute-certificate", data, 1),
        )
    assert_problem(get(api, sha(data)), 401, "unauthenticated")
    answer = get(api, sha(data), "registrar")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["cache-control"] == "private, no-store"


def test_a_certificate_kept_as_such_still_needs_a_token(api: Api) -> None:
    api.services.ledger.pki.put("certificate", HIERARCHY.ca.der, 1)
    assert_problem(get(api, sha(HIERARCHY.ca.der)), 401, "unauthenticated")
