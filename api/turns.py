"""How each turn of a control slip stands in time, for the person reading it: one rule for the
pages (api/http/web/slip.py) and `lienthong slip` (api/cli/dossier.py), worded by api/texts.py.

A turn whose level has a time of its own is judged against its deadline (ledger/views/slip.py):
early, on time, late by the working time past the deadline, or pending with the working days
left. The turn the dossier is in now that has no deadline of its own — a handover not yet taken
in, a level the route gives no time, the office taking the result in to return it — is judged
against the date appointed to the applicant: past it, it is late by the working time since (a
dossier in transit for sixteen months reads "quá hạn 340 ngày làm việc", not "đang xử lý").
Finished turns without a deadline, refused and recalled handovers, and the turns of a dossier
that is closed or awaiting a supplement are not judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.texts import days_left_text, late_text
from domain.errors import DomainError
from ledger.application import Ledger
from ledger.views.slip import ControlSlip, SlipBlock

HOLDS = ("received", "acknowledged")


@dataclass(frozen=True)
class TurnTime:
    """A turn's standing: `result` early | on_time | late | pending, or None (not judged);
    `against` "deadline" (its own) or "appointed" (the date promised to the applicant);
    `over_seconds` the working time past it, when late; `days_left` the working days to it as a
    deadline counts them (ledger/views/durations.py), when pending."""

    result: str | None
    against: str = ""
    over_seconds: int | None = None
    days_left: int | None = None


NOT_JUDGED = TurnTime(None)


def is_open(block: SlipBlock) -> bool:
    """Whether the dossier is in this turn now: handed over and not yet taken in, or taken in
    and not yet handed on, decided or closed."""
    if block.outcome is None:
        return True
    return block.outcome in HOLDS and block.finished_at is None


def turn_time(
    slip: ControlSlip,
    block: SlipBlock,
    worked: Callable[[int, int], int],
    left: Callable[[int], int],
) -> TurnTime:
    """`block`'s standing as of the slip's instant; `worked(start, end)` the working seconds
    between two instants, `left(until)` the working days from the slip's instant to `until`."""
    at = slip.at
    if block.deadline is not None and block.result is not None:
        if block.result == "late":
            end = block.finished_at if block.finished_at is not None else at
            return TurnTime("late", "deadline", over_seconds=worked(block.deadline, end))
        if block.result == "pending":
            return TurnTime("pending", "deadline", days_left=left(block.deadline))
        return TurnTime(block.result, "deadline")
    location = slip.location
    if not is_open(block) or location.status in ("closed", "suspended"):
        return NOT_JUDGED
    if at > location.appointed:
        return TurnTime("late", "appointed", over_seconds=worked(location.appointed, at))
    return TurnTime("pending", "appointed", days_left=left(location.appointed))


def turn_text(turn: TurnTime, lang: str) -> str:
    """How far over or how much is left, in words ("quá hạn 2,5 ngày làm việc", "còn 3 ngày làm
    việc"); empty for a turn finished early or on time, or not judged."""
    if turn.over_seconds is not None:
        return late_text(turn.over_seconds, lang)
    if turn.days_left is not None:
        return days_left_text(turn.days_left, lang)
    return ""


def turn_result(
    block: SlipBlock, turn: TurnTime, status: str, said: str, word: Callable[[str], str]
) -> str:
    """The result column of a control slip, one wording for the page and the signed PDF: early,
    on time, late by how much (`said`, the turn's time as words), in progress with how much is
    left; a handover still travelling; nothing for a refused or recalled one or a finished turn
    that had no time of its own to be judged by. `word` gives the text of `waiting`,
    `result_open`, `suspended` and `result_<result>` in the reader's language."""
    if turn.result == "late":
        return said[:1].upper() + said[1:]
    if turn.result == "pending":
        state = word("waiting" if block.outcome is None else "result_open")
        return f"{state} — {said}"
    if turn.result is not None:
        return word("result_" + turn.result)
    if block.outcome is None:
        return word("waiting")
    if is_open(block):  # the dossier awaits a supplement, or has no appointed date to pass
        return word("suspended" if status == "suspended" else "result_open")
    return "—"


def signers(ledger: Ledger, found: ControlSlip, applicant: str) -> list[tuple[str, str]]:
    """Who gave and who took in the dossier at each turn, by title (the registry keeps no
    names), one rule for the page, the printed page and the signed PDF: at reception `applicant`
    and the officer who signed the receipt; at a handover the officer who dispatched it and the
    one who acknowledged it ("" while it travels, or for an officer the registry does not know)."""
    history = ledger.history("dossier", found.location.code)
    receiver = history[0].statement.officer if history else None

    def title(officer: str | None, at: int) -> str:
        if officer is None:
            return ""
        try:
            return ledger.officer(officer).title_at(at)
        except DomainError:
            return ""

    return [
        (applicant, title(receiver, block.handed_at))
        if block.from_office is None
        else (
            title(block.from_officer, block.handed_at),
            title(block.by_officer, block.received_at or block.handed_at),
        )
        for block in found.blocks
    ]
