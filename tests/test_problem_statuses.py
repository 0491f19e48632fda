"""A refusal's HTTP status is part of the API: pinned here code by code, whichever class declares
it. Domain, ledger, store and API refusals share one base class carrying code, titles and status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from api.http import problems
from domain.errors import DomainError, Refusal
from ledger.errors import LedgerError
from ledger.stores.tokens import TokenRefused

# Every problem code whose status is not 422 (malformed input or a refused rule).
STATUSES = {
    "api-error": 400,
    "unauthenticated": 401,
    "token-expired": 401,
    "token-malformed": 401,
    "token-revoked": 401,
    "token-unknown": 401,
    "forbidden": 403,
    "cross-site-refused": 403,
    "not-found": 404,
    "unknown-applicant": 404,
    "applicant-exists": 409,
    "applicant-held": 409,
    "applicant-mismatch": 409,
    "already-rated": 409,
    "not-yet-decided": 409,
    "dossier-exists": 409,
    "no-dossier-code-left": 409,
    "stale-head": 409,
    "applicant-erased": 410,
    "file-erased": 410,
    "file-too-large": 413,
    "unsupported-media-type": 415,
    "rate-limited": 429,
    "applicant-unreadable": 500,
    "file-corrupted": 500,
    "not-initialised": 503,
    "read-only": 503,
    "unavailable": 503,
    "views-not-ready": 503,
}
# Subjects a URL names: absent is 404 on a read; in a statement they are a refused claim (422).
UNKNOWN_SUBJECTS = {
    "file-not-uploaded",
    "unknown-dossier",
    "unknown-key",
    "unknown-office",
    "unknown-officer",
    "unknown-procedure",
}


def every_refusal_class() -> list[type[Exception]]:
    for package in ("domain", "ledger", "api"):  # every module, so every subclass is defined
        for module in pkgutil.walk_packages(
            importlib.import_module(package).__path__, package + "."
        ):
            importlib.import_module(module.name)
    found: list[type[Exception]] = []
    pending: list[type[Exception]] = [DomainError, LedgerError, problems.ApiError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith(("domain", "ledger", "api"))]


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_every_problem_code_keeps_its_status(method: str) -> None:
    for cls in every_refusal_class():
        code = cls.code  # type: ignore[attr-defined]
        if code == "token-refused":  # the base of the token refusals; never raised itself
            continue
        expected = STATUSES.get(code, 422)
        if code in UNKNOWN_SUBJECTS and method in ("GET", "HEAD"):
            expected = 404
        assert problems.status_of(cls.__new__(cls), method) == expected, (code, method)  # type: ignore[arg-type]


def test_every_refusal_derives_from_one_base_carrying_code_titles_and_status() -> None:
    classes = every_refusal_class()
    assert {DomainError, LedgerError, problems.ApiError, TokenRefused} <= set(classes)
    for cls in classes:
        assert issubclass(cls, Refusal), cls
        assert cls.code, cls
        assert cls.title_vi, cls
        assert cls.title_en, cls
        assert 400 <= cls.status < 600, cls
        refusal = cls.__new__(cls)  # some take more than a message
        assert (refusal.title("vi"), refusal.title("en")) == (cls.title_vi, cls.title_en)
