"""The officer's page for one dossier the office holds (`/can-bo/xu-ly/{code}`): what the dossier
is now, and a small form for each act its state allows this office — request a supplement,
record the supplement received, apologise (with a new appointment, or asking to extend the time),
record the decision, return the result, refuse the dossier at reception, stop its handling, record
that the applicant withdraws it.

Which acts are offered follows the guards of the Dossier aggregate (domain/dossier.py), read from
the aggregate itself: nothing is offered for a dossier that is closed, in transit or held by
another office; a supplement is requested and a decision recorded only while no supplement is
awaited, and a decision only at a level the procedure lets decide (the version it was received
under, or the one in force today: ledger/handlers.py); a refusal at reception only by the office
that received it, before any handover was taken in; an extension, a stop, a withdrawal or a refusal
only before the decision; the 2018 apology and new appointment once; the return only after the
decision. The ledger still judges every statement: an act offered on a page loaded before another
officer changed the dossier is refused in the officer's words.

The apology is the one of the form in use on the dossier's date of receipt (`apology_kind`,
domain/law.py; docs/law.md, "Re-appointment"): before 15/9/2025 the apology and new appointment of
Circular 01/2018 (`dossier.delay_notified`, once per dossier), from then the apology and request to
extend the time of Circular 03/2025 (`dossier.extension_requested`). The ledger refuses neither by
date; the page offers only the one whose form the dossier is handled on.

The notices to the applicant carry the name and number of their form as the law in force on the
dossier's date of receipt gives them (domain/law.py): "Mẫu số 03 …" of Circular 01/2018 or
03/2025, and a stop notice — which the 2018 forms did not have — by its name alone.

Each form is signed in the browser like the desk's other acts (api/http/static/acts.js, through
officer.js and the /can-bo/ky/ endpoints); after signing, the page comes back with `?da-ky=<seq>`
and says what was recorded, from the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.http.access import ServicesDep
from api.http.services import Services
from api.http.web.pages import language, office_name, render, when
from api.http.web.receipt import may_see_receipt
from api.http.web.session import caller
from api.http.web.words import say
from api.texts import kind_label
from domain.dossier import CHANNELS, OUTCOMES, Dossier
from domain.errors import DomainError
from domain.identifier import is_identifier
from domain.instant import local_date, to_datetime
from domain.law import REGIMES, FormType, NoSuchForm, Regime, apology_kind, regime_on
from ledger.application import Ledger, StoredEntry
from ledger.stores.tokens import Token
from ledger.views.tables import Location

router = APIRouter(include_in_schema=False)

# the acts of this page, in the order it offers them: handling first, then the ends
ACTS = (
    "dossier.supplement_requested",
    "dossier.supplement_received",
    "dossier.delay_notified",
    "dossier.extension_requested",
    "dossier.decided",
    "dossier.result_returned",
    "dossier.refused",
    "dossier.stopped",
    "dossier.withdrawn",
)
# the acts that are notices on a one-stop form, by the form's type
FORMS = {
    "dossier.supplement_requested": FormType.SUPPLEMENT,
    "dossier.delay_notified": FormType.APOLOGY,
    "dossier.extension_requested": FormType.APOLOGY,
    "dossier.refused": FormType.REFUSAL,
    "dossier.stopped": FormType.STOP_NOTICE,
}


def deciding_levels(ledger: Ledger, dossier: Dossier, day: date) -> tuple[str, ...]:
    """The levels that may decide the dossier on `day`: those of the version it was received
    under, and those of the version in force that day (as ledger/handlers.py judges a decision)."""
    procedure = ledger.procedure(dossier.procedure)
    version = procedure.get_version(dossier.procedure_version)
    in_force = procedure.effective_on(day)
    if in_force is None or in_force.version == version.version:
        return version.decides
    return tuple(dict.fromkeys((*version.decides, *in_force.decides)))


def holder(services: Services, location: Location, now: int) -> str | None:
    """The office that holds the dossier now: its custodian, or the office that took over the
    dossiers of a custodian that has ended (`Inspector.taken_over_by`)."""
    if location.custodian is None:
        return None
    return services.inspector().taken_over_by(
        location.custodian, location.procedure, location.received_by, local_date(now)
    )


def allowed_acts(
    ledger: Ledger,
    dossier: Dossier,
    office: str,
    at: int,
    received: date,
    holder: str | None = None,
) -> tuple[str, ...]:
    """The acts of this page `office` may sign on `dossier` at `at`, by the aggregate's guards.
    An office holds the dossier (custodian: none while it is in transit) and it is open, or
    nothing is allowed; the office holding a dossier never taken in elsewhere is the one that
    received it, so the refusal at reception needs no other check of who signs. Of the two
    apologies, only the one of the form in use on `received`, the (civil) date of receipt; the
    2018 one, like the aggregate, while the dossier has none and whether or not it is decided."""
    if dossier.closed is not None or (holder or dossier.custodian) != office:
        return ()
    undecided = dossier.decided is None
    suspended = dossier.suspended
    apology = apology_kind(received)
    may = {
        "dossier.supplement_requested": undecided and not suspended,
        "dossier.supplement_received": suspended,
        "dossier.delay_notified": apology == "dossier.delay_notified"
        and not dossier.delay_notified,
        "dossier.extension_requested": undecided and apology == "dossier.extension_requested",
        "dossier.decided": undecided
        and not suspended
        and ledger.office(office).level in deciding_levels(ledger, dossier, local_date(at)),
        "dossier.result_returned": not undecided,
        "dossier.refused": undecided and "acknowledged" not in dossier.settled.values(),
        "dossier.stopped": undecided,
        "dossier.withdrawn": undecided,
    }
    return tuple(kind for kind in ACTS if may[kind])


@dataclass(frozen=True)
class Act:
    """One act as the page shows it: its statement kind, its heading (the form's label by the
    date of receipt, or the act's name), and whether the regime of the date of receipt has a
    numbered form for it."""

    kind: str
    title: str
    numbered: bool


def act_shown(kind: str, regime: Regime, lang: str) -> Act:
    form_type = FORMS.get(kind)
    if form_type is None:
        return Act(kind, say("acts_" + kind.removeprefix("dossier."), lang), True)
    try:
        return Act(kind, regime.form(form_type).label(lang), True)
    except NoSuchForm:  # a stop notice before 15/9/2025: by the name of the latest regime's form
        return Act(kind, REGIMES[-1].form(form_type).name(lang), False)


def local_input(at: int) -> str:
    """An instant as a datetime-local field writes it, in Asia/Ho_Chi_Minh."""
    return f"{to_datetime(at):%Y-%m-%dT%H:%M}"


def _refused(request: Request, status: int, problem: str, token: Token) -> HTMLResponse:
    return render(request, "acts.html", status, problem=problem, token=token)


@router.get("/can-bo/xu-ly/{code:path}")
def acts_page(
    code: str,
    request: Request,
    services: ServicesDep,
    signed: str | None = Query(None, alias="da-ky"),
) -> HTMLResponse:
    """The dossier's state and the acts it allows the officer's office now; with `da-ky`, what
    the office has just signed on it."""
    token = caller(request, services)
    lang = language(request)
    if token.role != "officer" or token.office is None:
        return _refused(request, 403, say("forbidden", lang), token)
    if not is_identifier(code):
        return _refused(request, 422, say("bad_code", lang), token)
    if signed is not None and not (
        len(signed) <= 12 and signed.isascii() and signed.isdigit() and int(signed) > 0
    ):
        return _refused(request, 400, say("acts_bad_signed", lang, value=signed), token)
    office, now = token.office, services.clock.now()
    try:
        dossier = services.ledger.dossier(code)
    except DomainError:
        return _refused(request, 404, say("acts_unknown", lang, code=code), token)
    if dossier.transit is not None:
        sender = office_name(services, dossier.transit.sender, now)
        addressee = office_name(services, dossier.transit.addressee, now)
        problem = say("acts_in_transit", lang, code=code, sender=sender, addressee=addressee)
        return _refused(request, 403, problem, token)
    holding = services.inspector().taken_over_by(
        dossier.custodian or "", dossier.procedure, dossier.received_by, local_date(now)
    )
    if holding != office:
        holder = office_name(services, dossier.custodian, now)
        return _refused(request, 403, say("acts_not_held", lang, code=code, holder=holder), token)
    history = services.ledger.history("dossier", code)
    received_at = history[0].statement.at
    regime = regime_on(local_date(received_at))
    version = services.ledger.procedure(dossier.procedure).get_version(dossier.procedure_version)
    return render(
        request,
        "acts.html",
        problem=None,
        token=token,
        code=code,
        procedure_label=version.name_en if lang == "en" else version.name_vi,
        received=say(
            "acts_received_at",
            lang,
            when=when(received_at),
            office=office_name(services, dossier.received_by, received_at),
        ),
        holder=office_name(services, office, now),
        # the receipt printed again, for the office that received the dossier (or took it over)
        receipt=may_see_receipt(services, token, dossier.received_by, dossier.procedure),
        state=_state(dossier, lang),
        appointed=dossier.appointed,
        appointed_input=local_input(dossier.appointed),
        forms_by=say(
            "acts_forms_by",
            lang,
            day=f"{local_date(received_at):%d/%m/%Y}",
            basis=regime.legal_basis(FormType.RECEIPT, lang),
        ),
        acts=[
            act_shown(kind, regime, lang)
            for kind in allowed_acts(
                services.ledger, dossier, office, now, local_date(received_at), holding
            )
        ],
        outcomes=OUTCOMES,
        channels=CHANNELS,
        confirmation=_confirmation(history, office, signed, regime, lang),
    )


def _state(dossier: Dossier, lang: str) -> str:
    if dossier.closed is not None:
        return say("ended_" + dossier.closed, lang)
    if dossier.decided is not None:
        outcome = say("acts_outcome_" + dossier.decided, lang)
        return say("acts_state_decided", lang, outcome=outcome)
    return say("acts_state_suspended" if dossier.suspended else "acts_state_held", lang)


def _confirmation(
    history: list[StoredEntry],
    office: str,
    signed: str | None,
    regime: Regime,
    lang: str,
) -> str | None:
    """What the office signed as the dossier's statement `signed`, from the ledger; None when
    nothing is asked or that statement is not this office's."""
    if signed is None:
        return None
    seq = int(signed)
    entry = next((e for e in history if e.statement.seq == seq), None)
    if entry is None or entry.statement.office != office:
        return None
    statement = entry.statement
    if statement.kind in ACTS:
        what = act_shown(statement.kind, regime, lang).title
    else:
        what = kind_label(statement.kind, lang)
    return say("acts_signed", lang, what=what, when=when(statement.at), seq=seq)
