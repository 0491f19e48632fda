"""Procedures (thủ tục hành chính): published in versions, each effective from a date.

A version fixes the route of levels, each level's time budget with its day type (working days or
calendar days — never converted silently), which levels may decide, the legal basis and, if its
sector's text sets one, the receipt cut-off (giờ chốt tiếp nhận: a dossier received after it counts
from the next working day) with the text that sets it; a version without one has no cut-off. A
version stays effective until the next version's effective date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING, Any

from domain.errors import RegistryConflict, UnknownProcedure
from domain.instant import parse_date
from domain.signed import SignedAggregate, pin_topics
from domain.statement import Entry

DAY_TYPES = ("working", "calendar")


@dataclass(frozen=True)
class Budget:
    level: str
    days: int | None  # None when the legal text states no time for this level
    day_type: str
    note: str


@dataclass(frozen=True)
class Cutoff:
    """A receipt cut-off: a dossier received after `at` (Vietnam time; `at` itself is not after
    it) counts as received on the next working day. `source` is the text that sets it."""

    at: time
    source: str

    @property
    def text(self) -> str:
        """HH:MM, as the statement carries it."""
        return f"{self.at:%H:%M}"


@dataclass(frozen=True)
class ProcedureVersion:
    version: int
    name_vi: str
    name_en: str
    national_code: str
    route: tuple[Budget, ...]
    decides: tuple[str, ...]
    legal_basis: str
    effective: date
    cutoff: Cutoff | None = None  # None: no cut-off (versions published without one)
    # why a budget of this version could not be confirmed; "" when its legal basis confirms them
    # (every version published without the field)
    provisional: str = ""

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(step.level for step in self.route)


class Procedure(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        versions: list[dict[str, Any]]

    class Published(SignedAggregate.Created):
        TOPIC = "lienthong.procedure.Published.v1"
        procedure: str
        version: dict[str, Any]

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = self.procedure
            aggregate.versions = [*getattr(aggregate, "versions", []), self.version]

    class Republished(SignedAggregate.Event):
        TOPIC = "lienthong.procedure.Republished.v1"
        version: dict[str, Any]

        def effect(self, aggregate: Any) -> None:
            aggregate.versions.append(self.version)

    @classmethod
    def publish_first(cls, entry: Entry) -> Procedure:
        version = dict(entry.statement.body)
        if version["version"] != 1:
            raise RegistryConflict(
                f"procedure {entry.statement.subject}: the first published version must be 1, "
                f"not {version['version']}"
            )
        return cls._start(cls.Published, entry, procedure=entry.statement.subject, version=version)

    def publish(self, entry: Entry) -> None:
        version = dict(entry.statement.body)
        latest = self.versions[-1]
        if version["version"] != latest["version"] + 1:
            raise RegistryConflict(
                f"procedure {self.subject}: the next version must be {latest['version'] + 1}, "
                f"not {version['version']}"
            )
        if parse_date(version["effective"]) <= parse_date(latest["effective"]):
            raise RegistryConflict(
                f"procedure {self.subject}: version {version['version']} must take effect after "
                f"version {latest['version']} ({latest['effective']})"
            )
        self._continue(self.Republished, entry, version=version)

    def get_version(self, number: int) -> ProcedureVersion:
        for body in self.versions:
            if body["version"] == number:
                return _version(body)
        raise UnknownProcedure(f"procedure {self.subject} has no version {number}")

    def effective_on(self, day: date) -> ProcedureVersion | None:
        current: ProcedureVersion | None = None
        for body in self.versions:
            if parse_date(body["effective"]) <= day:
                current = _version(body)
        return current

    def require_effective(self, number: int, day: date) -> ProcedureVersion:
        wanted = self.get_version(number)
        current = self.effective_on(day)
        if current is None or current.version != number:
            now = f"version {current.version}" if current else "no version"
            raise UnknownProcedure(
                f"procedure {self.subject} version {number} is not in effect on {day.isoformat()} "
                f"({now} is); sign with the version in effect"
            )
        return wanted


def _version(body: dict[str, Any]) -> ProcedureVersion:
    return ProcedureVersion(
        version=body["version"],
        name_vi=body["name_vi"],
        name_en=body["name_en"],
        national_code=body.get("national_code", ""),
        route=tuple(
            Budget(step["level"], step.get("days"), step["day_type"], step.get("note", ""))
            for step in body["route"]
        ),
        decides=tuple(body["decides"]),
        legal_basis=body["legal_basis"],
        effective=parse_date(body["effective"]),
        cutoff=_cutoff(body.get("cutoff")),
        provisional=body.get("provisional", ""),
    )


def _cutoff(body: dict[str, Any] | None) -> Cutoff | None:
    if body is None:
        return None
    return Cutoff(time.fromisoformat(body["time"]), body["source"])


pin_topics(Procedure)
