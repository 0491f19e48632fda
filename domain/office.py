"""Offices (cơ quan / đơn vị): an effective-dated hierarchy of any depth and any level names.

An office is established on a date, may be renamed and reparented, and ends when it is merged into
a successor or dissolved. `ended` is the first date on which it no longer exists, so an office
whose last day was 30/6/2025 has `ended == 1/7/2025`.

Who takes over the dossiers an ended office held or was sent can depend on their procedure: a
merger or a dissolution may name a successor per procedure (`by_procedure`; DOLISA's split on
1/3/2025: merit to Home Affairs, social protection to Health), and a dissolution may pass the
dossiers of every other procedure back to the office that received them (`others_to`:
"receiving-office"; the districts on 1/7/2025, whose work went to the communes).

An office may carry its electronic agency identifier (mã định danh điện tử, e.g. 000.00.01.H59),
the first part of the code of every dossier it receives (domain/identifier.py): given when it is
established or renamed, effective from the statement's date, so a reorganisation that renames an
office can give it a new identifier. `agency_on(day)` is the one in force; an office with none
registered has its office id stand for it in dossier codes (`code_agency_on`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import OfficeNotActive, RegistryConflict
from domain.instant import parse_date
from domain.signed import SignedAggregate, pin_topics
from domain.statement import Entry

T = TypeVar("T")


class Office(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        level: str
        established: date
        ended: date | None
        successor: str | None
        by_procedure: dict[str, str]
        others_to: str | None
        names: list[tuple[date, str]]
        parents: list[tuple[date, str | None]]
        agencies: list[tuple[date, str]]

    class Established(SignedAggregate.Created):
        TOPIC = "lienthong.office.Established.v1"
        office: str
        name: str
        level: str
        parent: str | None
        effective: str
        agency: str | None = None  # None on events stored before, and when none is given

        def effect(self, aggregate: Any) -> None:
            day = parse_date(self.effective)
            aggregate.agencies = [(day, self.agency)] if self.agency else []
            aggregate.subject = self.office
            aggregate.level = self.level
            aggregate.established = day
            aggregate.ended = None
            aggregate.successor = None
            aggregate.by_procedure = {}
            aggregate.others_to = None
            aggregate.names = [(day, self.name)]
            aggregate.parents = [(day, self.parent)]

    class Renamed(SignedAggregate.Event):
        TOPIC = "lienthong.office.Renamed.v1"
        name: str
        effective: str
        agency: str | None = None  # a new agency identifier from `effective`; None: unchanged

        def effect(self, aggregate: Any) -> None:
            aggregate.names.append((parse_date(self.effective), self.name))
            if self.agency:
                agencies = getattr(aggregate, "agencies", None)
                if agencies is None:
                    agencies = aggregate.agencies = []
                agencies.append((parse_date(self.effective), self.agency))

    class Reparented(SignedAggregate.Event):
        TOPIC = "lienthong.office.Reparented.v1"
        parent: str | None
        effective: str

        def effect(self, aggregate: Any) -> None:
            aggregate.parents.append((parse_date(self.effective), self.parent))

    class Merged(SignedAggregate.Event):
        TOPIC = "lienthong.office.Merged.v1"
        successor: str
        effective: str
        # procedure -> the office its dossiers pass to instead; None on events stored before
        by_procedure: dict[str, str] | None = None

        def effect(self, aggregate: Any) -> None:
            aggregate.ended = parse_date(self.effective)
            aggregate.successor = self.successor
            aggregate.by_procedure = dict(self.by_procedure or {})

    class Dissolved(SignedAggregate.Event):
        TOPIC = "lienthong.office.Dissolved.v1"
        effective: str
        by_procedure: dict[str, str] | None = None  # as for Merged
        others_to: str | None = None  # "receiving-office" or None (nobody takes them over)

        def effect(self, aggregate: Any) -> None:
            aggregate.ended = parse_date(self.effective)
            aggregate.by_procedure = dict(self.by_procedure or {})
            aggregate.others_to = self.others_to

    # --- commands ------------------------------------------------------------------------

    @classmethod
    def establish(cls, entry: Entry, parent: Office | None) -> Office:
        body = entry.statement.body
        effective = parse_date(body["effective"])
        if parent is not None:
            parent.require_active(effective)
        return cls._start(
            cls.Established,
            entry,
            office=entry.statement.subject,
            name=body["name"],
            level=body["level"],
            parent=body.get("parent"),
            effective=body["effective"],
            **_agency(body),
        )

    def rename(self, entry: Entry) -> None:
        body = entry.statement.body
        self.require_active(self._not_before_last_change(body["effective"]))
        self._continue(
            self.Renamed, entry, name=body["name"], effective=body["effective"], **_agency(body)
        )

    def reparent(self, entry: Entry, parent: Office | None, ancestors: list[str]) -> None:
        body = entry.statement.body
        effective = self._not_before_last_change(body["effective"])
        self.require_active(effective)
        if parent is not None:
            parent.require_active(effective)
            if self.subject in ancestors or parent.subject == self.subject:
                raise RegistryConflict(
                    f"office {self.subject} cannot be placed under {parent.subject}: "
                    f"{parent.subject} is inside {self.subject}'s own subtree"
                )
        self._continue(
            self.Reparented, entry, parent=body.get("parent"), effective=body["effective"]
        )

    def merge_into(
        self, entry: Entry, successor: Office, by_procedure: Mapping[str, Office] | None = None
    ) -> None:
        """`office.merged`; `by_procedure`: the successor of the dossiers of each procedure
        named in the statement, where it is not `successor`."""
        body = entry.statement.body
        effective = self._not_before_last_change(body["effective"])
        self.require_active(effective)
        if successor.subject == self.subject:
            raise RegistryConflict(f"office {self.subject} cannot be merged into itself")
        successor.require_active(effective)
        fields: dict[str, Any] = {}
        if by_procedure:
            fields["by_procedure"] = self._successors_by_procedure(by_procedure, effective)
        self._continue(
            self.Merged, entry, successor=successor.subject, effective=body["effective"], **fields
        )

    def dissolve(self, entry: Entry, by_procedure: Mapping[str, Office] | None = None) -> None:
        body = entry.statement.body
        effective = self._not_before_last_change(body["effective"])
        self.require_active(effective)
        fields: dict[str, Any] = {}
        if by_procedure:
            fields["by_procedure"] = self._successors_by_procedure(by_procedure, effective)
        if body.get("others_to"):
            fields["others_to"] = body["others_to"]
        self._continue(self.Dissolved, entry, effective=body["effective"], **fields)

    def _successors_by_procedure(
        self, by_procedure: Mapping[str, Office], effective: date
    ) -> dict[str, str]:
        for procedure, office in by_procedure.items():
            if office.subject == self.subject:
                raise RegistryConflict(
                    f"office {self.subject} cannot be its own successor for procedure {procedure}"
                )
            office.require_active(effective)
        return {procedure: office.subject for procedure, office in by_procedure.items()}

    # --- queries -------------------------------------------------------------------------

    def successor_for(self, procedure: str) -> str | None:
        """The office a dossier of `procedure` passes to once this one has ended: the one named
        for its procedure, else the successor it was merged into; None if dissolved with none
        (see `others_to` for the dossiers of other procedures)."""
        by_procedure: dict[str, str] = getattr(self, "by_procedure", None) or {}
        return by_procedure.get(procedure) or self.successor

    @property
    def passes_to_receiver(self) -> bool:
        """Whether, once dissolved, the dossiers of procedures it names no successor for pass
        back to the office that received them."""
        return getattr(self, "others_to", None) == "receiving-office"

    def active_on(self, day: date) -> bool:
        return self.established <= day and (self.ended is None or day < self.ended)

    def require_active(self, day: date) -> None:
        if not self.active_on(day):
            raise OfficeNotActive(
                f"office {self.subject} ({self.name_on(day)}) {self._span()}; "
                f"it was not active on {day.isoformat()}"
            )

    def name_on(self, day: date) -> str:
        return _as_of(self.names, day) or self.names[0][1]

    def parent_on(self, day: date) -> str | None:
        return _as_of(self.parents, day)

    def agency_on(self, day: date) -> str | None:
        """The electronic agency identifier in force on `day`; None if none was registered by
        then."""
        return _as_of(getattr(self, "agencies", None) or [], day)

    def code_agency_on(self, day: date) -> str:
        """What the codes of the dossiers this office receives on `day` begin with: its agency
        identifier, or its office id where it has none registered."""
        return self.agency_on(day) or self.subject

    def parents_from(self, day: date) -> set[str | None]:
        """The parent on `day` and every parent scheduled after it."""
        return {self.parent_on(day)} | {parent for since, parent in self.parents if since > day}

    def _span(self) -> str:
        if self.ended is None:
            return f"exists from {self.established.isoformat()}"
        how = f"merged into {self.successor}" if self.successor else "dissolved"
        return (
            f"existed from {self.established.isoformat()} and was {how} on {self.ended.isoformat()}"
        )

    def _not_before_last_change(self, text: str) -> date:
        day = parse_date(text)
        last = max(d for d, _ in self.names + self.parents)
        if day < last:
            raise RegistryConflict(
                f"office {self.subject}: a change effective {day.isoformat()} comes before the "
                f"change already effective {last.isoformat()}; changes must be in date order"
            )
        return day


def _agency(body: Mapping[str, Any]) -> dict[str, str]:
    """The event's agency field, only when the statement gives one (events stored before, and
    statements without one, carry none)."""
    return {"agency": body["agency"]} if body.get("agency") else {}


def _as_of(history: list[tuple[date, T]], day: date) -> T | None:
    value: T | None = None
    for since, item in history:
        if since <= day:
            value = item
    return value


pin_topics(Office)
