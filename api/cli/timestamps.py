"""RFC 3161 timestamps of certificate statements' signatures (ledger/timestamping.py).

lienthong timestamps catch-up [--timeout SECONDS]
    asks the time-stamping authority (LIENTHONG_TSA_URL, checked against LIENTHONG_TSA_ROOTS) for
    a token for every statement signed with a certificate key that has none yet, and keeps each
    one that checks; prints what it did and each statement still without a token

Exit codes: 0 every certificate statement has a token; 1 some still have none (the authority was
down or answered wrongly: run it again later); 2 no authority configured, or its roots unreadable.
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.shell import open_ledger, options_of, out, refuse
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import DEFAULT_TIMEOUT_SECONDS, TimestampClient, catch_up, load_roots

timestamps_app = typer.Typer(
    help="Dấu thời gian (RFC 3161) của chữ ký bằng chứng thư số / "
    "RFC 3161 timestamps of certificate signatures.",
    no_args_is_help=True,
)

WORDS: dict[str, tuple[str, str]] = {
    "no_tsa": (
        "Chưa cấu hình tổ chức cấp dấu thời gian: đặt LIENTHONG_TSA_URL và LIENTHONG_TSA_ROOTS",
        "No time-stamping authority configured: set LIENTHONG_TSA_URL and LIENTHONG_TSA_ROOTS",
    ),
    "bad_roots": (
        "Không đọc được chứng thư gốc của tổ chức cấp dấu thời gian (LIENTHONG_TSA_ROOTS): {problem}",
        "Cannot read the time-stamping authority's root certificates (LIENTHONG_TSA_ROOTS): "
        "{problem}",
    ),
    "caught_up": (
        "Dấu thời gian: {stamped} bản khai vừa được đóng dấu, {had} bản khai đã có từ trước, "
        "{failed} bản khai chưa lấy được",
        "Timestamps: {stamped} statements stamped now, {had} already had one, {failed} still "
        "without one",
    ),
    "retry": (
        "Chạy lại lệnh này sau để lấy dấu thời gian cho các bản khai còn thiếu.",
        "Run this command again later to stamp the statements still without a token.",
    ),
}


def say(key: str, lang: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def register(app: typer.Typer) -> None:
    app.add_typer(timestamps_app, name="timestamps")
    timestamps_app.command("catch-up")(catch_up_command)


def catch_up_command(
    ctx: typer.Context,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, help="seconds to wait for the authority's answer to each request"),
    ] = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Stamp every statement signed with a certificate key that has no timestamp yet."""
    options = options_of(ctx)
    lang, settings = options.lang, options.settings
    if not settings.tsa_url:
        refuse(options, say("no_tsa", lang))
    try:
        roots = load_roots(settings.tsa_roots)
    except ValueError as problem:
        refuse(options, say("bad_roots", lang, problem=problem))
    with (
        open_ledger(options) as ledger,
        TimestampClient(settings.tsa_url, timeout, roots) as client,
    ):
        store = TimestampStore(settings.database_url)
        try:
            result = catch_up(ledger, store, client, now=ledger.clock.now())
        finally:
            store.close()
    out.print(
        say("caught_up", lang, stamped=result.stamped, had=result.had, failed=len(result.failed)),
        markup=False,
    )
    for digest, why in result.failed:
        out.print(f"  {digest.hex()}: {why}", markup=False)
    if result.failed:
        out.print(say("retry", lang), markup=False)
        raise typer.Exit(1)
