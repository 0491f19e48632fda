"""The security headers of every response: what a browser may load and run on the pages, and
where they may be framed.

- `Content-Security-Policy`: scripts and styles only from this server's own files (no inline
  script, no `on…` handler, no `<style>` element; `style` attributes are allowed, for the colours
  the map of offices computes per office, and they cannot load anything: every load is 'self');
  no plugins, no `<base>`, forms post only here, and no page may be framed (`frame-ancestors`).
  Scripts fetch from this server, and from http://127.0.0.1 (any port) alone beside it: the signing
  agent on the officer's own computer (api/cli/agent.py), which a certificate key signs through.
- `X-Frame-Options: DENY`, for browsers that predate `frame-ancestors`.
- `X-Content-Type-Options: nosniff`: a download is never run as a script or a page.
- `Referrer-Policy: same-origin`: a link to another site does not tell it the page's address
  (which can hold a dossier code); the server's own pages still get it, and so POSTs keep their
  `Origin` (with `no-referrer` a browser sends `Origin: null`, which the CSRF check refuses).

The API's documentation (`/docs`, Swagger UI; `/redoc`) is FastAPI's page: it loads its script and
styles from cdn.jsdelivr.net and starts with one inline script. Those two paths get a policy that
allows that CDN and exactly that script (by its SHA-256, computed from the page as served), and
nothing else; the same framing, sniffing and referrer rules.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

AGENT_SOURCE = "http://127.0.0.1:*"  # where a signing agent listens: this computer, any port
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        # the officer's pages ask the signing agent on the officer's own computer (lienthong agent)
        f"connect-src 'self' {AGENT_SOURCE}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
CDN = "https://cdn.jsdelivr.net"
DOCS_PATHS = ("/docs", "/redoc")
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' {scripts}",
        f"style-src 'self' {CDN} https://fonts.googleapis.com 'unsafe-inline'",
        "font-src 'self' https://fonts.gstatic.com data:",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_INLINE = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(page: bytes) -> str:
    """The documentation page's policy: its inline scripts allowed by their SHA-256, no other."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE.findall(page)
    ]
    return DOCS_POLICY.format(scripts=" ".join([CDN, *hashes]))


def _add(message: Message, policy: str) -> None:
    headers = MutableHeaders(scope=message)
    headers.setdefault("Content-Security-Policy", policy)
    for name, value in FIXED.items():
        headers.setdefault(name, value)


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response (a route's own win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"] in DOCS_PATHS:
            await self._documentation(scope, receive, send)
        else:

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    _add(message, POLICY)
                await send(message)

            await self.app(scope, receive, sending)

    async def _documentation(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The documentation page is a few kilobytes: held whole, to hash its inline script."""
        start: Message | None = None
        body = bytearray()

        async def holding(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                _add(start, docs_policy(bytes(body)))
                await send(start)
                await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, holding)
