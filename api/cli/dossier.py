"""A dossier's own record, rendered: its timeline, hop by hop, every signature checked; and its
process control slip (its form and legal basis by the dossier's date of receipt: form 05 of
Circular 01/2018/TT-VPCP, form 06 of Circular 03/2025/TT-VPCP from 15/9/2025), as text or as a
printable page.

lienthong history CODE              every statement, the officers on both sides, the hops; exit 1
                                    if a signature does not verify
lienthong slip CODE [--html FILE]   the control slip: reception, each handover and its deadline
lienthong slip CODE --pdf FILE [--seal-p12 FILE | --seal-key FILE --seal-cert FILE |
    --seal-pkcs11 MODULE --seal-token-label L --seal-key-label K] [--seal-chain FILE …]
    [--public-url URL]              the slip as a PDF signed by the office's seal (PAdES), with
                                    the QR code of the dossier's verification page on URL; the
                                    passphrase and the PIN from LIENTHONG_SEAL_PASSWORD and
                                    LIENTHONG_SEAL_PIN only (api/slip_pdf.py, api/seal.py)

Exit codes: 0 done; 1 an unknown dossier, or a signature that does not verify; 2 input errors
(a bad code, a page that cannot be written, a seal that cannot sign).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from jinja2 import Environment, PackageLoader, select_autoescape
from rich.markup import escape

from api.cli.args import identifier
from api.cli.shell import Options, fail, given, open_ledger, options_of, out, print_hops, refuse
from api.cli.views import office_name, open_inspector
from api.seal import SealUnusable, open_seal
from api.settings import SealSettings
from api.slip_pdf import FontMissing, signed_slip_pdf, slip_paper
from api.texts import kind_label, word, working_span
from api.turns import TurnTime, signers, turn_text, turn_time
from domain.calendar import WorkCalendar
from domain.errors import DomainError
from domain.instant import format_local, local_date
from ledger.application import Ledger
from ledger.errors import BadEnvelope
from ledger.reference.calendar import load_calendar
from ledger.views.durations import days_left
from ledger.views.sla import ControlSlip, SlipBlock
from ledger.views.slip import Notice
from ledger.views.timeline import Timeline, describe, timeline


def history(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
) -> None:
    """A dossier's timeline: every hop, the officers on both sides, times, signatures."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        view = timeline(ledger, code)
        render_timeline(view, ledger, options.lang)
        if not view.all_verified:
            raise typer.Exit(1)


def render_timeline(view: Timeline, ledger: Ledger, lang: str) -> None:
    dossier = ledger.dossier(view.code)
    if dossier.closed:
        status = f"{word('closed', lang)} ({kind_label('dossier.' + dossier.closed, lang)})"
    elif dossier.transit:
        status = f"{word('transit_to', lang)} {dossier.transit.addressee}"
    else:
        status = f"{word('held_by', lang)} {dossier.custodian}"
    out.print(
        f"\n[bold]{escape(view.code)}[/] — {escape(dossier.procedure)} v{dossier.procedure_version} "
        f"— {word('status', lang)}: {escape(status)}"
    )
    for step in view.steps:
        statement = step.statement
        mark = "[green]✓[/]" if step.verified else "[bold red]✗[/]"
        signature = word("valid" if step.verified else "invalid", lang)
        out.print(
            f"{statement.seq:>3}  {format_local(statement.at)}  "
            f"[bold]{kind_label(statement.kind, lang)}[/]  {mark} {word('signature', lang)} "
            f"{signature}"
        )
        out.print(
            f"     {word('office', lang)}: {statement.office} {step.office_name} — "
            f"{word('officer', lang)}: {statement.officer} ({step.officer_title})",
            markup=False,
        )
        out.print(f"     {describe(statement)}", markup=False)
        if step.problem:
            out.print(f"     {step.problem}", markup=False)
    print_hops(view, lang)
    out.print(word("all_verified" if view.all_verified else "not_all_verified", lang))


# --- the control slip ----------------------------------------------------------------------------


def slip(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    html: Annotated[Path | None, typer.Option(help="also write a printable HTML page")] = None,
    pdf: Annotated[
        Path | None, typer.Option(help="also write the slip as a PDF signed by the office's seal")
    ] = None,
    seal_p12: Annotated[
        Path | None,
        typer.Option(help="the seal: a PKCS#12 file (passphrase: LIENTHONG_SEAL_PASSWORD)"),
    ] = None,
    seal_key: Annotated[
        Path | None, typer.Option(help="the seal: its private key (PEM/DER), with --seal-cert")
    ] = None,
    seal_cert: Annotated[Path | None, typer.Option(help="the seal's certificate (PEM/DER)")] = None,
    seal_chain: Annotated[
        list[Path] | None,
        typer.Option(help="a certificate of the seal's chain, e.g. the subordinate CA's (repeat)"),
    ] = None,
    seal_pkcs11: Annotated[
        str | None,
        typer.Option(help="the seal on a token: its PKCS#11 module (PIN: LIENTHONG_SEAL_PIN)"),
    ] = None,
    seal_token_label: Annotated[str | None, typer.Option(help="the token's label")] = None,
    seal_key_label: Annotated[
        str | None, typer.Option(help="the key's label on the token (its certificate's too)")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="the server whose verification page the QR code opens (or LIENTHONG_PUBLIC_URL)"
        ),
    ] = None,
) -> None:
    """The process control slip (phiếu kiểm soát quá trình giải quyết hồ sơ), on the form of the
    circular in force when the dossier was received; with --pdf, also as a PDF signed by the
    office's seal."""
    options = options_of(ctx)
    lang = options.lang
    asked = SealSettings(
        p12=str(seal_p12 or ""),
        key=str(seal_key or ""),
        cert=str(seal_cert or ""),
        chain=tuple(str(each) for each in seal_chain or ()),
        pkcs11=seal_pkcs11 or "",
        token_label=seal_token_label or "",
        key_label=seal_key_label or "",
    )
    seal, base = None, ""
    if pdf is not None:
        seal = _seal(options, asked)
        base = given(
            public_url, options.environment.public_url, "--public-url", "LIENTHONG_PUBLIC_URL"
        )
        if not base.startswith(("https://", "http://")):
            refuse(options, _said(lang, "public_url", url=base))
    elif asked != SealSettings() or public_url:
        refuse(options, _said(lang, "pdf_only"))
    with open_ledger(options) as ledger, open_inspector(ledger) as inspector:
        ledger.dossier(code)  # raises UnknownDossier
        found = inspector.slip(code, ledger.clock.now())
        assert found is not None
        rows = slip_rows(ledger, found, lang)
        for line in rows:
            out.print(line, markup=False)
        if html is not None:
            page = render_slip_html(ledger, found, lang)
            try:
                html.write_text(page, encoding="utf-8")
            except OSError as problem:
                fail(BadEnvelope(f"cannot write {html}: {problem.strerror}"), lang, 2)
        if pdf is not None:
            assert seal is not None
            verify_url = f"{base.rstrip('/')}/xac-minh/{found.location.code}"
            paper = slip_paper(ledger, found, lang, load_calendar(), verify_url)
            try:
                with open_seal(seal) as sealing:
                    signed = signed_slip_pdf(paper, sealing)
            except SealUnusable as problem:
                refuse(options, problem.said(lang))
            except FontMissing as problem:
                refuse(options, str(problem))
            try:
                pdf.write_bytes(signed)
            except OSError as problem:
                fail(BadEnvelope(f"cannot write {pdf}: {problem.strerror}"), lang, 2)


SEAL_WORDS = {
    "one_seal": (
        "Chỉ dùng một con dấu số: --seal-p12, --seal-key với --seal-cert, hoặc --seal-pkcs11.",
        "Give one seal: --seal-p12, --seal-key with --seal-cert, or --seal-pkcs11.",
    ),
    "key_cert": (
        "--seal-key (LIENTHONG_SEAL_KEY) cần --seal-cert (LIENTHONG_SEAL_CERT), chứng thư số "
        "của con dấu.",
        "--seal-key (LIENTHONG_SEAL_KEY) needs --seal-cert (LIENTHONG_SEAL_CERT), the seal's "
        "certificate.",
    ),
    "labels": (
        "--seal-pkcs11 cần --seal-token-label và --seal-key-label.",
        "--seal-pkcs11 needs --seal-token-label and --seal-key-label.",
    ),
    "no_seal": (
        "Phiếu PDF được ký bằng con dấu số của cơ quan: hãy chỉ ra --seal-p12 FILE, --seal-key FILE "
        "--seal-cert FILE hoặc --seal-pkcs11 MODULE (hoặc đặt LIENTHONG_SEAL_FILE, LIENTHONG_SEAL_KEY "
        "hay LIENTHONG_SEAL_MODULE).",
        "The PDF slip is signed by the office's seal: give --seal-p12 FILE, --seal-key FILE "
        "--seal-cert FILE or --seal-pkcs11 MODULE (or set LIENTHONG_SEAL_FILE, LIENTHONG_SEAL_KEY "
        "or LIENTHONG_SEAL_MODULE).",
    ),
    "pdf_only": (
        "Các tùy chọn --seal-… và --public-url chỉ dùng cùng --pdf.",
        "The --seal-… and --public-url options go with --pdf.",
    ),
    "public_url": (
        "--public-url phải là địa chỉ http:// hoặc https://, không phải {url!r}.",
        "--public-url must be an http:// or https:// address, not {url!r}.",
    ),
}


def _said(lang: str, key: str, **values: object) -> str:
    vi, en = SEAL_WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def _seal(options: Options, asked: SealSettings) -> SealSettings:
    """The seal the --seal-… options name, else the one the environment names
    (LIENTHONG_SEAL_FILE, _KEY or _MODULE); the passphrase and the PIN from the environment only.
    Exit 2 if they name none, or not one."""
    lang = options.lang
    environment = options.environment.seal
    if asked == SealSettings():  # no --seal-… option: the environment's seal
        chosen = environment
    else:  # the options' seal, whatever the environment names, its chain if they give none
        chosen = replace(
            asked,
            chain=asked.chain or environment.chain,
            password=environment.password,
            pin=environment.pin,
        )
    if not chosen.configured:
        refuse(options, _said(lang, "no_seal"))
    if sum(1 for kind in (chosen.p12, chosen.key, chosen.pkcs11) if kind) > 1:
        refuse(options, _said(lang, "one_seal"))
    if chosen.key and not chosen.cert:
        refuse(options, _said(lang, "key_cert"))
    if chosen.pkcs11 and not (chosen.token_label and chosen.key_label):
        refuse(options, _said(lang, "labels"))
    return chosen


def slip_rows(
    ledger: Ledger, found: ControlSlip, lang: str, calendar: WorkCalendar | None = None
) -> list[str]:
    """The slip as lines of text; durations counted on `calendar` (the packaged one if None)."""
    lines = _slip_head(ledger, found, lang)
    for block, turn in zip(found.blocks, turns_of(found, calendar), strict=True):
        lines.append(_block_line(ledger, block, turn, lang))
    notices = [_notice_line(ledger, notice, lang) for notice in found.notices]
    if notices:
        lines.append(f"{word('notices', lang)}:")
        lines.extend(notices)
    return lines


def _slip_head(ledger: Ledger, found: ControlSlip, lang: str) -> list[str]:
    """The slip's title, form, legal basis, the dossier, and what its dates were counted by: the
    receipt cut-off (or none) and, when the version's budgets could not be confirmed, why."""
    location = found.location
    lines = [
        word("slip_title", lang),
        found.form.label(lang),
        f"{word('slip_basis', lang)}: {found.legal_basis(lang)}",
        f"{word('code', lang)}: {location.code} — {location.procedure} v{location.version}",
        f"{word('received_time', lang)}: {format_local(location.received_at)} — "
        f"{office_name(ledger, location.received_by, location.received_at)}",
        f"{word('appointed', lang)}: {format_local(location.appointed)}",
        f"{word('due_cutoff', lang)}: "
        + (
            f"{found.cutoff.text} ({found.cutoff.source})"
            if found.cutoff is not None
            else word("slip_cutoff_none", lang)
        ),
    ]
    if found.provisional:
        lines.append(f"{word('slip_provisional', lang)}: {found.provisional}")
    return lines


def _notice_line(ledger: Ledger, notice: Notice, lang: str) -> str:
    """A notice signed to the applicant, named by its form: when, by which office, why, and the
    new appointed date an apology or an extension gives."""
    line = (
        f"- {notice.name(lang)}: {format_local(notice.at)} — "
        f"{office_name(ledger, notice.office, notice.at)} ({notice.officer}); "
        f"{word('notice_reason', lang)}: {notice.reason}"
    )
    if notice.appointed is not None:
        line += f"; {word('notice_appointed', lang)}: {format_local(notice.appointed)}"
    return line


def _block_line(ledger: Ledger, block: SlipBlock, turn: TurnTime, lang: str) -> str:
    """A turn's line: who handed the dossier over and who took it in, when; its level's budget,
    deadline and result ("2.5 working days overdue"), or, for the turn the dossier is in
    with no deadline of its own, how it stands against the date appointed to the applicant
    (api/turns.py); and the working time the office has held it."""
    if block.from_office is None:
        head = f"{block.number + 1}. {word('reception', lang)}: " + office_name(
            ledger, block.to_office, block.handed_at
        )
    else:
        head = (
            f"{block.number + 1}. {word('handed_over', lang)}: "
            f"{office_name(ledger, block.from_office, block.handed_at)} ({block.from_officer}, "
            f"{format_local(block.handed_at)}) → "
        )
        if block.outcome is None:
            head += f"{office_name(ledger, block.to_office, block.handed_at)}: " + word(
                "in_transit", lang
            )
        else:
            head += (
                f"{word('outcome_' + block.outcome, lang)}: "
                f"{office_name(ledger, block.by_office, block.handed_at)} ({block.by_officer}, "
                f"{format_local(block.received_at or block.handed_at)})"
            )
    said = turn_text(turn, lang)
    if block.deadline is not None:
        budget = block.budget
        assert budget is not None
        result = word("result_" + (block.result or "pending"), lang)
        if turn.result == "late" and said:
            result = said  # "quá hạn 2,5 ngày làm việc"
        elif said:
            result += f", {said}"  # "đang xử lý, còn 3 ngày làm việc"
        head += (
            f" — {word('budget', lang)} {budget.days} {word('days_' + budget.day_type, lang)}, "
            f"{word('deadline', lang)} {format_local(block.deadline)}: {result}"
        )
        if block.provisional:
            head += f" ({word('provisional_budget', lang)})"
    elif turn.against == "appointed":
        head += f" — {word('against_appointed', lang)}: {said}"
    if block.used_seconds is not None:
        head += f" ({word('used', lang)} {working_span(block.used_seconds, lang)})"
    return head


def turns_of(found: ControlSlip, calendar: WorkCalendar | None = None) -> list[TurnTime]:
    """How each turn of the slip stands in time (api/turns.py), on `calendar`."""
    days = calendar if calendar is not None else load_calendar()

    def worked(start: int, end: int) -> int:
        return days.working_micros_between(start, end) // 1_000_000

    def left(until: int) -> int:
        return days_left(days, found.at, until)

    return [turn_time(found, block, worked, left) for block in found.blocks]


def _issuer(ledger: Ledger, found: ControlSlip) -> str:
    """The office that issues the slip: the one that received the dossier, by its name then."""
    location = found.location
    try:
        return ledger.office(location.received_by).name_on(local_date(location.received_at))
    except DomainError:
        return location.received_by


def render_slip_html(
    ledger: Ledger, found: ControlSlip, lang: str, calendar: WorkCalendar | None = None
) -> str:
    """The printable page: the issuing office (the one that received the dossier), the slip's
    lines, and under each handover the lines for the officers who gave and took it in to sign."""
    environment = Environment(
        loader=PackageLoader("api.http", "templates"), autoescape=select_autoescape(["html"])
    )
    template = environment.get_template("slip.html")
    turns = turns_of(found, calendar)
    return template.render(
        lang=lang,
        title=word("slip_title", lang),
        issuer=_issuer(ledger, found),
        header=_slip_head(ledger, found, lang)[1:],
        blocks=[
            _block_line(ledger, block, turn, lang)
            for block, turn in zip(found.blocks, turns, strict=True)
        ],
        signers=signers(ledger, found, word("slip_applicant", lang)),
        giver=word("slip_giver", lang),
        taker=word("slip_taker", lang),
        sign=word("slip_sign", lang),
        results=[turn.result for turn in turns],
        notices_title=word("notices", lang),
        notices=[_notice_line(ledger, notice, lang)[2:] for notice in found.notices],
        printed=format_local(found.at),
    )
