"""`lienthong agent`: a local signing agent, as the signing plug-ins of Vietnamese offices are
(the programs a certificate provider installs beside its USB token): the officer's pages ask it,
on this computer, to sign a statement with the key on the token; it shows the officer what the
statement says, in Vietnamese first, and signs only when the officer answers "y" at its console.

    lienthong agent --pkcs11 MODULE --token-label L --key-label K \\
        --allow-origin https://lienthong.example [--chain officer.pem --chain ca.pem] [--port 8787]

It listens on 127.0.0.1 only, and answers only the pages of the origins given with
--allow-origin (https, or http on this computer's own 127.0.0.1, localhost or [::1]; their
`Origin` header; the CORS headers name that origin and no other, and a preflight from any other
is refused), sent to its own address (the `Host` header: 127.0.0.1 or localhost and its port, so
a name rebound to 127.0.0.1 by another site's DNS is refused too):

    GET  /info   {"key", "public_key" (DER SubjectPublicKeyInfo, base64), "algorithm",
                  "chain" (the --chain certificates, DER, base64, the officer's first)}
    POST /sign   {"statement": base64 canonical bytes} → {"key", "signature": base64}, or
                  403 {"refused": "declined" | "other-key" | "origin" | "host", "detail"}

A statement is decoded with the ledger's own decoder before anything is shown: bytes that are not
a well-formed statement, or that name another key than the token's, are refused without asking.
Every character of a statement's text that is not printable (control characters, C1 ones such
as U+009B, bidi overrides such as U+202E) is shown as \\uXXXX, and a line break inside a value as
"⏎", so a value cannot print lines of its own. Input typed before the prompt is discarded (when the
console is a terminal), so it cannot answer the next request. One request is shown and answered at
a time, and "Signed." is printed only once the token has signed. The PIN is LIENTHONG_TOKEN_PIN,
else asked once at start; the session stays logged in while the agent runs, and ends with it
(Ctrl-C).
"""

from __future__ import annotations

import base64
import binascii
import json
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from api.cli.shell import Options, options_of, refuse
from api.cli.token import open_token_key
from api.texts import CONFIRMATION, FIELDS, kind_label, word
from domain.instant import format_local
from domain.statement import Statement
from ledger.errors import LedgerError
from ledger.statements import schema
from ledger.statements.pkcs11 import TokenError, TokenKey
from ledger.statements.signing import key_id, spki_of

if sys.platform != "win32":
    import termios  # POSIX only: discarding what was typed ahead at a terminal

HOST = "127.0.0.1"
DEFAULT_PORT = 8787
MAX_REQUEST_BYTES = 1024 * 1024  # a statement is at most 64 KiB; base64 and JSON around it
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # the only hosts an http origin may name
NEWLINE = "\u23ce"  # ⏎: a line break inside a value, shown on the value's own line
INSTANTS = ("appointed", "effective", "produced")


def fingerprint(key_id: str) -> str:
    return " ".join(key_id[i : i + 4] for i in range(0, len(key_id), 4))


def origin_of(text: str) -> str | None:
    """An origin as browsers send it (scheme://host[:port], the default port left out), or None
    if `text` is not one."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return None  # a page of another computer is https, or it could be anyone's on the way
    shown_port = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown_port}"


def printable(text: str) -> str:
    """`text` as one line of the console: a line break as ⏎, every other character that is not
    printable (controls, C1 such as U+009B, bidi overrides such as U+202E) and ⏎ itself as \\uXXXX,
    so a value can neither start a line that looks like the agent's nor reorder what is shown."""
    shown = []
    for ch in text:
        if ch == "\n":
            shown.append(NEWLINE)
        elif ch == NEWLINE or not ch.isprintable():
            shown.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            shown.append(ch)
    return "".join(shown)


def both(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def _value(name: str, value: Any) -> list[str]:
    """A body field as lines of text the officer reads."""
    if isinstance(value, bytes):
        if name == "public_key":
            return [fingerprint(key_id(value))]
        return [value.hex()]
    if isinstance(value, int) and not isinstance(value, bool) and name in INSTANTS:
        return [format_local(value)]
    if isinstance(value, list):
        if not value:
            return ["—"]
        lines = []
        for item in value:
            if isinstance(item, dict) and set(item) == {"name", "sha256"}:
                name_shown = _plain(item["name"])
                lines.append(f"- {name_shown} (SHA-256 {item['sha256'].hex()[:16]}…)")
            elif isinstance(item, bytes):
                lines.append(f"- {item.hex()}")
            else:
                lines.append(f"- {_plain(item)}")
        return lines
    return [_plain(value)]


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{_plain(key)}: {_plain(item)}" for key, item in value.items())
    if isinstance(value, bytes):
        return value.hex()
    return printable(str(value))


def confirmation(statement: Statement, origin: str, key: TokenKey) -> str:
    """What the console shows before asking: each label Vietnamese first, then English."""
    kind = f"{kind_label(statement.kind, 'vi')} / {kind_label(statement.kind, 'en')}"
    lines = [
        f"──── {both(CONFIRMATION['title'])} ────",
        f"{both(CONFIRMATION['origin'])}: {origin}",
        f"{both(CONFIRMATION['kind'])}: {kind} ({statement.kind})",
        f"{both(CONFIRMATION['subject'])}: {printable(statement.subject)}",
        f"{both(CONFIRMATION['office'])}: {printable(statement.office)}",
        f"{both(CONFIRMATION['officer'])}: {printable(statement.officer)}",
        f"{both(CONFIRMATION['at'])}: {format_local(statement.at)}",
        f"{both(CONFIRMATION['key'])}: {fingerprint(key.key_id)} ({key.algorithm})",
        f"{both(CONFIRMATION['body'])}:",
    ]
    for name, value in statement.body.items():
        label = both(FIELDS[name]) if name in FIELDS else printable(name)
        shown = _value(name, value)
        if len(shown) == 1 and not shown[0].startswith("- "):
            lines.append(f"  {label}: {shown[0]}")
        else:
            lines.append(f"  {label}:")
            lines.extend(f"    {line}" for line in shown)
    return "\n".join(lines)


@dataclass
class Agent:
    """The token's key, the origins whose pages may ask, and the console the officer answers at."""

    key: TokenKey
    origins: frozenset[str]
    chain: list[bytes]
    lang: str
    show: Callable[[str], None]
    answer: Callable[[], str]
    discard_typed: Callable[[], None] = lambda: None  # drops input typed before the prompt
    port: int = 0
    _console: threading.Lock = field(default_factory=threading.Lock)

    def info(self) -> dict[str, Any]:
        return {
            "key": self.key.key_id,
            "public_key": base64.b64encode(self.key.public_key).decode(),
            "algorithm": self.key.algorithm,
            "chain": [base64.b64encode(der).decode() for der in self.chain],
        }

    def signed(self, raw: bytes, statement: Statement, origin: str) -> bytes | None:
        """Show the statement and ask; on "y" the token's signature, None for anything else; the
        token's TokenError is shown here and raised. One request at a time: the console is held
        until the token has answered, and "Signed." is said only then."""
        with self._console:
            self.discard_typed()
            self.show(confirmation(statement, origin, self.key))
            self.show(f"{both(CONFIRMATION['prompt'])} [y/N]")
            if self.answer().strip().lower() != "y":
                self.show(word("agent_declined", self.lang))
                return None
            try:
                signature = self.key.sign(raw)
            except TokenError as problem:
                self.show(
                    f"{word('agent_declined', self.lang)} {problem.title(self.lang)}: {problem}"
                )
                raise
            self.show(word("agent_signed", self.lang))
            return signature

    def refused(self, origin: str, reason: str) -> None:
        """Said at the console, never in the middle of a confirmation waiting for its answer."""
        text = word(
            "agent_refused", self.lang, origin=printable(origin) or "—", reason=printable(reason)
        )
        with self._console:
            self.show(text)


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, agent: Agent, port: int) -> None:
        super().__init__((HOST, port), Handler)
        self.agent = agent
        agent.port = int(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    server: AgentServer
    server_version = "lienthong-agent"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the console is the officer's, for what is signed."""

    # --- checks ---------------------------------------------------------------------------------

    def _allowed(self) -> str | None:
        """The request's origin if it may be answered; else the refusal is sent and None."""
        agent = self.server.agent
        host = (self.headers.get("Host") or "").lower()
        origin = self.headers.get("Origin") or ""
        # each refusal is answered first, then said at the console, which may be held by a
        # confirmation waiting for the officer
        if host not in (f"{HOST}:{agent.port}", f"localhost:{agent.port}"):
            self._refuse(403, "host", f"this agent answers at {HOST}:{agent.port}, not {host!r}")
            agent.refused(origin, f"Host {host!r}")
            return None
        if origin not in agent.origins:
            self._refuse(403, "origin", f"the origin {origin!r} is not allowed to ask this agent")
            agent.refused(origin, "Origin")
            return None
        return origin

    # --- methods --------------------------------------------------------------------------------

    def do_OPTIONS(self) -> None:
        origin = self._allowed()
        if origin is None:
            return
        self.send_response(204)
        self._cors(origin)
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Max-Age", "600")
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        origin = self._allowed()
        if origin is None:
            return
        if self.path != "/info":
            self._json(404, {"refused": "not-found", "detail": self.path}, origin)
            return
        self._json(200, self.server.agent.info(), origin)

    def do_POST(self) -> None:
        origin = self._allowed()
        if origin is None:
            return
        if self.path != "/sign":
            self._json(404, {"refused": "not-found", "detail": self.path}, origin)
            return
        agent = self.server.agent
        raw = self._statement(origin)
        if raw is None:
            return
        try:
            statement = schema.parse(raw)
        except LedgerError as problem:
            self._json(400, {"refused": "malformed", "detail": str(problem)}, origin)
            return
        if statement.key != agent.key.key_id:
            detail = (
                f"the statement names key {statement.key}; this agent signs with {agent.key.key_id}"
            )
            self._json(403, {"refused": "other-key", "detail": detail}, origin)
            agent.refused(origin, detail)
            return
        try:
            signature = agent.signed(raw, statement, origin)
        except TokenError as problem:
            self._json(500, {"refused": "token", "detail": str(problem)}, origin)
            return
        if signature is None:
            self._json(403, {"refused": "declined", "detail": "the officer did not sign"}, origin)
            return
        answer = {"key": agent.key.key_id, "signature": base64.b64encode(signature).decode()}
        self._json(200, answer, origin)

    def _statement(self, origin: str) -> bytes | None:
        given = self.headers.get("Content-Length")
        if given is None:
            self._json(411, {"refused": "length", "detail": "Content-Length is needed"}, origin)
            return None
        try:
            length = int(given)
        except ValueError:
            length = 0
        if length <= 0:
            detail = f"Content-Length {given!r}: the body is a statement, not empty"
            self._json(400, {"refused": "length", "detail": detail}, origin)
            return None
        if length > MAX_REQUEST_BYTES:
            self._json(413, {"refused": "too-large", "detail": f"{length} bytes"}, origin)
            return None
        try:
            document = json.loads(self.rfile.read(length))
            return base64.b64decode(document["statement"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            detail = 'the body is {"statement": "<base64 of the canonical bytes>"}'
            self._json(400, {"refused": "malformed", "detail": detail}, origin)
            return None

    # --- answers --------------------------------------------------------------------------------

    def _cors(self, origin: str) -> None:
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Vary", "Origin")

    def _json(self, status: int, document: dict[str, Any], origin: str) -> None:
        body = json.dumps(document, ensure_ascii=False).encode()
        self.send_response(status)
        self._cors(origin)
        self._headers(body)
        self.wfile.write(body)

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        """A refusal with no CORS header: the page of another origin cannot even read it."""
        body = json.dumps({"refused": reason, "detail": detail}).encode()
        self.send_response(status)
        self.send_header("Vary", "Origin")
        self._headers(body)
        self.wfile.write(body)

    def _headers(self, body: bytes) -> None:
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()


def discard_typed_ahead() -> None:
    """Drop what was typed at the console before the prompt (a terminal's pending input), so a
    "y" typed ahead cannot answer a request not yet shown."""
    if sys.platform == "win32" or not sys.stdin.isatty():
        return
    with suppress(OSError, termios.error):
        termios.tcflush(sys.stdin, termios.TCIFLUSH)


def read_chain(options: Options, paths: list[Path], public_key: bytes) -> list[bytes]:
    """The certificates of the files (PEM, several to a file, or DER), the officer's first, which
    must hold the token's key."""
    chain: list[bytes] = []
    for path in paths:
        try:
            data = path.read_bytes()
            if b"-----BEGIN" in data:
                found = x509.load_pem_x509_certificates(data)
            else:
                found = [x509.load_der_x509_certificate(data)]
        except (OSError, ValueError) as problem:
            refuse(options, word("agent_chain_file", options.lang, path=path, problem=problem))
        chain.extend(item.public_bytes(serialization.Encoding.DER) for item in found)
    if chain:
        leaf = x509.load_der_x509_certificate(chain[0]).public_key()
        if spki_of(leaf) != public_key:  # type: ignore[arg-type]
            refuse(
                options,
                word("agent_chain", options.lang, fingerprint=fingerprint(key_id(public_key))),
            )
    return chain


def agent(
    ctx: typer.Context,
    pkcs11: Annotated[
        str,
        typer.Option(
            "--pkcs11",
            metavar="MODULE",
            help="the token's PKCS#11 library (its maker's); the PIN from LIENTHONG_TOKEN_PIN, "
            "else asked",
        ),
    ],
    token_label: Annotated[str, typer.Option(help="the token's label")],
    key_label: Annotated[str, typer.Option(help="the key's label on the token (CKA_LABEL)")],
    allow_origin: Annotated[
        list[str],
        typer.Option(
            help="the address of the Liên thông pages that may ask for signatures, e.g. "
            "https://lienthong.example (repeat for several)"
        ),
    ],
    chain: Annotated[
        list[Path] | None,
        typer.Option(
            help="certificate files (PEM or DER) the pages are given, the officer's first"
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="the port (0: any free one, printed)")
    ] = DEFAULT_PORT,
) -> None:
    """Phần mềm ký trên máy này: ký cho trang cán bộ bằng khóa trên thiết bị ký (token), sau khi
    hỏi tại đây; chỉ nghe trên 127.0.0.1 / the signing agent on this computer: signs for the
    officer's pages with the key on a token, after asking here; listens on 127.0.0.1 only."""
    options = options_of(ctx)
    origins = set()
    for text in allow_origin:
        origin = origin_of(text)
        if origin is None:
            refuse(options, word("agent_origin", options.lang, origin=text))
        origins.add(origin)
    key = open_token_key(options, pkcs11, token_label, key_label)
    try:
        certificates = read_chain(options, chain or [], key.public_key)
        signing_agent = Agent(
            key,
            frozenset(origins),
            certificates,
            options.lang,
            show=typer.echo,
            answer=sys.stdin.readline,
            discard_typed=discard_typed_ahead,
        )
        try:
            server = AgentServer(signing_agent, port)
        except OSError as problem:
            refuse(options, word("agent_port", options.lang, port=port, problem=problem.strerror))
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        typer.echo(
            word(
                "agent_listening",
                options.lang,
                url=f"http://{HOST}:{signing_agent.port}",
                fingerprint=fingerprint(key.key_id),
                origins=", ".join(sorted(origins)),
            )
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        key.close()
