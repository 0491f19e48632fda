"""The process control slip (phiếu kiểm soát quá trình giải quyết hồ sơ) as a PDF signed by the
office's seal: one document for `lienthong slip CODE --pdf` and the slip's download on the pages
(api/http/web/slip_download.py), so both live here, beside the command line and the server.

The paper is the printed slip's (api/http/templates/_slip.html): the issuing office (the one that
received the dossier) and its one-stop desk, the title, the form and legal basis of the circular
in force on the date of receipt, the dossier, a row per turn — who handed it over and who took it
in, when, the result in words by the one rule of every slip (api/turns.py), the working time it
took — with the officers by title (the registry records no names, and a citizen reads no officer
id) and room to sign on paper, the notices to the applicant, and the QR code of the dossier's
verification page. At its foot it says which seal signed it.

The text is set in DejaVu Serif (Debian's fonts-dejavu-core; its licence lets it be embedded), a
subset embedded, so every Vietnamese letter prints and can be searched and copied.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from api.seal import SealHolder, Sealing, seal_pdf
from api.texts import working_span
from api.turns import TurnTime, signers, turn_text, turn_time
from api.turns import turn_result as slip_result
from domain.calendar import WorkCalendar
from domain.errors import DomainError
from domain.instant import local_date, to_datetime
from ledger.application import Ledger
from ledger.views.durations import days_left
from ledger.views.slip import ControlSlip, SlipBlock

# Where the fonts are on Debian and Ubuntu (fonts-dejavu-core), Fedora, Arch and Alpine.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-serif-fonts"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
)
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf"}
FONT = "DejaVuSerif"

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", "Process control slip"),
    "desk": ("Bộ phận Một cửa", "One-stop desk"),
    "basis": ("Căn cứ", "Legal basis"),
    "code": ("Mã hồ sơ", "Dossier code"),
    "procedure": ("Thủ tục", "Procedure"),
    "received": ("Thời điểm tiếp nhận", "Received at"),
    "appointed": ("Hẹn trả kết quả", "Result promised for"),
    "cutoff": ("Giờ chốt tiếp nhận", "Receipt cut-off"),
    "cutoff_none": ("không áp dụng (thủ tục không quy định)", "none (the procedure sets none)"),
    "provisional": (
        "Thời hạn tạm tính (chưa xác nhận được)",
        "Provisional time limits (could not be confirmed)",
    ),
    "provisional_mark": ("theo thời hạn tạm tính", "against a provisional budget"),
    "body": ("Tên cơ quan", "Office"),
    "time": ("Thời gian giao, nhận hồ sơ", "Handed over, received"),
    "result": ("Kết quả giải quyết hồ sơ", "Result"),
    "notes": ("Ghi chú", "Notes"),
    "give": ("Giao", "Handed over by"),
    "take": ("Nhận", "Received by"),
    "reception": ("Tiếp nhận", "Received at"),
    "given_at": ("Giao lúc", "Handed over"),
    "taken_at": ("Nhận lúc", "Received"),
    "waiting": ("chưa nhận", "not yet received"),
    "refused": ("Từ chối nhận", "Refused"),
    "recalled": ("Thu hồi", "Recalled"),
    "giver": ("Người giao", "Handed over by"),
    "taker": ("Người nhận", "Received by"),
    "sign": ("(ký, ghi rõ họ tên)", "(signature and full name)"),
    "applicant": ("Người nộp hồ sơ", "The applicant"),
    "against_appointed": ("so với ngày hẹn trả kết quả", "against the date promised"),
    "used": ("Thời gian xử lý: {span}", "Time taken: {span}"),
    "result_early": ("Trước hạn", "Early"),
    "result_on_time": ("Đúng hạn", "On time"),
    "result_late": ("Quá hạn", "Late"),
    "result_pending": ("Đang xử lý, còn trong hạn", "In progress, within its time"),
    "result_open": ("Đang xử lý", "In progress"),
    "suspended": ("Tạm dừng, chờ bổ sung giấy tờ", "Paused, waiting for documents"),
    "missing": ("{n} giấy tờ gửi mà không nhận được", "{n} documents sent but not received"),
    "extra": ("{n} giấy tờ nhận thêm", "{n} documents received beyond those sent"),
    "notices": ("Thông báo gửi người nộp hồ sơ", "Notices to the applicant"),
    "notice_reason": ("Lý do", "Reason"),
    "notice_appointed": ("Ngày hẹn trả mới", "New appointed date"),
    "qr": (
        "Quét mã để xác minh hồ sơ này trên sổ cái công khai",
        "Scan to verify this dossier on the public log",
    ),
    "printed": ("Lập lúc {at}", "Made at {at}"),
    # whose seal signed, as its certificate names it: the server's seal, which need not be the
    # office that received the dossier and heads the slip
    "sealed": (
        "Đóng dấu bằng chứng thư số của: {holder} (số sê-ri {serial}). Phần mềm đọc PDF cho "
        "biết chữ ký theo chứng thư số này còn nguyên vẹn hay không; sửa phiếu sau khi đóng dấu "
        "làm chữ ký mất hiệu lực.",
        "Sealed with the certificate of: {holder} (serial number {serial}). A PDF reader tells "
        "whether the signature is intact; any change to the slip after sealing breaks it.",
    ),
    "reason": (
        "Phiếu kiểm soát quá trình giải quyết hồ sơ {code}",
        "Process control slip of dossier {code}",
    ),
}


class FontMissing(Exception):
    """The slip's font is not installed: the message says which package brings it."""


def say(key: str, lang: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def when(at: int | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, as the pages write it."""
    return "" if at is None else f"{to_datetime(at):%d/%m/%Y %H:%M}"


@dataclass(frozen=True)
class PaperTurn:
    """One row of the slip's table, in words: its four cells and the two who sign."""

    body: str
    time: str
    result: str
    notes: str
    giver: str  # "Người giao: Công chức …" (the title, when known)
    taker: str
    late: bool


@dataclass(frozen=True)
class SlipPaper:
    """The slip as the paper says it, every line in the reader's language."""

    lang: str
    code: str
    issuer: str
    title: str
    form: str
    basis: str
    facts: list[tuple[str, str]]
    turns: list[PaperTurn]
    notices: list[str]
    verify_url: str
    printed: str
    at: int  # the instant its results are judged as of


def slip_paper(
    ledger: Ledger, slip: ControlSlip, lang: str, calendar: WorkCalendar, verify_url: str
) -> SlipPaper:
    """The slip's words for the paper, as of the slip's instant; durations on `calendar`."""
    location = slip.location
    facts = [
        (say("code", lang), location.code),
        (say("procedure", lang), _procedure(ledger, location.procedure, location.version, lang)),
        (say("received", lang), when(location.received_at)),
    ]
    if location.appointed:
        facts.append((say("appointed", lang), when(location.appointed)))
    cutoff = slip.cutoff
    facts.append(
        (
            say("cutoff", lang),
            f"{cutoff.text} ({cutoff.source})" if cutoff is not None else say("cutoff_none", lang),
        )
    )
    if slip.provisional:
        facts.append((say("provisional", lang), slip.provisional))

    def worked(start: int, end: int) -> int:
        return calendar.working_micros_between(start, end) // 1_000_000

    def left(until: int) -> int:
        return days_left(calendar, slip.at, until)

    who = signers(ledger, slip, say("applicant", lang))
    turns = []
    for number, (block, pair) in enumerate(zip(slip.blocks, who, strict=True), 1):
        turn = turn_time(slip, block, worked, left)
        turns.append(_turn(ledger, slip, block, turn, number, pair, lang))
    notices = []
    for notice in slip.notices:
        line = (
            f"{notice.name(lang)} — {when(notice.at)}, {_office(ledger, notice.office, notice.at)}"
            f"\n{say('notice_reason', lang)}: {notice.reason}"
        )
        if notice.appointed is not None:
            line += f"\n{say('notice_appointed', lang)}: {when(notice.appointed)}"
        notices.append(line)
    return SlipPaper(
        lang=lang,
        code=location.code,
        issuer=_office(ledger, location.received_by, location.received_at),
        title=say("title", lang),
        form=slip.form.label(lang),
        basis=f"{say('basis', lang)}: {slip.legal_basis(lang)}",
        facts=facts,
        turns=turns,
        notices=notices,
        verify_url=verify_url,
        printed=say("printed", lang, at=when(slip.at)),
        at=slip.at,
    )


def _turn(
    ledger: Ledger,
    slip: ControlSlip,
    block: SlipBlock,
    turn: TurnTime,
    number: int,
    pair: tuple[str, str],
    lang: str,
) -> PaperTurn:
    giver, taker = pair
    if block.from_office is None:
        body = f"{number}. {say('reception', lang)}: {_office(ledger, block.to_office, block.handed_at)}"
        time = when(block.handed_at)
    else:
        body = (
            f"{number}. {say('give', lang)}: {_office(ledger, block.from_office, block.handed_at)}"
            f"\n{say('take', lang)}: {_office(ledger, block.to_office, block.handed_at)}"
        )
        time = f"{say('given_at', lang)}: {when(block.handed_at)}\n"
        if block.received_at:
            time += f"{say('taken_at', lang)}: {when(block.received_at)}"
        elif block.outcome == "rejected":
            time += say("refused", lang)
        elif block.outcome == "recalled":
            time += say("recalled", lang)
        else:
            time += say("waiting", lang)
    result = turn_result(block, turn, slip.location.status, lang)
    if turn.against == "appointed":
        result += f"\n{say('against_appointed', lang)}"
    if block.provisional:
        result += f"\n({say('provisional_mark', lang)})"
    if block.used_seconds is not None:
        result += "\n" + say("used", lang, span=working_span(block.used_seconds, lang))
    notes = []
    if block.missing:
        notes.append(say("missing", lang, n=block.missing))
    if block.extra:
        notes.append(say("extra", lang, n=block.extra))
    return PaperTurn(
        body=body,
        time=time,
        result=result,
        notes="\n".join(notes),
        giver=say("giver", lang) + (f": {giver}" if giver else ""),
        taker=say("taker", lang) + (f": {taker}" if taker else ""),
        late=turn.result == "late",
    )


def turn_result(block: SlipBlock, turn: TurnTime, status: str, lang: str) -> str:
    """The result column, worded as on the pages (api/turns.py)."""
    return slip_result(block, turn, status, turn_text(turn, lang), lambda key: say(key, lang))


def _office(ledger: Ledger, office: str | None, at: int) -> str:
    """An office by its name on the day of `at` (its first name if it did not exist then); its
    id only if the registry does not know it."""
    if office is None:
        return ""
    try:
        found = ledger.office(office)
    except DomainError:
        return office
    day = local_date(at)
    return found.name_on(day if found.active_on(day) else found.established)


def _procedure(ledger: Ledger, procedure: str, version: int, lang: str) -> str:
    try:
        chosen = ledger.procedure(procedure).get_version(version)
    except DomainError:
        return procedure
    return chosen.name_en if lang == "en" else chosen.name_vi


# --- the PDF -------------------------------------------------------------------------------------


def font_dir() -> Path:
    """The directory holding DejaVu Serif; FontMissing if none does."""
    for directory in FONT_DIRS:
        if all((directory / name).is_file() for name in FONT_FILES.values()):
            return directory
    raise FontMissing(
        "the slip's font, DejaVu Serif, is not installed (Debian and Ubuntu: fonts-dejavu-core)"
    )


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG, medium error correction (it survives a poor print)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def render_pdf(paper: SlipPaper, holder: SealHolder | None = None) -> bytes:
    """The slip as an A4 PDF (unsigned): what seal_pdf signs. `holder` is the seal that will
    sign it, named at the foot."""
    lang = paper.lang
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    directory = font_dir()
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(directory / name))
    pdf.set_lang(lang)
    pdf.set_title(f"{paper.title} — {paper.code}")
    pdf.set_subject(paper.form)
    pdf.set_author(paper.issuer)
    pdf.set_creator("Liên thông")
    pdf.set_creation_date(to_datetime(paper.at))  # the instant the slip is judged as of
    pdf.add_page()
    width = pdf.epw
    qr_size = 32
    text_width = width - qr_size - 6

    # the issuer, and the QR code of the verification page at the right
    top = pdf.get_y()
    pdf.image(
        io.BytesIO(qr_png(paper.verify_url)),
        x=pdf.l_margin + width - qr_size,
        y=top,
        w=qr_size,
        h=qr_size,
    )
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(
        text_width, 5.5, paper.issuer.upper(), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(text_width, 5, say("desk", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin + width - qr_size - 4, top + qr_size)
    pdf.set_font(FONT, "", 6.5)
    pdf.multi_cell(qr_size + 4, 3, say("qr", lang), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + qr_size) + 3)

    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(width, 7, paper.title.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(
        width, 5, f"{paper.form}\n{paper.basis}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(3)
    pdf.set_font(FONT, "", 10.5)
    for label, value in paper.facts:
        pdf.set_font(FONT, "B", 10.5)
        pdf.write(5.5, f"{label}: ")
        pdf.set_font(FONT, "", 10.5)
        pdf.write(5.5, value)
        pdf.ln(5.5)
    pdf.ln(3)

    # a row per turn, with room for the two who sign on paper
    pdf.set_font(FONT, "", 9)
    head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    late = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=(50, 55, 50, 25),
        headings_style=head,
        line_height=4.6,
        padding=1.5,
        text_align="LEFT",
        v_align="TOP",
        cell_fill_mode=TableCellFillMode.NONE,
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        for key in ("body", "time", "result", "notes"):
            row.cell(say(key, lang))
        for turn in paper.turns:
            row = table.row()
            row.cell(turn.body)
            signers = (
                f"\n\n{turn.giver}\n{say('sign', lang)}\n\n\n{turn.taker}\n{say('sign', lang)}\n\n"
            )
            row.cell(turn.time + signers)
            row.cell(turn.result, style=late if turn.late else None)
            row.cell(turn.notes)

    if paper.notices:
        pdf.ln(4)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(width, 6, say("notices", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9.5)
        for notice in paper.notices:
            pdf.multi_cell(width, 5, f"– {notice}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)

    pdf.ln(4)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(
        width,
        4.5,
        f"{paper.printed}. {say('qr', lang)}: {paper.verify_url}",
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if holder is not None:
        parts = (holder.common_name, holder.organization)
        named = ", ".join(part for n, part in enumerate(parts) if part and part not in parts[:n])
        pdf.multi_cell(
            width,
            4.5,
            say("sealed", lang, holder=named, serial=holder.serial),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())


def signed_slip_pdf(paper: SlipPaper, sealing: Sealing) -> bytes:
    """The slip's PDF signed by the seal `sealing` (api/seal.py), which its foot names."""
    pdf = render_pdf(paper, sealing.holder)
    # no signature Location: the slip's issuer (the office that received the dossier) need not be
    # the seal's holder, and a reader would show it beside the seal's signature as if it were
    return seal_pdf(pdf, sealing, reason=say("reason", paper.lang, code=paper.code))
