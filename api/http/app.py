"""The composition root of the HTTP API: `create_app(settings)` builds everything a server process
holds, once; nothing is opened at import time. `app_from_env` is the factory `lienthong serve`
hands to uvicorn (each worker process builds its own from the environment)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.http import limits, problems
from api.http.access import Caller, ServicesDep
from api.http.forwarded import ForwardedFrom
from api.http.headers import SecurityHeaders
from api.http.lookup import LookupLimiter
from api.http.routes import (
    dossiers,
    events,
    files,
    log,
    oversight,
    pki,
    public,
    registry,
    statements,
)
from api.http.schemas.registry import CallerOut
from api.http.services import Services
from api.http.web import csrf, heatmap, pages, receipt, session, slip_download, verify
from api.http.web import officer as officer_pages
from api.http.web import oversight as oversight_pages
from api.settings import Settings
from ledger.clock import Clock
from ledger.stores.sessions import SessionStore

DESCRIPTION = """
Liên thông records every handover (giao – nhận) of an administrative dossier (hồ sơ) between
offices as a signed statement in an append-only, publicly verifiable log.

* **Writes** are signed statements: `POST /v1/statements/prepare` builds the canonical bytes to
  sign; `POST /v1/statements` records `{statement, signature}`. The server never signs for anyone.
* **Reads** give where a dossier is, its signed history, its control slip (phiếu kiểm soát),
  stalls, inboxes, reports, the registry, checkpoints and Merkle proofs, and a feed of the log.
* **Tokens**: `Authorization: Bearer <token>` from `lienthong token create`.
* **Errors** are RFC 9457 problem details (`application/problem+json`); `type` is stable per error.
"""


def create_app(settings: Settings, *, clock: Clock | None = None, settle: bool = False) -> FastAPI:
    """The app over one ledger database. `clock` is injected by tests and the demo; a server uses
    the system clock. The writer and the read-model follower start with the app's lifespan;
    `settle` then takes the heap out of the garbage collector's walks (`settle_heap`), as a
    server process does."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        held = Services(settings, clock)
        app.state.services = held
        app.state.lookups = LookupLimiter(
            settings.lookups_per_minute, settings.wrong_secrets_per_minute, held.clock
        )
        app.state.sessions = SessionStore(
            held.tokens,
            idle_seconds=settings.session_idle_hours * 3600,
            longest_seconds=settings.session_max_hours * 3600,
        )
        held.start()
        if settle:  # a server process (app_from_env); not the tests' many apps in one process
            settle_heap()
        try:
            yield
        finally:
            held.close()

    app = FastAPI(
        title="Liên thông",
        version="1",
        summary="A signed, verifiable ledger of dossier handovers between offices",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's OpenTelemetry instrumentation asks the OTel providers on every request; the
        # server exports no traces, metrics or logs through OTel
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    problems.install(app)
    limits.install(app, settings)  # every request body capped before any route reads it
    for router, statuses in (
        (statements.router, (401, 403, 404, 409, 422, 500, 503)),
        (files.router, (401, 403, 404, 410, 413, 422, 500, 503)),  # before /dossiers/{code:path}
        (dossiers.router, (401, 403, 404, 410, 422, 500, 503)),
        (oversight.router, (401, 403, 404, 422, 500)),
        (registry.router, (401, 404, 422, 500)),
        (pki.router, (401, 403, 404, 422, 500, 503)),
        (log.router, (401, 404, 422, 500)),
        (events.router, (401, 422, 500)),
        (public.router, (404, 409, 422, 429, 500, 503)),
    ):
        app.include_router(router, prefix="/v1", responses=problems.documented(*statuses))
    app.mount("/static", StaticFiles(packages=[("api.http", "static")]), name="static")
    for web in (
        pages,
        verify,
        session,
        oversight_pages,
        officer_pages,
        receipt,
        heatmap,
        slip_download,
    ):
        # a page's request that could change something must come from this site (api/http/web/csrf.py)
        app.include_router(web.router, dependencies=[Depends(csrf.same_site)])
    app.add_exception_handler(session.SignInFirst, session.to_sign_in)
    app.add_exception_handler(csrf.CrossSiteRefused, session.cross_site_refused)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ForwardedFrom, proxies=settings.trusted_proxies)  # outermost: first
    _misc(app)
    return app


def settle_heap() -> None:
    """Once the app has started: collect what startup left behind, then move every object still
    alive (modules, the registry, templates, the OpenAPI document, caches warmed so far) out of
    the cyclic garbage collector's reach (`gc.freeze`). They live as long as the process, and
    each full collection would otherwise walk them all again, every thread waiting: measured
    at ~125 ms on a server started on the demo, one such pause in every few thousand requests,
    which was most of the write path's 99th-percentile latency. Objects made afterwards are
    collected as before."""
    gc.collect()
    gc.freeze()


def _misc(app: FastAPI) -> None:
    @app.get(
        "/v1/me",
        response_model=CallerOut,
        tags=["tokens"],
        summary="Who this token is",
        responses=problems.documented(401, 500),
    )
    def me(token: Caller) -> CallerOut:
        return CallerOut(
            token=token.id,
            role=token.role,
            office=token.office,
            officer=token.officer,
            expires_at=token.expires_at,
        )

    @app.get("/healthz", tags=["service"], summary="The server is up, and whether it records")
    def healthz(services: ServicesDep) -> dict[str, str]:
        return {"status": "ok", "mode": "read-only" if services.read_only else "read-write"}

    @app.get(
        "/problems/{code}",
        response_class=HTMLResponse,
        tags=["service"],
        summary="What a problem type means",
        responses=problems.documented(404, 422),
    )
    def problem_page(code: str) -> HTMLResponse:
        titles = problems.catalogue().get(code)
        if titles is None:
            raise problems.NotFound(f"no problem type is called {code!r}")
        title_vi, title_en = (escape(text) for text in titles)
        return HTMLResponse(
            f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{title_vi}</title>'
            f"<h1>{title_vi}</h1><p lang=en>{title_en}</p><p><code>{escape(code)}</code></p>"
        )


def app_from_env() -> FastAPI:
    """The app as configured by the environment (LIENTHONG_* variables)."""
    return create_app(Settings.from_env(), settle=True)
