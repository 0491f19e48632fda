"""The simulator's world: office time, the registry as it stands on each day, and the plan of one
dossier's life as a list of acts (`Act`), drawn from a `random.Random` so a seed fixes everything.

A plan walks the procedure version's route level by level: received at a commune (perhaps a
supplement, perhaps withdrawn), handed over to each next level (perhaps refused and re-sent,
perhaps never acknowledged), decided at a level the version lets decide (perhaps after an apology
— the 2018 apology and new appointment, or for a dossier received from 15/9/2025 the apology and
request to extend the time of Circular 03/2025), and the result sent back to the receiving commune
and returned to the applicant. Nothing here writes to a ledger: `ledger/simulation/simulator.py`
signs and records the acts.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from domain.calendar import WorkCalendar
from domain.instant import MICROS, local_date, start_of
from domain.law import apology_kind
from domain.office import Office
from domain.procedure import Budget, ProcedureVersion
from ledger.views.sla import appointed_for

HOUR = 3600
WORKING_DAY = 8 * HOUR
COUNCIL = "council"  # the provincial medical council step: the province office stands in for it


def document(code: str, name: str) -> dict[str, Any]:
    """A document reference: its name and a digest derived from the dossier code (no content)."""
    return {"name": name, "sha256": hashlib.sha256(f"{code}|{name}".encode()).digest()}


class WorkingTime:
    """Office hours on working days, from the calendar: moving an instant by office time."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self._periods: dict[date, list[tuple[int, int]]] = {}

    def periods(self, day: date) -> list[tuple[int, int]]:
        """(opens, closes) instants of the day's office hours; none on a day off."""
        found = self._periods.get(day)
        if found is None:
            found = []
            if self.calendar.is_working_day(day):
                base = start_of(day)
                for opens, closes in self.calendar.office_hours:
                    found.append((base + _micros(opens), base + _micros(closes)))
            self._periods[day] = found
        return found

    def after(self, at: int, seconds: float) -> int:
        """The instant `seconds` of office time after `at`; `at` itself is first moved to the
        next office hour if it falls outside them. The result is always inside office hours."""
        left = int(seconds * MICROS)
        day = local_date(at)
        while True:
            for opens, closes in self.periods(day):
                start = max(at, opens)
                if start >= closes:
                    continue
                if left < closes - start:
                    return start + left
                left -= closes - start
                at = closes
            day += timedelta(days=1)


def _micros(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * MICROS


class OfficeMap:
    """The registry's offices, read once: which office stands for another on a day (following
    mergers), parents, the province and the communes of each day."""

    def __init__(self, offices: dict[str, Office]) -> None:
        self.offices = offices
        self._resolved: dict[tuple[str, date, str, str], str | None] = {}
        self._communes: dict[date, list[str]] = {}

    def resolve(
        self, office: str, day: date, procedure: str = "", receiver: str = ""
    ) -> str | None:
        """`office` if active on `day`, else the office that took over its dossiers of
        `procedure` (in turn, as the ledger's custody rules do: the successor named for the
        procedure, the one merged into, or back to `receiver` after a dissolution that says so);
        None if nobody did (or it is not yet established) by then."""
        key = (office, day, procedure, receiver)
        if key not in self._resolved:
            found: Office | None = self.offices[office]
            seen: set[str] = set()
            while found is not None and not found.active_on(day) and found.subject not in seen:
                seen.add(found.subject)
                ended = found.ended is not None and found.ended <= day
                following = found.successor_for(procedure)
                if following is None and found.passes_to_receiver:
                    following = receiver
                found = self.offices.get(following or "") if ended else None
            active = found is not None and found.active_on(day)
            self._resolved[key] = found.subject if active and found is not None else None
        return self._resolved[key]

    def level(self, office: str) -> str:
        return self.offices[office].level

    def parent(self, office: str, day: date) -> str | None:
        return self.offices[office].parent_on(day)

    def province(self, day: date) -> str:
        return next(o for o in self.by_level("province", day))

    def communes(self, day: date) -> list[str]:
        if day not in self._communes:
            self._communes[day] = self.by_level("commune", day)
        return self._communes[day]

    def by_level(self, level: str, day: date) -> list[str]:
        return sorted(
            subject
            for subject, office in self.offices.items()
            if office.level == level and office.active_on(day)
        )

    def agency(self, commune: str, day: date) -> str:
        """What the codes of the dossiers `commune` receives on `day` begin with: its agency
        identifier in the registry, or its office id where it has none (domain/office.py)."""
        return self.offices[commune].code_agency_on(day)


@dataclass(frozen=True)
class Act:
    """One statement to sign: `dispatch` is filled in when signing, for acknowledgements and
    refusals (the digest of the dossier's dispatch in transit)."""

    at: int
    kind: str
    subject: str
    office: str
    officer: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Knobs:
    """Probabilities and handling times; the defaults are the documented simulation."""

    supplement: float = 0.12
    withdraw: float = 0.02
    withdraw_after_supplement: float = 0.2
    reject: float = 0.04
    forget_ack: float = 0.008
    forget_ack_slow: float = 0.2
    late: float = 0.06
    late_slow: float = 0.7
    apology: float = 0.6
    refuse: float = 0.08
    collected: float = 0.97
    consult_council: float = 0.3


class Stranded(Exception):
    """The plan reached an office that no longer exists: the dossier is left where it is."""


@dataclass
class Plan:
    acts: list[Act] = field(default_factory=list)
    stranded: bool = False


class Planner:
    """Plans dossiers; `rosters(office, day)` gives the officers who sign for an office."""

    def __init__(
        self,
        rng: random.Random,
        offices: OfficeMap,
        hours: WorkingTime,
        rosters: Any,
        slow: set[str],
        knobs: Knobs | None = None,
    ) -> None:
        self.rng = rng
        self.offices = offices
        self.hours = hours
        self.rosters = rosters
        self.slow = slow
        self.knobs = knobs or Knobs()
        # each procedure's versions, for who may decide on a day (set by the simulator)
        self.versions: dict[str, list[ProcedureVersion]] = {}

    def deciders(self, procedure: str, version: ProcedureVersion, day: date) -> set[str]:
        """The levels that may decide a dossier received under `version` on `day`: its own, and
        those of the version in force that day (the ledger's rule across the reform)."""
        levels = set(version.decides)
        for later in self.versions.get(procedure, []):
            if later.effective <= day and later.version > version.version:
                levels = set(version.decides) | set(later.decides)
        return levels

    # --- one dossier ---------------------------------------------------------------------

    def plan(
        self, code: str, commune: str, at: int, procedure: str, version: ProcedureVersion
    ) -> Plan:
        """The acts of one dossier received at `commune` at `at`, in time order."""
        journey = _Journey(self, code, commune, at, version)
        try:
            journey.run(procedure)
        except Stranded:
            journey.plan.stranded = True
        return journey.plan

    def officer(self, office: str, day: date) -> str:
        roster: list[str] = self.rosters(office, day)
        if not roster:
            raise Stranded(office)
        return roster[0] if len(roster) == 1 else self.rng.choice(roster)

    def handling(self, office: str, budget: Budget | None) -> float:
        """Office seconds an office keeps a dossier at its level: mostly within the budget,
        over it often at a slow office."""
        days = budget.days if budget is not None and budget.days is not None else 3
        if budget is not None and budget.day_type == "calendar":
            days = max(1, days * 5 // 7)
        slow = office in self.slow
        if self.rng.random() < (self.knobs.late_slow if slow else self.knobs.late):
            factor = self.rng.uniform(1.5, 4.0) if slow else self.rng.uniform(1.1, 2.0)
        else:
            factor = self.rng.uniform(0.6 if slow else 0.15, 0.95)
        return max(1.0, days) * WORKING_DAY * factor

    def pause(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * HOUR


class _Journey:
    """The state of a dossier while its plan is drawn: who holds it, and when."""

    def __init__(
        self, planner: Planner, code: str, commune: str, at: int, version: ProcedureVersion
    ) -> None:
        self.p = planner
        self.rng = planner.rng
        self.code = code
        self.version = version
        self.receiver = commune
        self.holder = commune
        self.procedure = ""
        self.at = at
        self.received = local_date(at)
        self.plan = Plan()
        self.appointed = appointed_for(version, at, planner.hours.calendar)
        self.documents = [document(code, "Đơn đề nghị"), document(code, "Giấy xác nhận")]

    def act(self, kind: str, body: dict[str, Any], office: str | None = None) -> None:
        """Append a statement by `office` (the holder by default) at the current time, the
        office taken as the one standing for it that day."""
        day = local_date(self.at)
        acting = self.resolve(office or self.holder, day)
        if acting is None:
            raise Stranded(office or self.holder)
        officer = self.p.officer(acting, day)
        self.plan.acts.append(Act(self.at, kind, self.code, acting, officer, body))

    def resolve(self, office: str, day: date) -> str | None:
        """The office standing for `office` on `day` for this dossier."""
        return self.p.offices.resolve(office, day, self.procedure, self.receiver)

    def wait(self, seconds: float) -> None:
        self.at = self.p.hours.after(self.at, max(60.0, seconds))

    def run(self, procedure: str) -> None:
        self.procedure = procedure
        self.receive(procedure)
        if not self.at_reception():
            return
        route = self.version.route
        visited = [self.receiver]
        for step in route[1:]:
            if step.level == COUNCIL and self.rng.random() >= self.p.knobs.consult_council:
                continue
            self.wait(self.p.handling(self.holder, self.budget(self.holder)))
            target = self.target(step.level, visited)
            if target is None:  # the office now holding it took over this step
                continue
            purpose = "consult" if step.level == COUNCIL else "process"
            if not self.hand_over(target, purpose):
                return
            visited.append(target)
        if self.decide(visited):
            self.give_back()

    def receive(self, procedure: str) -> None:
        channel = self.rng.choices(("direct", "online", "postal"), (7, 2, 1))[0]
        body = {
            "procedure": procedure,
            "version": self.version.version,
            "applicant": hashlib.sha256(f"sim applicant|{self.code}".encode()).digest(),
            "channel": channel,
            "documents": self.documents,
            "appointed": self.appointed,
        }
        self.act("dossier.received", body)

    def at_reception(self) -> bool:
        """Supplement or withdrawal at the receiving commune; False if the dossier ends there."""
        knobs = self.p.knobs
        if self.rng.random() < knobs.supplement:
            self.wait(self.p.pause(1, 16))
            missing = self.rng.choice(("Giấy xác nhận của trưởng ấp", "Bản sao giấy khai sinh"))
            reason = f"Thiếu {missing.lower()}"
            self.act("dossier.supplement_requested", {"reason": reason, "missing": [missing]})
            self.wait(self.p.pause(8, 80))
            if self.rng.random() < knobs.withdraw_after_supplement:
                self.act("dossier.withdrawn", {"reason": "Người nộp không bổ sung, rút hồ sơ"})
                return False
            extra = document(self.code, missing)
            self.documents = [*self.documents, extra]
            self.act("dossier.supplement_received", {"documents": [extra]})
        elif self.rng.random() < knobs.withdraw:
            self.wait(self.p.pause(2, 40))
            self.act("dossier.withdrawn", {"reason": "Người nộp rút hồ sơ"})
            return False
        return True

    def budget(self, office: str) -> Budget | None:
        level = self.p.offices.level(office)
        return next((step for step in self.version.route if step.level == level), None)

    def target(self, level: str, visited: list[str]) -> str | None:
        """The office a route level means for this dossier on the current day; None when the
        office holding it already stands for that level (it took the dossier over when its
        office ended)."""
        day = local_date(self.at)
        offices = self.p.offices
        holder = self.resolve(self.holder, day)
        if level == "province" and holder is not None and offices.level(holder) == "province":
            return None
        if level in ("province", COUNCIL):
            return offices.province(day)
        if level == "district":
            commune = next(o for o in reversed(visited) if offices.level(o) == "commune")
            parent = offices.parent(commune, day)
            if parent is None or offices.level(parent) != "district":
                raise Stranded(commune)
            if offices.resolve(parent, day) == parent:
                return parent
            # the district is gone: its step passes with the dossier to the commune that holds
            # it, or to the province's department, whose own step follows
            if self.resolve(parent, day) is None:
                raise Stranded(commune)
            return None
        here = offices.parent(self.receiver, day)
        holder = offices.resolve(self.holder, day)
        communes = [c for c in offices.communes(day) if c != holder]
        others = [c for c in communes if offices.parent(c, day) != here]
        return self.rng.choice(others or communes)

    def hand_over(self, target: str, purpose: str, documents: list[Any] | None = None) -> bool:
        """Dispatch to `target` (re-sent once after a refusal); False if never acknowledged. True
        at once, nothing dispatched, if the office `target` stands for already holds it."""
        knobs = self.p.knobs
        day = local_date(self.at)
        addressee = self.resolve(target, day)
        if addressee is None:
            raise Stranded(target)
        if self.already_with(addressee):
            return True
        sent = documents or self.documents
        self.act("handover.dispatched", {"to": addressee, "purpose": purpose, "documents": sent})
        slow = addressee in self.p.slow
        if self.rng.random() < knobs.reject:
            self.wait(self.p.pause(0.5, 6))
            reason = "Hồ sơ chưa có biên bản niêm yết công khai"
            self.act("handover.rejected", {"reason": reason}, office=addressee)
            self.wait(self.p.pause(4, 24))
            addressee = self.resolve(target, local_date(self.at)) or ""
            if not addressee:
                raise Stranded(target)
            if self.already_with(addressee):
                return True
            sent = [*sent, document(self.code, "Biên bản niêm yết công khai")]
            self.act(
                "handover.dispatched", {"to": addressee, "purpose": purpose, "documents": sent}
            )
        if self.rng.random() < (knobs.forget_ack_slow if slow else knobs.forget_ack):
            return False
        self.wait(self.p.pause(2, 20) if slow else self.p.pause(0.25, 6))
        self.act("handover.acknowledged", {"documents": sent}, office=addressee)
        self.holder = self.resolve(addressee, local_date(self.at)) or addressee
        return True

    def already_with(self, addressee: str) -> bool:
        """Whether `addressee` now stands for the office holding the dossier (the holder's office
        ended and its dossiers passed to it — a district's on 1/7/2025, to the commune it was to
        be returned to): then it holds the dossier, and nothing is handed over. An office never
        dispatches to itself (the ledger refuses it)."""
        if self.resolve(self.holder, local_date(self.at)) != addressee:
            return False
        self.holder = addressee
        return True

    def decide(self, visited: list[str]) -> bool:
        """The decision at a level the version lets decide; False if it never gets there."""
        day = local_date(self.at)
        holder = self.resolve(self.holder, day) or self.holder
        decides = self.p.deciders(self.procedure, self.version, day)
        if self.p.offices.level(holder) not in decides:
            deciders = [o for o in reversed(visited) if self.p.offices.level(o) in decides]
            if not deciders:
                raise Stranded(self.holder)
            self.wait(self.p.handling(self.holder, None) / 2)
            if not self.hand_over(deciders[0], "decide"):
                return False
        start = self.at
        self.wait(self.p.handling(self.holder, self.budget(self.holder)))
        self.apologise(start)
        refused = self.rng.random() < self.p.knobs.refuse
        body = {
            "outcome": "refused" if refused else "approved",
            "reference": f"QĐ {self.rng.randint(1, 9999)}/QĐ-UBND",
            "documents": [document(self.code, "Quyết định")],
        }
        self.act("dossier.decided", body)
        return True

    def apologise(self, start: int) -> None:
        """The apology slip (phiếu xin lỗi): if the decision will be late, the holder notifies a new
        appointed time on the appointed day, before it passes (sometimes) — on the form in use
        on the date of receipt (`apology_kind`)."""
        decided = self.at
        if decided <= self.appointed or self.rng.random() >= self.p.knobs.apology:
            return
        hours = self.p.hours
        notice = max(hours.after(start, 1800), hours.after(start_of(local_date(self.appointed)), 0))
        if not notice < min(decided, self.appointed):
            return
        later = self.p.hours.calendar.due(decided, self.rng.randint(1, 3), "working")
        self.at, resumed = notice, self.at
        kind = apology_kind(self.received)
        reason = (
            "Cần xác minh thêm, đề nghị gia hạn thời gian giải quyết"
            if kind == "dossier.extension_requested"
            else "Cần xác minh thêm, hẹn lại ngày trả kết quả"
        )
        self.act(kind, {"reason": reason, "appointed": later})
        self.at = resumed

    def give_back(self) -> None:
        """The decision back to the receiving commune, and the result to the applicant."""
        decision = [document(self.code, "Quyết định")]
        day = local_date(self.at)
        if self.resolve(self.holder, day) != self.resolve(self.receiver, day):
            self.wait(self.p.pause(1, 8))
            if not self.hand_over(self.receiver, "return", decision):
                return
        if self.rng.random() >= self.p.knobs.collected:
            return
        self.wait(self.p.pause(1, 40))
        channel = self.rng.choice(("direct", "direct", "postal"))
        self.act("dossier.result_returned", {"channel": channel})
