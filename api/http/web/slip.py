"""The control slip as a page shows and prints it (_slip.html, on the dossier's page /ho-so/<code>
and the citizen's lookup answer): the office that issues it (the one that received the dossier),
each turn's standing in words by the one rule of every slip (api/turns.py: "Quá hạn 2,5 ngày làm
việc", "Đang xử lý — còn 3 ngày làm việc") and the working time it took, the officers who gave and
took in the dossier by their titles (the registry records no names and the citizen reads no
officer id), with room to sign on paper, and the QR code of the dossier's verification page; and
the download of the slip as a PDF signed by the office's seal, when the server has one
(api/http/web/slip_download.py), or a word that it has none."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from markupsafe import Markup

from api.http.services import Services
from api.http.web.words import say
from api.texts import working_span
from api.turns import TurnTime, signers, turn_text, turn_time
from api.turns import turn_result as slip_result
from ledger.views.durations import days_left
from ledger.views.slip import ControlSlip, SlipBlock


@dataclass(frozen=True)
class TurnView:
    """One turn as the slip's row says it."""

    result: str  # "Trước hạn", "Quá hạn 2,5 ngày làm việc", "Đang xử lý — còn 3 ngày làm việc"
    late: bool
    against_appointed: bool  # judged against the date promised to the applicant, not its own
    used: str  # the working time the office has held it, in words; "" if it never held it
    giver: str  # who handed the dossier over, by title (the applicant at reception); "" unknown
    taker: str  # who took it in, by title; "" while it travels or if unknown


@dataclass(frozen=True)
class SlipView:
    issuer: str  # the office that received the dossier, by name: it issues the slip
    turns: list[TurnView]
    qr: Markup
    verify_url: str
    sealed: bool  # the server has the office's seal: the slip downloads as a signed PDF


def slip_view(request: Request, services: Services, slip: ControlSlip, lang: str) -> SlipView:
    """What the slip's template shows beside the slip's data."""
    from api.http.web.pages import office_label, public_base, qr_svg  # pages' render() calls us

    location = slip.location
    calendar = services.calendar

    def worked(start: int, end: int) -> int:
        return calendar.working_micros_between(start, end) // 1_000_000

    def left(until: int) -> int:
        return days_left(calendar, slip.at, until)

    turns = []
    who = signers(services.ledger, slip, say("slip_applicant", lang))
    for block, (giver, taker) in zip(slip.blocks, who, strict=True):
        turn = turn_time(slip, block, worked, left)
        turns.append(
            TurnView(
                result=_result(block, turn, location.status, lang),
                late=turn.result == "late",
                against_appointed=turn.against == "appointed",
                used=working_span(block.used_seconds, lang) if block.used_seconds is not None else "",
                giver=giver,
                taker=taker,
            )
        )
    verify_url = f"{public_base(request, services)}/xac-minh/{location.code}"
    return SlipView(
        issuer=office_label(services, location.received_by, location.received_at, lang),
        turns=turns,
        qr=qr_svg(verify_url, say("qr_caption", lang)),
        verify_url=verify_url,
        sealed=services.settings.seal.configured,
    )


# the page's words for what api/turns.py's result column says
_RESULT_WORDS = {"waiting": "slip_waiting", "suspended": "status_suspended"}


def _result(block: SlipBlock, turn: TurnTime, status: str, lang: str) -> str:
    """The result column (api/turns.py), in the page's words."""
    return slip_result(
        block,
        turn,
        status,
        turn_text(turn, lang),
        lambda key: say(_RESULT_WORDS.get(key, key), lang),
    )
