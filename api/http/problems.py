"""Every refusal the HTTP API gives, as RFC 9457 problem details, mapped here and nowhere else.

A problem's `type` is `/problems/<code>`, stable per error class (the code the CLI prints too), and
the server answers it with a page describing the problem. Titles follow the caller's language
(`Accept-Language`; Vietnamese unless English is asked for); `detail` names what was wrong.
Routes raise the layers' own errors (`DomainError`, `LedgerError`, `ApiError`: every `Refusal`, whose
class declares its status); they never build an HTTP error themselves. Bad input never becomes a
500: only a fault of the server itself does.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.http.schemas import Problem
from domain.errors import Refusal
from ledger import errors as ledger_errors

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("lienthong.api")


class ApiError(Refusal):
    """A refusal that belongs to the HTTP edge (who may call, how often), not to the ledger."""

    code = "api-error"
    title_vi = "Lỗi giao diện lập trình"
    title_en = "API error"
    status = 400


class Unauthenticated(ApiError):
    code = "unauthenticated"
    title_vi = "Cần mã truy cập hợp lệ"
    title_en = "A valid bearer token is required"
    status = 401


class Forbidden(ApiError):
    code = "forbidden"
    title_vi = "Mã truy cập này không được phép làm việc này"
    title_en = "This token may not do this"
    status = 403


class NotFound(ApiError):
    code = "not-found"
    title_vi = "Không tìm thấy"
    title_en = "Not found"
    status = 404


class RateLimited(ApiError):
    code = "rate-limited"
    title_vi = "Quá nhiều yêu cầu; hãy thử lại sau"
    title_en = "Too many requests; try again later"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ApiError):
    code = "unavailable"
    title_vi = "Dịch vụ tạm thời không sẵn sàng"
    title_en = "Service unavailable"
    status = 503


class BadRequest(ApiError):
    """Input that parses but cannot be used: a bad cursor, an unknown filter value."""

    code = "bad-request"
    title_vi = "Yêu cầu không hợp lệ"
    title_en = "Invalid request"
    status = 422


class UnsupportedMediaType(ApiError):
    """A body in a media type the route does not read (named by its Content-Type)."""

    code = "unsupported-media-type"
    title_vi = "Kiểu nội dung không được hỗ trợ"
    title_en = "Unsupported media type"
    status = 415


DESCRIPTIONS = {
    401: "no token, or a malformed, unknown, expired or revoked one",
    403: "this token may not do this",
    404: "no such dossier, office, officer, key, checkpoint or record",
    409: "a stale head (the body carries the current head: re-sign on it), or it exists already",
    410: "the applicant's data (or the dossier's files) was erased",
    413: "the file is larger than the server accepts",
    415: "the body's media type is not one this operation reads (its Content-Type)",
    422: "malformed input, a bad signature, or a rule of the domain refused it; `detail` says which",
    429: "too many requests; see Retry-After",
    500: "a fault of the server",
    503: "the ledger is not initialised, or this server is a read-only replica",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problems an operation can give."""
    return {
        status: {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


def negotiated_language(accept: str | None) -> str:
    """'en' when the caller prefers English (Accept-Language), else 'vi'."""
    if not accept:
        return "vi"
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("vi"):
            return "vi"
        if tag.startswith("en"):
            return "en"
    return "vi"


def status_of(problem: Refusal, method: str) -> int:
    """The status its class declares; a subject a URL names that does not exist is 404 on a read,
    and in a statement a refused claim (its class's status, 422)."""
    if method in ("GET", "HEAD") and problem.unknown_subject:
        return 404
    return problem.status


def problem_body(
    code: str, title: str, status: int, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }


def _respond(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def refusal(request: Request, problem: Refusal) -> JSONResponse:
    lang = negotiated_language(request.headers.get("accept-language"))
    status = status_of(problem, request.method)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(problem, ledger_errors.StaleHead):
        extra["current"] = {
            "subject": problem.subject,
            "seq": problem.seq,
            "head": problem.head.hex(),
        }
    if isinstance(problem, RateLimited):
        headers["Retry-After"] = str(problem.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="lienthong"'
    body = problem_body(
        problem.code, problem.title(lang), status, str(problem), request.url.path, **extra
    )
    return _respond(body, headers)


def _invalid(request: Request, problem: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "where": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
        }
        for error in problem.errors()
    ]
    detail = "; ".join(f"{error['where']}: {error['message']}" for error in errors)
    return _respond(
        problem_body(
            "malformed-request",
            _malformed_title(request),
            422,
            detail,
            request.url.path,
            errors=errors,
        )
    )


HTTP_CODES = {
    404: ("no-such-resource", "Không có địa chỉ này", "No such resource"),
    405: ("method-not-allowed", "Phương thức không được hỗ trợ", "Method not allowed"),
    406: ("not-acceptable", "Không có dạng trả lời phù hợp", "Not acceptable"),
    413: ("too-large", "Nội dung gửi lên quá lớn", "Request body too large"),
    415: ("unsupported-media-type", "Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
}


def _http(request: Request, problem: StarletteHTTPException) -> JSONResponse:
    if problem.status_code == 400:  # a body that does not parse: malformed input, like the rest
        return _respond(
            problem_body(
                "malformed-request",
                _malformed_title(request),
                422,
                str(problem.detail),
                request.url.path,
            )
        )
    headers = dict(problem.headers or {})
    if problem.status_code == 405:  # every method of every route on this path, not the first's
        headers["Allow"] = ", ".join(sorted(_allowed(request)))
    lang = negotiated_language(request.headers.get("accept-language"))
    code, title_vi, title_en = HTTP_CODES.get(
        problem.status_code, ("http-error", "Lỗi giao thức", "HTTP error")
    )
    body = problem_body(
        code,
        title_vi if lang == "vi" else title_en,
        problem.status_code,
        str(problem.detail),
        request.url.path,
    )
    return _respond(body, headers)


def _allowed(request: Request) -> set[str]:
    """The methods some route fully matches on this path."""
    return {
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    }


def _malformed_title(request: Request) -> str:
    lang = negotiated_language(request.headers.get("accept-language"))
    return "Dữ liệu gửi lên không hợp lệ" if lang == "vi" else "Malformed request"


def _fault(request: Request, problem: Exception) -> JSONResponse:
    log.exception("unexpected fault serving %s %s", request.method, request.url.path)
    lang = negotiated_language(request.headers.get("accept-language"))
    title = "Lỗi máy chủ" if lang == "vi" else "Server fault"
    return _respond(
        problem_body(
            "server-fault",
            title,
            500,
            "the server failed; nothing was recorded by this request unless its receipt says so",
            request.url.path,
        )
    )


def install(app: FastAPI) -> None:
    """Map every error class to its problem, once, for the whole app."""

    async def on_refusal(request: Request, problem: Exception) -> JSONResponse:
        assert isinstance(problem, Refusal)
        return refusal(request, problem)

    async def on_invalid(request: Request, problem: Exception) -> JSONResponse:
        assert isinstance(problem, RequestValidationError)
        return _invalid(request, problem)

    async def on_http(request: Request, problem: Exception) -> JSONResponse:
        assert isinstance(problem, StarletteHTTPException)
        return _http(request, problem)

    async def on_fault(request: Request, problem: Exception) -> JSONResponse:
        return _fault(request, problem)

    app.add_exception_handler(Refusal, on_refusal)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_fault)


def catalogue() -> dict[str, tuple[str, str]]:
    """code → (Vietnamese title, English title) for every problem type, for the /problems pages."""
    found: dict[str, tuple[str, str]] = {}
    pending: list[type[Refusal]] = [Refusal]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        code = getattr(cls, "code", None)  # the base class has none
        if isinstance(code, str):
            found[code] = (cls.title_vi, cls.title_en)
    for code, title_vi, title_en in HTTP_CODES.values():
        found[code] = (title_vi, title_en)
    found["malformed-request"] = ("Dữ liệu gửi lên không hợp lệ", "Malformed request")
    found["server-fault"] = ("Lỗi máy chủ", "Server fault")
    return found
