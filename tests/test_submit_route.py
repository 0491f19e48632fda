"""`POST /v1/statements` resolves its caller and encodes its receipt itself (not through FastAPI's
dependency solver and response model): what the solver and the model gave it must still hold —
the OpenAPI operation's security and receipt schema, the refusal of a missing or foreign
credential, the receipt's fields and status, and a bad base64 field named."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from api.http.schemas.statements import Recorded
from tests.apiworld import COMMUNE_OFFICER, Api, assert_problem, code_today, open_api
from tests.test_api_writes import COMMITTED, envelope_json, signed


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("submit-route")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


def test_the_operation_declares_the_bearer_token_and_the_receipt(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    operation = document["paths"]["/v1/statements"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/Recorded"}


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthenticated"),
        ("Basic Y2I6cGFzcw==", "unauthenticated"),
        ("Bearer", "unauthenticated"),
        ("Bearer not-a-token-of-this-server", "token-malformed"),
        ("Bearer lt1_00000000_" + "A" * 43, "token-unknown"),
    ],
    ids=["none", "basic", "empty-bearer", "malformed", "unknown"],
)
def test_a_missing_or_foreign_credential_is_401_and_records_nothing(
    api: Api, authorization: str | None, code: str
) -> None:
    size = api.services.ledger.log_size()
    envelope = signed(
        api, COMMUNE_OFFICER, "dossier.received", code_today(api.services, 801), COMMITTED
    )
    headers = {} if authorization is None else {"Authorization": authorization}

    response = api.http.post("/v1/statements", json=envelope_json(envelope), headers=headers)

    assert_problem(response, 401, code)
    assert api.services.ledger.log_size() == size


def test_the_receipt_is_the_recorded_model_with_201_then_200(api: Api) -> None:
    code = code_today(api.services, 802)
    envelope = signed(api, COMMUNE_OFFICER, "dossier.received", code, COMMITTED)
    headers = api.headers("officer")

    first = api.http.post("/v1/statements", json=envelope_json(envelope), headers=headers)
    again = api.http.post("/v1/statements", json=envelope_json(envelope), headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.headers["content-type"] == "application/json"
    receipt = Recorded.model_validate_json(first.content)  # every field, typed as documented
    assert (receipt.kind, receipt.subject, receipt.seq, receipt.duplicate) == (
        "dossier.received",
        code,
        1,
        False,
    )
    assert receipt.leaf_index == api.services.ledger.leaf_index("dossier", code, 1)
    assert receipt.recorded_at_iso is not None
    assert receipt.recorded_at_iso.endswith("+07:00")
    assert set(first.json()) == set(Recorded.model_fields)
    assert again.json() == {**first.json(), "duplicate": True}
    assert api.services.ledger.head("dossier", code)[0] == 1


@pytest.mark.parametrize("field", ["statement", "signature"])
def test_a_field_that_is_not_base64_is_named(api: Api, field: str) -> None:
    envelope = signed(
        api, COMMUNE_OFFICER, "dossier.received", code_today(api.services, 803), COMMITTED
    )
    body = envelope_json(envelope)
    body[field] = body[field][:-4] + "a=b="  # the base64 alphabet, padding in the middle
    size = api.services.ledger.log_size()

    response = api.http.post("/v1/statements", json=body, headers=api.headers("officer"))

    assert response.status_code in (400, 422), response.text
    assert "base64" in response.json()["detail"]
    assert api.services.ledger.log_size() == size
    assert base64.b64decode(envelope_json(envelope)[field], validate=True)
