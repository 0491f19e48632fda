"""Every request body has a size cap, enforced while it is read: a 100 MB body to the public lookup
(no token needed) had been read whole and parsed. A declared length over the cap is refused before
a byte is read; a chunked body is refused at the first chunk that passes it; either way the answer
is a 413 problem and the route never runs (nothing parsed, rate limited or recorded). Statements
get a larger cap from the statement size; file uploads keep their own (LIENTHONG_MAX_FILE_MB)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.http import limits
from api.settings import Settings, SettingsError
from tests.apiworld import Api, assert_problem, open_api

KIB = 1024


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("body-limit")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


# --- the middleware on its own: what it reads, what it answers -----------------------------------


class Exchange:
    """One request through BodyCap to a route (as the router has chosen it, named in the scope):
    the chunks the client sends, how many were read, what the route got, how it was refused."""

    def __init__(self, chunks: list[bytes], headers: dict[str, str], cap: int | None) -> None:
        self.chunks = chunks  # a chunk may stand for many: see Endless
        self.headers = headers
        self.reads = 0
        self.route_got: list[Message] | None = None
        self.refused: HTTPException | None = None
        self.endpoint = _Endpoint(self)
        caps: dict[Any, int | None] = {} if cap is not None else {self.endpoint: None}
        self.app = limits.BodyCap(self.endpoint, caps=caps, default=cap or 40)

    async def receive(self) -> Message:
        self.reads += 1
        if self.reads > len(self.chunks):
            return {"type": "http.disconnect"}
        more = self.reads < len(self.chunks)
        return {"type": "http.request", "body": self.chunks[self.reads - 1], "more_body": more}

    async def send(self, message: Message) -> None:
        pass

    def run(self) -> Exchange:
        scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": "/capped",
            "headers": [(k.encode(), v.encode()) for k, v in self.headers.items()],
            "endpoint": self.endpoint,  # as the router leaves it
        }
        try:
            asyncio.run(self.app(scope, self.receive, self.send))
        except HTTPException as refusal:
            self.refused = refusal
        return self


class _Endpoint:
    """A raw ASGI route that reads its whole body and keeps what it got."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        got = [await receive()]
        while got[-1].get("more_body"):
            got.append(await receive())
        self.exchange.route_got = got


class Endless(list[bytes]):
    """The same chunk `count` times, without holding `count` references."""

    def __init__(self, chunk: bytes, count: int) -> None:
        super().__init__([chunk])
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: Any) -> Any:
        return super().__getitem__(0)


def test_refuses_a_declared_length_over_the_cap_without_reading_the_body() -> None:
    done = Exchange([b"x" * 16] * 100, {"content-length": "1600"}, cap=40).run()
    assert done.reads == 0
    assert done.route_got is None
    assert done.refused is not None
    assert done.refused.status_code == 413
    assert done.refused.headers == {"Connection": "close"}
    assert done.refused.detail == "the body is 1600 bytes; POST /capped accepts at most 40 bytes"


def test_refuses_a_chunked_body_at_the_first_chunk_over_the_cap() -> None:
    hundred_megabytes = Endless(b"x" * 16, 6_250_000)
    done = Exchange(hundred_megabytes, {"transfer-encoding": "chunked"}, cap=40).run()
    assert done.reads == 3  # 16, 32, 48 > 40: the rest of the 100 MB is never read
    assert done.route_got is None
    assert done.refused is not None
    assert done.refused.status_code == 413
    assert done.refused.detail == "the body passed 40 bytes; POST /capped accepts at most 40 bytes"


def test_hands_a_body_within_the_cap_to_the_route() -> None:
    done = Exchange([b"a" * 10, b"b" * 10, b"c" * 20], {"content-length": "40"}, cap=40).run()
    assert done.refused is None
    assert done.route_got is not None
    assert b"".join(m["body"] for m in done.route_got) == b"a" * 10 + b"b" * 10 + b"c" * 20


def test_leaves_a_route_that_caps_its_own_body_alone() -> None:
    done = Exchange([b"x" * 16] * 10, {"content-length": "160"}, cap=None).run()
    assert done.refused is None
    assert done.route_got is not None
    assert sum(len(m["body"]) for m in done.route_got) == 160


# --- the server's routes ---------------------------------------------------------------------------


def big_lookup(size: int) -> bytes:
    return json.dumps({"code": "000.00.01.H59-250602-0001", "secret": "x" * size}).encode()


def test_the_public_lookup_refuses_a_large_body_with_413_in_the_callers_language(api: Api) -> None:
    for lang, title in (("vi", "Nội dung gửi lên quá lớn"), ("en", "Request body too large")):
        response = api.http.post(
            "/v1/public/lookup",
            content=big_lookup(1024 * KIB),
            headers={"Content-Type": "application/json", "Accept-Language": lang},
        )
        problem = assert_problem(response, 413, "too-large")
        assert problem["title"] == title
        assert "accepts at most 65536 bytes" in problem["detail"]


def test_a_refused_body_is_not_counted_by_the_lookups_rate_limit(api: Api) -> None:
    for _ in range(60):  # more than any per-minute allowance of the lookup
        response = api.http.post(
            "/v1/public/lookup",
            content=big_lookup(100 * KIB),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
    response = api.http.post(
        "/v1/public/lookup",
        json={"code": "000.00.01.H59-250602-0001", "secret": "AAAA-BBBB-CC"},
    )
    assert response.status_code == 404, response.text


def test_statements_take_the_larger_cap_of_a_signed_statement(api: Api) -> None:
    cap = limits.statement_body_bytes(api.services.settings)
    assert cap > api.services.settings.max_body_bytes
    within = json.dumps({"statement": "A" * (cap - 1024), "signature": "AA=="}).encode()
    over = json.dumps({"statement": "A" * (cap + 1), "signature": "AA=="}).encode()
    headers = {**api.headers("officer"), "Content-Type": "application/json"}
    # within the cap: read and refused for what it says, not for its size
    assert api.http.post("/v1/statements", content=within, headers=headers).status_code == 422
    assert_problem(api.http.post("/v1/statements", content=over, headers=headers), 413, "too-large")
    prepared = api.http.post("/v1/statements/prepare", content=over, headers=headers)
    assert_problem(prepared, 413, "too-large")


def test_a_file_upload_keeps_its_own_larger_cap(api: Api) -> None:
    data = b"scan " * (40 * KIB)  # 200 KiB: over every other route's cap
    digest = hashlib.sha256(data).hexdigest()
    response = api.http.put(
        f"/v1/dossiers/000.66.29.H59-250709-0001/files/{digest}",
        content=data,
        headers={**api.headers("officer"), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code != 413, response.text


def test_every_operation_documents_its_413_with_its_cap(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    statement_cap = limits.statement_body_bytes(api.services.settings)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], f"{method} {path}"
            assert "application/problem+json" in operation["responses"]["413"]["content"]
    lookup = document["paths"]["/v1/public/lookup"]["post"]["responses"]["413"]
    assert lookup["description"] == "the request body is larger than 65536 bytes"
    submit = document["paths"]["/v1/statements"]["post"]["responses"]["413"]
    assert submit["description"] == f"the request body is larger than {statement_cap} bytes"


def test_the_default_cap_is_a_setting(tmp_path: Any) -> None:
    environ = {"LIENTHONG_DATA_KEY": "data.key", "LIENTHONG_LOG_KEY": "log.key"}
    assert Settings.from_env(environ).max_body_bytes == 64 * KIB
    assert Settings.from_env({**environ, "LIENTHONG_MAX_BODY_KB": "8"}).max_body_bytes == 8 * KIB
    with pytest.raises(SettingsError, match="max_body_bytes"):
        Settings.from_env({**environ, "LIENTHONG_MAX_BODY_KB": "0"})
