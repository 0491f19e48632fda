"""Who the client is behind a reverse proxy: `X-Forwarded-For` and `X-Forwarded-Proto` are believed
only from a peer in LIENTHONG_TRUSTED_PROXIES, and nobody else.

The client address is the socket's peer. When that peer is a trusted proxy, the client is the
rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
address it was connected from; anything to the left of that was written by the client and proves
nothing), and the scheme is the proxy's `X-Forwarded-Proto`. From any other peer both headers are
ignored, so a client cannot choose the address its rate limits are counted against.

The server runs uvicorn without its own proxy-header handling (`lienthong serve`), so this is the
only place a forwarded header is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """The trusted proxies, each an address or a network (`10.0.0.5`, `10.0.0.0/24`, `fd00::/8`);
    ValueError for anything else (the settings check them first)."""
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def address(text: str) -> Address | None:
    """An IP address as a proxy writes it (`203.0.113.7`, `203.0.113.7:5100`, `[2001:db8::1]:80`,
    `2001:db8::1`); None if it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted(host: str | None, proxies: tuple[Network, ...]) -> bool:
    found = address(host) if host else None
    return found is not None and any(found in network for network in proxies)


def client_behind(forwarded_for: str, proxies: tuple[Network, ...]) -> str | None:
    """The client a chain of trusted proxies reports: the rightmost address that is not a trusted
    proxy; None if the header names no usable address there."""
    for part in reversed(forwarded_for.split(",")):
        found = address(part)
        if found is None:
            return None  # a proxy wrote something that is not an address: believe none of it
        if not any(found in network for network in proxies):
            return str(found)
    return None


class ForwardedFrom:
    """ASGI middleware: from a trusted proxy, the request's client and scheme are the ones it
    forwarded; from any other peer, the socket's."""

    def __init__(self, app: ASGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.proxies = networks(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies:
            peer = scope.get("client")
            if peer and trusted(peer[0], self.proxies):
                scope = dict(scope)
                _believe(scope, self.proxies)
        await self.app(scope, receive, send)


def _believe(scope: dict[str, Any], proxies: tuple[Network, ...]) -> None:
    forwarded_for: list[str] = []
    proto = None
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
        elif name == b"x-forwarded-proto":
            proto = value.decode("latin-1").strip().lower()
    if forwarded_for:
        client = client_behind(",".join(forwarded_for), proxies)
        if client is not None:
            scope["client"] = (client, 0)
    if proto in ("http", "https") and scope["type"] == "http":
        scope["scheme"] = proto
