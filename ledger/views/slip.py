"""The control slip (phiếu kiểm soát quá trình giải quyết hồ sơ; its form number and legal basis
by the dossier's date of receipt, domain/law.py — form 05 of Circular 01/2018, form 06 of Circular
03/2025 from 15/9/2025): a block per office's turn with the dossier — who handed it over and who
received it, when, that office's budget for its level, its deadline, and whether it handed the
dossier on (or decided or closed it) early, on time or late — judged as of an instant; and the
notices the dossier's holders signed to the applicant (refusal, apology and new date or extension,
stop), each with its form by the dossier's date of receipt. The slip says what its dates were
counted by: the receipt cut-off of the procedure version (or none), and whether that version's
budgets are provisional — could not be confirmed, with the version's reason — in which case each
turn judged against one is marked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from domain.instant import local_date
from domain.law import REGIMES, Form, FormType, NoSuchForm, Regime, regime_on
from domain.procedure import Budget, Cutoff
from ledger.views.deadlines import judge
from ledger.views.tables import Location

if TYPE_CHECKING:
    from ledger.views.sla import Inspector


@dataclass(frozen=True, kw_only=True)
class SlipBlock:
    """One block of the control slip: an office's turn with the dossier — who handed it over and
    who received it, when, that office's budget for its level, and the result when it handed the
    dossier on (or decided, or closed it)."""

    number: int
    from_office: str | None  # None for the reception block (the applicant hands it in)
    from_officer: str | None
    handed_at: int  # the dispatch (or the receipt)
    to_office: str
    outcome: str | None  # received | acknowledged | rejected | recalled | None in transit
    by_office: str | None
    by_officer: str | None
    received_at: int | None  # when the receiving office signed for it
    level: str | None
    budget: Budget | None
    deadline: int | None
    finished_at: int | None
    result: str | None  # early | on_time | late | pending (trước hạn / đúng hạn / quá hạn)
    used_seconds: int | None = None  # office time the office held it (to `at` if it still does)
    missing: int = 0
    extra: int = 0
    # judged against a budget of a version whose budgets could not be confirmed (the slip's
    # `provisional` says why)
    provisional: bool = False


# the statements that are notices to the applicant, by the form they are made on
NOTICES = {
    "dossier.refused": FormType.REFUSAL,
    "dossier.delay_notified": FormType.APOLOGY,
    "dossier.extension_requested": FormType.APOLOGY,
    "dossier.stopped": FormType.STOP_NOTICE,
}


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A notice to the applicant recorded on the dossier: a refusal to receive and handle it, an
    apology with a new appointed date (or, from 15/9/2025, a request to extend the time), or a
    notice stopping its handling."""

    kind: str
    office: str
    officer: str
    at: int
    reason: str
    appointed: int | None  # the new appointed time an apology or extension asks for
    type: FormType
    form: Form | None  # the form of the regime on the date of receipt; None if it had none

    def name(self, lang: str) -> str:
        """The form as printed ("Mẫu số 05 — Thông báo dừng giải quyết hồ sơ (Thông tư …)"), or
        the form's name alone when the regime of the date of receipt had no form of its type."""
        if self.form is not None:
            return self.form.label(lang)
        return REGIMES[-1].form(self.type).name(lang)


@dataclass(frozen=True)
class ControlSlip:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ, as data; its form and legal basis are those
    in force on the dossier's date of receipt."""

    location: Location
    blocks: list[SlipBlock]
    at: int  # results judged as of this instant
    # the receipt cut-off the appointed date and the turns were counted with: the procedure
    # version's, None when it has none
    cutoff: Cutoff | None = None
    notices: tuple[Notice, ...] = ()  # signed by `at`, oldest first
    # why the budgets of the procedure version the dossier was received under (its appointed
    # date's and every turn's) could not be confirmed; "" when its legal basis confirms them
    provisional: str = ""

    @property
    def regime(self) -> Regime:
        """The one-stop rules in force when the dossier was received."""
        return regime_on(local_date(self.location.received_at))

    @property
    def form(self) -> Form:
        """The control slip's form (number, name, circular) for the dossier's date of receipt."""
        return self.regime.form(FormType.CONTROL_SLIP)

    def legal_basis(self, lang: str) -> str:
        """The legal basis the printed slip names, in the reader's language."""
        return self.regime.legal_basis(FormType.CONTROL_SLIP, lang)


def control_slip(inspector: Inspector, code: str, at: int) -> ControlSlip | None:
    """The control slip of a dossier, results judged as of `at`; None if unknown."""
    location = inspector.projector.location(code)
    if location is None:
        return None
    legs = inspector.projector.legs(code)

    def onward_after(index: int) -> int | None:
        """When the turn that began before leg `index` ended: the next dispatch that was
        not refused or recalled (a refused or recalled one left the dossier where it was)."""
        for leg in legs[index:]:
            if leg.outcome in (None, "acknowledged"):
                return leg.dispatched_at
        return None

    blocks = [
        _block(
            inspector,
            location,
            at,
            number=0,
            from_office=None,
            from_officer=None,
            handed_at=location.received_at,
            to_office=location.received_by,
            outcome="received",
            by_office=location.received_by,
            by_officer=None,
            received_at=location.received_at,
            onward=onward_after(0),
        )
    ]
    turn = 0  # forward handovers taken in so far: the place of each turn on the route
    for number, leg in enumerate(legs, 1):
        if leg.outcome == "acknowledged" and leg.purpose != "return":
            turn += 1
        blocks.append(
            _block(
                inspector,
                location,
                at,
                number=number,
                from_office=leg.from_office,
                from_officer=leg.from_officer,
                handed_at=leg.dispatched_at,
                to_office=leg.to_office,
                outcome=leg.outcome,
                by_office=leg.by_office,
                by_officer=leg.by_officer,
                received_at=leg.ended_at,
                onward=onward_after(number),
                missing=leg.missing,
                extra=leg.extra,
                turn=turn,
                returning=leg.purpose == "return",
            )
        )
    version = inspector.version_of(location)
    cutoff = version.cutoff if version is not None else None
    provisional = version.provisional if version is not None else ""
    if provisional:  # every turn judged against one of the version's budgets is marked
        blocks = [replace(b, provisional=b.budget is not None) for b in blocks]
    return ControlSlip(
        location, blocks, at, cutoff, _notices(inspector, location, at), provisional=provisional
    )


def _notices(inspector: Inspector, location: Location, at: int) -> tuple[Notice, ...]:
    regime = regime_on(local_date(location.received_at))
    found = []
    for entry in inspector.ledger.history("dossier", location.code):
        statement = entry.statement
        kind = NOTICES.get(statement.kind)
        if kind is None or statement.at > at:
            continue
        try:
            form: Form | None = regime.form(kind)
        except NoSuchForm:
            form = None
        found.append(
            Notice(
                kind=statement.kind,
                office=statement.office,
                officer=statement.officer,
                at=statement.at,
                reason=statement.body["reason"],
                appointed=statement.body.get("appointed"),
                type=kind,
                form=form,
            )
        )
    return tuple(found)


def _block(
    inspector: Inspector,
    location: Location,
    at: int,
    *,
    number: int,
    from_office: str | None,
    from_officer: str | None,
    handed_at: int,
    to_office: str,
    outcome: str | None,
    by_office: str | None,
    by_officer: str | None,
    received_at: int | None,
    onward: int | None,
    missing: int = 0,
    extra: int = 0,
    turn: int = 0,
    returning: bool = False,
) -> SlipBlock:
    """The block of one turn: `onward` is when the office handed the dossier on (None if it has
    not); its result is judged as of `at`."""
    holds = outcome in ("received", "acknowledged")
    level = inspector.level_of(by_office) if holds else None
    # a turn that took in the result to return it has no level budget: the appointed time judges it
    budget = inspector.budget(location, level, turn) if holds and not returning else None
    deadline = (
        inspector.turn_deadline(location, received_at, budget, at)
        if budget is not None and budget.days is not None and received_at is not None
        else None
    )
    if holds and onward is None and received_at is not None:
        # the office's turn ends with the decision, or with the dossier closed
        ends = [
            moment
            for moment in (location.decided_at, location.closed_at)
            if moment is not None and moment >= received_at
        ]
        onward = min(ends, default=None)
    used = (
        inspector.working_seconds(received_at, onward if onward is not None else at)
        if holds and received_at is not None
        else None
    )
    return SlipBlock(
        number=number,
        from_office=from_office,
        from_officer=from_officer,
        handed_at=handed_at,
        to_office=to_office,
        outcome=outcome,
        by_office=by_office,
        by_officer=by_officer,
        received_at=received_at,
        level=level,
        budget=budget,
        deadline=deadline,
        finished_at=onward if holds else None,
        result=judge(onward, deadline, at) if holds else None,
        used_seconds=used,
        missing=missing,
        extra=extra,
    )
