"""Every refusal is an RFC 9457 problem with a stable type, mapped in one place; never a 500 for
bad input; the OpenAPI document says what the server does."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from api.http import problems
from api.http.routes.oversight import Rule
from api.http.schemas import EXAMPLE_SIGNATURE, EXAMPLE_STATEMENT, LocationOut, LookupOut, Recorded
from domain.errors import DomainError
from ledger.errors import LedgerError
from ledger.statements import signing
from ledger.views.sla import RULES
from tests.apiworld import Api, assert_problem, open_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("api-problems")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


def every_error_class() -> list[type[Exception]]:
    found: list[type[Exception]] = []
    pending: list[type[Exception]] = [LedgerError, DomainError, problems.ApiError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_its_own_code_and_both_titles() -> None:
    classes = [
        cls for cls in every_error_class() if cls.__module__.startswith(("api", "ledger", "domain"))
    ]
    codes = [cls.code for cls in classes]  # type: ignore[attr-defined]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    for cls in classes:
        assert cls.title_vi, cls  # type: ignore[attr-defined]
        assert cls.title_en, cls  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_refusal_of_the_caller_maps_to_a_server_error(method: str) -> None:
    server_side = {
        "applicant-unreadable",
        "not-initialised",
        "unavailable",
        "api-error",
        "read-only",
        "views-not-ready",
        "file-corrupted",
    }
    for cls in every_error_class():
        if getattr(cls, "code", None) in server_side:
            continue
        problem = cls.__new__(cls)
        status = problems.status_of(problem, method)  # type: ignore[arg-type]
        assert 400 <= status < 500, (cls, status)


def test_an_unknown_subject_is_404_on_a_read_and_422_in_a_statement() -> None:
    from domain.errors import UnknownDossier

    assert problems.status_of(UnknownDossier("x"), "GET") == 404
    assert problems.status_of(UnknownDossier("x"), "POST") == 422


def test_the_stall_rules_the_api_accepts_are_the_inspectors() -> None:
    assert get_args(Rule) == RULES


def test_every_problem_type_is_described_at_its_address(api: Api) -> None:
    for code, (title_vi, _title_en) in problems.catalogue().items():
        page = api.http.get(f"/problems/{code}")
        assert page.status_code == 200, code
        assert title_vi in page.text or title_vi.replace("&", "&amp;") in page.text
        assert code in page.text
    missing = api.http.get("/problems/no-such-problem")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not-found"


def check_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = assert_problem(response, status, code)
    assert body["instance"] == response.request.url.path
    return body


def test_an_unknown_address_is_a_404_problem(api: Api) -> None:
    check_problem(api.http.get("/v1/nowhere"), 404, "no-such-resource")


def test_a_wrong_method_is_a_405_problem_naming_every_allowed_method(api: Api) -> None:
    response = api.http.put(
        "/v1/dossiers/000.00.01.H59-250602-0001/applicant", headers=api.headers("registrar")
    )
    check_problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "DELETE"}


def test_titles_follow_accept_language(api: Api) -> None:
    vi = check_problem(api.http.get("/v1/me"), 401, "unauthenticated")
    en = check_problem(
        api.http.get("/v1/me", headers={"Accept-Language": "en-GB,en;q=0.9"}),
        401,
        "unauthenticated",
    )
    assert vi["title"] == problems.Unauthenticated.title_vi
    assert en["title"] == problems.Unauthenticated.title_en


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\xff\xfe{not json", "application/json"),
        (b"", "application/json"),
        (b'{"statement": 5, "signature": []}', "application/json"),
        (b"\xc1", "application/msgpack"),
        (b"\x92\x01\x02", "application/msgpack"),
        (b"statement=AA", "application/x-www-form-urlencoded"),
    ],
)
def test_garbage_bodies_are_422_never_500(api: Api, content: bytes, content_type: str) -> None:
    for path in ("/v1/statements", "/v1/statements/prepare", "/v1/public/lookup"):
        response = api.http.post(
            path,
            content=content,
            headers={**api.headers("officer"), "Content-Type": content_type},
        )
        # a signed statement comes as JSON or msgpack: any other media type is refused as such
        unread = path == "/v1/statements" and "form" in content_type
        assert response.status_code == (415 if unread else 422), (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_every_operation_documents_its_problems_and_a_summary(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            if path.startswith("/v1"):
                statuses = set(operation["responses"])
                assert "422" in statuses or not operation.get("parameters"), where
                for status, response in operation["responses"].items():
                    if status.startswith(("4", "5")):
                        assert "application/problem+json" in response["content"], (where, status)


def test_the_write_bodies_carry_examples(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("PrepareRequest", "LookupRequest", "ApplicantDetails"):
        assert schemas[name].get("examples"), name
    submit = document["paths"]["/v1/statements"]["post"]["requestBody"]["content"]
    assert set(submit) == {"application/json", "application/msgpack"}
    [example] = submit["application/json"]["schema"]["examples"]
    assert set(example) == {"statement", "signature"}


def test_the_response_examples_are_valid_responses(api: Api) -> None:
    for model in (Recorded, LocationOut, LookupOut):
        [example] = model.model_json_schema()["examples"]
        assert model.model_validate(example).model_dump(mode="json") == example


def test_the_envelope_example_is_a_golden_vector_that_verifies() -> None:
    vectors = json.loads((Path(__file__).parent / "golden" / "vectors.json").read_text())
    [vector] = [v for v in vectors["vectors"] if v["name"] == "handover-dispatched"]
    raw = base64.b64decode(EXAMPLE_STATEMENT)
    assert raw.hex() == vector["statement"]
    signing.verify(bytes.fromhex(vector["public_key"]), raw, base64.b64decode(EXAMPLE_SIGNATURE))
