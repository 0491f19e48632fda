"""Commands that make keys and statements and record them: the authority, officers' keys, the
registry's seed, signing and submitting envelopes (here, or through a server with --server).

lienthong init [--authority-key FILE]                    the authority key, recorded as the root
lienthong keygen FILE --officer ID --office ID           an officer's key pair
lienthong seed travinh [--authority-key FILE]            the real Trà Vinh registry
lienthong sign KIND SUBJECT --key FILE [--body JSON] …   a statement on the head, signed (or
    --pkcs11 MODULE --token-label L --key-label K: with a key on a token)
lienthong submit [FILE…]                                 record envelopes, one JSON per line

Exit codes: 0 done; 1 refused by the ledger; 2 input errors (bad arguments, unreadable key or
envelope files, a key file that already exists).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from api.cli.args import identifier, in_instant_range
from api.cli.serve import remote_sign, remote_submit
from api.cli.shell import Options, emit, err, fail, load_key, open_ledger, options_of, out, refuse
from api.cli.token import open_token_key
from api.texts import word
from domain.instant import format_local, from_datetime
from ledger.errors import AlreadyInitialised, BadEnvelope, BadKeyFile, MalformedStatement
from ledger.reference.seed import seed_travinh, statement_count
from ledger.statements import schema
from ledger.statements.authoring import Signer, initialise, prepare
from ledger.statements.pkcs11 import TokenKey
from ledger.statements.signing import Envelope, SigningKey

seed_app = typer.Typer(help="Nạp dữ liệu thật / load real registry data.", no_args_is_help=True)

Server = Annotated[
    str | None,
    typer.Option(help="the API's address, e.g. http://127.0.0.1:8000; or set LIENTHONG_SERVER"),
]
Token = Annotated[
    str | None, typer.Option(help="bearer token for --server; or set LIENTHONG_TOKEN")
]


def init(
    ctx: typer.Context,
    authority_key: Annotated[
        Path, typer.Option(help="where to write the new authority key (0600)")
    ] = Path("lienthong-authority.key"),
) -> None:
    """Create the authority key and record it as this ledger's root of trust."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(f"{options.settings.database_url} already has an authority")
        if authority_key.exists():
            raise BadKeyFile(f"{authority_key} already exists; move it away or choose another path")
        key = SigningKey.generate("authority", "authority")
        key.save(authority_key)
        receipt = initialise(ledger, key)
        out.print(f"authority key {key.key_id} → {authority_key} (seq {receipt.seq})")


def keygen(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Argument(metavar="KEY_FILE", help="file to write (mode 0600)")],
    officer: Annotated[
        str, typer.Option(help="the officer id this key signs for", callback=identifier("officer"))
    ],
    office: Annotated[
        str, typer.Option(help="the office id the officer signs in", callback=identifier("office"))
    ],
) -> None:
    """Generate an officer's Ed25519 key pair; give the printed public key to the registrar."""
    options = options_of(ctx)
    key = SigningKey.generate(officer, office)
    try:
        key.save(out_file)
    except FileExistsError:
        fail(BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"), options.lang, 2)
    emit(
        json.dumps(
            {
                "key": key.key_id,
                "officer": officer,
                "office": office,
                "public_key": key.public_key.hex(),
            },
            ensure_ascii=False,
        )
    )


@seed_app.command("travinh")
def seed_travinh_command(
    ctx: typer.Context,
    authority_key: Annotated[Path, typer.Option(help="the authority key file from `init`")] = Path(
        "lienthong-authority.key"
    ),
) -> None:
    """Trà Vinh offices before and after 1/7/2025, and the thirteen procedures."""
    options = options_of(ctx)
    key = load_key(authority_key, options.lang)
    with open_ledger(options) as ledger, Progress(console=err, transient=True) as bar:
        task = bar.add_task(word("seeding", options.lang), total=statement_count())
        report = seed_travinh(ledger, Signer.authority(ledger, key), lambda n: bar.advance(task, n))
    out.print(
        f"{word('recorded', options.lang)}: {report.recorded}; "
        f"{word('duplicate', options.lang)}: {report.skipped}"
    )


def sign(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="e.g. handover.dispatched")],
    subject: Annotated[
        str,
        typer.Argument(
            help="the dossier code, or the registry subject", callback=identifier("subject")
        ),
    ],
    key: Annotated[
        Path | None, typer.Option(help="key file from `keygen` (or a key on a token: --pkcs11)")
    ] = None,
    body: Annotated[str, typer.Option(help="JSON object; bytes in hex, times as ISO 8601")] = "{}",
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with zone (default: now)")] = None,
    seq: Annotated[int | None, typer.Option(help="default: the head's seq + 1")] = None,
    prev: Annotated[str | None, typer.Option(help="hex; default: the head's hash")] = None,
    office: Annotated[
        str | None,
        typer.Option(help="default: the key file's office", callback=identifier("office")),
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option(help="default: the key file's officer", callback=identifier("officer")),
    ] = None,
    server: Server = None,
    token: Token = None,
    pkcs11: Annotated[
        str | None,
        typer.Option(
            "--pkcs11",
            metavar="MODULE",
            help="sign with a key on a token (USB token, smart card): its maker's PKCS#11 "
            "library; with --token-label, --key-label, --officer and --office; the PIN from "
            "LIENTHONG_TOKEN_PIN, else asked",
        ),
    ] = None,
    token_label: Annotated[str | None, typer.Option(help="the token's label (--pkcs11)")] = None,
    key_label: Annotated[
        str | None, typer.Option(help="the key's label on the token, CKA_LABEL (--pkcs11)")
    ] = None,
) -> None:
    """Build a statement on the current head, sign it with a key file or a key on a token, print
    the envelope. With --server, the server prepares the bytes on its head; they are checked,
    then signed here."""
    options = options_of(ctx)
    with ExitStack() as held:
        signing_key = _signing_key(
            options, held, key, (pkcs11, token_label, key_label), officer=officer, office=office
        )
        server, token = server or options.environment.server, token or options.environment.token
        if server:
            try:
                fields = schema.from_json(kind, json.loads(body))
            except (ValueError, MalformedStatement) as problem:
                fail(BadEnvelope(f"cannot build the statement: {problem}"), options.lang, 2)
            remote_sign(options, server, token or "", signing_key, kind, subject, fields)
            return
        with open_ledger(options) as ledger:
            try:
                fields = schema.from_json(kind, json.loads(body))
                instant = from_datetime(datetime.fromisoformat(at)) if at else None
                previous = bytes.fromhex(prev) if prev is not None else None
            except (ValueError, MalformedStatement) as problem:
                fail(BadEnvelope(f"cannot build the statement: {problem}"), options.lang, 2)
            if instant is not None and at is not None:
                in_instant_range(instant, "--at", at, options.lang)
            raw = prepare(
                ledger,
                kind,
                subject,
                fields,
                office=office or signing_key.office,
                officer=officer or signing_key.officer,
                key=signing_key.key_id,
                at=instant,
                seq=seq,
                prev=previous,
            )
            emit(Envelope(raw, signing_key.sign(raw)).to_json())


def _signing_key(
    options: Options,
    held: ExitStack,
    key: Path | None,
    on_token: tuple[str | None, str | None, str | None],
    *,
    officer: str | None,
    office: str | None,
) -> SigningKey | TokenKey:
    """The key file's key, or the key on the token (module, token label, key label), closed when
    `held` ends: exactly one. A token names no officer or office: the options must."""
    module, token_label, key_label = on_token
    if (key is None) == (module is None) or (key is not None and (token_label or key_label)):
        refuse(options, word("sign_one_key", options.lang))
    if key is not None:
        return load_key(key, options.lang)
    assert module is not None
    if not (officer and office):
        refuse(options, word("token_officer", options.lang))
    return held.enter_context(
        open_token_key(options, module, token_label, key_label, officer=officer, office=office)
    )


def submit(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="envelope files, one JSON envelope per line; none or - reads standard input"
        ),
    ] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Record signed envelopes; stops at the first refusal. With --server, the server records."""
    options = options_of(ctx)
    server, token = server or options.environment.server, token or options.environment.token
    if server:
        remote_submit(options, server, token or "", list(_envelope_lines(files or [Path("-")])))
        return
    with open_ledger(options) as ledger:
        for line in _envelope_lines(files or [Path("-")]):
            envelope = Envelope.from_json(line)
            receipt = ledger.record(envelope.statement, envelope.signature)
            status = word("duplicate" if receipt.duplicate else "recorded", options.lang)
            out.print(
                f"{status}: {receipt.kind} {receipt.subject} seq {receipt.seq} "
                f"{receipt.digest.hex()} @ {format_local(receipt.recorded_at)}"
            )


def _envelope_lines(files: list[Path]) -> Iterator[str]:
    for path in files:
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except OSError as problem:
            raise BadEnvelope(f"cannot read {path}: {problem.strerror}") from None
        yield from (line for line in text.splitlines() if line.strip())
