"""How large a request body may be: a cap per route, enforced while the body is read.

`BodyCap` is a pure ASGI middleware around the app's `receive`. When the route the router chose
(named in the scope) first reads its body, a `Content-Length` over the route's cap is refused
before a byte is read; otherwise the bytes are counted as they arrive (a chunked body announces no
length) and reading stops at the first chunk that passes the cap. Either way the answer is
`413 too-large` (problem+json, via api/http/problems.py, with `Connection: close`): the body is never
parsed, so no rate limiter counts the request and nothing is recorded, and a server holds at most
one cap's worth of a body per request. (FastAPI reads a declared body before it calls the route;
a route that reads its own, as statement submission does, reads it first.)

The caps (`caps_for(settings)`):
- the file uploads stream under their own cap (`LIENTHONG_MAX_FILE_MB`, checked by ledger/stores/files/
  as the bytes arrive), so this one leaves them alone;
- a signed statement's routes (submit and prepare, in the API and on the officer's page) take
  `statement_body_bytes(settings)`: twice the largest statement (hex or base64 in JSON) and room
  for the applicant's details;
- a certificate, CRL or OCSP response kept beside the log takes the largest the ledger keeps
  (a large CA's full CRL);
- the verification page's bundle upload takes the largest bundle it checks, and a form's margin;
- every other route takes `LIENTHONG_MAX_BODY_KB` (64 KiB): a lookup, a sign-in, a key request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, routing
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import problems
from api.http.routes import files, pki, statements
from api.http.schemas.common import Problem
from api.http.web import officer, verify
from api.settings import Settings

FORM_MARGIN = 64 * 1024  # a multipart form's boundaries and part headers around its file
Endpoint = Callable[..., Any]
Cap = int | None  # None: the route caps its own body as it streams


def statement_body_bytes(settings: Settings) -> int:
    """A signed statement's request: its bytes as base64 (4/3) or its fields as JSON with hashes
    in hex (at most about 2×), plus the applicant's details and the JSON around them."""
    return 2 * settings.ledger.max_statement_bytes + 16 * 1024


def caps_for(settings: Settings) -> dict[Endpoint, Cap]:
    """The routes whose cap is not the default (settings.max_body_bytes), by their endpoint."""
    statement = statement_body_bytes(settings)
    return {
        statements.submit: statement,
        statements.prepare: statement,
        officer.prepare: statement,
        officer.submit: statement,
        verify.verify_upload: verify.MAX_BUNDLE + FORM_MARGIN,
        files.upload_raw: None,
        pki.upload: pki.MAX_BODY,
        files.upload_form: None,
        officer.upload_file: None,
    }


class BodyCap:
    """Refuse, with 413, a request body larger than its route's cap, as it is read."""

    def __init__(self, app: ASGIApp, caps: Mapping[Endpoint, Cap], default: int) -> None:
        self.app = app
        self.caps = caps
        self.default = default

    def cap(self, scope: Scope) -> Cap:
        """The cap of the route the router chose for this request (it names the route's endpoint
        in the scope); the default before routing, or where no route serves the request."""
        endpoint = scope.get("endpoint") or getattr(scope.get("route"), "endpoint", None)
        return self.default if endpoint is None else self.caps.get(endpoint, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counted = 0
        declared = _declared_length(scope)

        async def capped() -> Message:
            nonlocal counted
            cap = self.cap(scope)
            if cap is not None and declared is not None and declared > cap:
                raise _too_large(scope, f"the body is {declared} bytes", cap)
            message = await receive()
            if message["type"] == "http.request" and cap is not None:
                counted += len(message.get("body", b""))
                if counted > cap:
                    raise _too_large(scope, f"the body passed {cap} bytes", cap)
            return message

        await self.app(scope, capped, send)


def _declared_length(scope: Scope) -> int | None:
    text = Headers(scope=scope).get("content-length", "").strip()
    return int(text) if text.isdigit() else None  # the server refuses a malformed length itself


def _too_large(scope: Scope, what: str, cap: int) -> HTTPException:
    """The refusal the problem handlers answer as 413 too-large (api/http/problems.py), and the
    connection closed: the rest of the body is never read."""
    return HTTPException(
        413,
        f"{what}; {scope['method']} {scope['path']} accepts at most {cap} bytes",
        headers={"Connection": "close"},
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Cap every route's request body (see the module's docstring), and say so in the OpenAPI
    document: every operation answers 413 when its body passes its cap, named there."""
    caps = caps_for(settings)
    app.add_middleware(BodyCap, caps=caps, default=settings.max_body_bytes)
    made = app.openapi  # FastAPI's own: builds the document once, then keeps it

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        document = made()
        if first:
            _document_caps(app, document, caps, settings.max_body_bytes)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_caps(
    app: FastAPI, document: dict[str, Any], caps: Mapping[Endpoint, Cap], default: int
) -> None:
    paths = document.get("paths", {})
    for path, methods, endpoint in _operations(app):
        cap = default if endpoint is None else caps.get(endpoint, default)
        if path not in paths or not methods or cap is None:
            continue  # an upload's own cap is documented with the upload (413 file-too-large)
        for method in methods:
            operation = paths[path].get(method.lower())
            if operation is not None:
                operation.setdefault("responses", {})["413"] = {
                    "description": f"the request body is larger than {cap} bytes",
                    "content": {problems.PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
                }


def _operations(app: FastAPI) -> Iterator[tuple[str | None, set[str] | None, Endpoint | None]]:
    """(path, methods, endpoint) of every route, the included routers' too: FastAPI ≥ 0.165
    keeps them nested and walks them with `iter_route_contexts`, as its own OpenAPI does."""
    walk = getattr(routing, "iter_route_contexts", None)
    for context in walk(app.routes) if walk is not None else app.routes:
        original = getattr(context, "original_route", context)
        yield (
            getattr(context, "path_format", None),
            getattr(context, "methods", None),
            getattr(original, "endpoint", None),
        )
