"""`seed travinh`: the real offices of Trà Vinh before and after the 1/7/2025 reform, and the
thirteen cross-level procedures, as registry statements signed by the authority.

Data files ship in ledger/reference/data (sources and licence in ledger/reference/data/SOURCES.md). Seeding is
idempotent: a subject already in the registry is left as it is.
Office ids are the GSO codes of the 2020 file; units of 1/7/2025 that reuse a code get the id
`<code>/2025`, since the code alone names two different units across the reform.
Every office is established with an electronic agency identifier (`agencies`), the first part of
the codes of the dossiers it receives: made up in the pattern of Trà Vinh's identifiers, not the
province's published list (ledger/reference/data/SOURCES.md).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from ledger.application import Ledger
from ledger.statements.authoring import Signer

# The 2020 file leaves establishment dates empty: the data has not changed since at least 2020;
# the seed dates the hierarchy from 1/1/2019 (docs/law.md, "The 2025 reform of units").
SEED_SINCE = "2019-01-01"
REFORM = "2025-07-01"
NEW_PROVINCE = ("86", "Tỉnh Vĩnh Long")
# Nghị quyết 1277/NQ-UBTVQH15, effective 1/1/2025: Phường 2 and Phường 6 merged into Phường 3.
EARLY_MERGERS = {"29245": "29242", "29251": "29242"}
# When each procedure's legal basis took effect (dates recalled; see ledger/reference/data/SOURCES.md).
BASIS_EFFECTIVE = {
    "Decree 20/2021": "2021-07-01",
    "Decree 131/2021": "2022-02-15",
    "Circular 01/2019": "2019-02-20",
}
# The province's departments of the seeded procedures' sectors (docs/law.md, "DOLISA's split"):
# the Department of Labour, Invalids and Social Affairs until 28/2/2025; from 1/3/2025 merit and
# labour with the Department of Home Affairs, social protection and children with the Department
# of Health; from 1/7/2025 the same departments of the new province.
DOLISA = ("84/sldtbxh", "Sở Lao động - Thương binh và Xã hội tỉnh Trà Vinh")
DEPARTMENTS = {
    "home-affairs": (("84/snv", "Sở Nội vụ tỉnh Trà Vinh"), ("86/snv", "Sở Nội vụ tỉnh Vĩnh Long")),
    "health": (("84/syt", "Sở Y tế tỉnh Trà Vinh"), ("86/syt", "Sở Y tế tỉnh Vĩnh Long")),
}
DOLISA_SPLIT = "2025-03-01"
# a procedure's sector by its legal basis: merit to Home Affairs, everything else (social
# protection, disability) to Health
SECTORS = {"Decree 131/2021": "home-affairs"}
DECIDING_LEVELS = {
    "district chairman": ["district"],
    "district office": ["district"],
    "chairman of the new district": ["district"],
    "province department": ["province"],
    "head of facility": ["province"],
    "commune chairman": ["commune"],
}
_BUDGET = re.compile(r"(\d+)\s*(WD|days?)")
# Electronic agency identifiers (docs/law.md, "The dossier code"): four groups, the area's code
# last, as Trà Vinh's are (the province itself 000.00.00.H59). The offices the demo receives at
# keep the identifiers the demo's dossier codes have always carried.
AREA = "H59"
DEMO_AGENCIES = {"29266": "000.00.01.H59", "29269": "000.00.02.H59", "29266/2025": "000.66.29.H59"}


@dataclass(frozen=True)
class SeedReport:
    recorded: int
    skipped: int


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ledger.reference").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _day_after(text: str) -> str:
    return (date.fromisoformat(text) + timedelta(days=1)).isoformat()


def agencies() -> dict[str, str]:
    """The agency identifier of every office the seed establishes, by office id. Before the
    reform: the province 000.00.00.H59, its districts 000.00.10.H59 … 000.00.18.H59 and
    departments 000.00.20.H59 … in the order of their codes, and each commune
    000.<its number in its district>.<its district's>.H59. From 1/7/2025: the new province
    000.00.40.H59 and its departments 000.00.41.H59 …, and each new commune
    000.<the last two digits of its code>.29.H59 (.30. from code 29500, so that no two share
    one). The offices the demo receives at keep the demo's (DEMO_AGENCIES)."""
    old = _rows("tra_vinh_units_2020.csv")
    new = _rows("tra_vinh_units_2025.csv")
    found: dict[str, str] = {}
    districts = sorted(row["code"] for row in old if row["level"] == "district")
    tier = {code: f"{10 + n:02d}" for n, code in enumerate(districts)}
    for row in old:
        if row["level"] == "province":
            found[row["code"]] = f"000.00.00.{AREA}"
        elif row["level"] == "district":
            found[row["code"]] = f"000.00.{tier[row['code']]}.{AREA}"
    for n, (subject, _name) in enumerate((DOLISA, *(pair[0] for pair in DEPARTMENTS.values()))):
        found[subject] = f"000.00.{20 + n:02d}.{AREA}"
    for district in districts:
        communes = sorted(row["code"] for row in old if row["parent_code"] == district)
        for n, code in enumerate(communes, start=1):
            found[code] = f"000.{n:02d}.{tier[district]}.{AREA}"
    found[NEW_PROVINCE[0]] = f"000.00.40.{AREA}"
    for n, (_before, (after, _name)) in enumerate(DEPARTMENTS.values(), start=1):
        found[after] = f"000.00.{40 + n:02d}.{AREA}"
    kept = {row["code"] for row in old if not row["valid_to"]}  # they keep their identifiers
    for row in new:
        code = row["code"]
        if row["formed_from"].split(";") != [code] or code not in kept:
            found[f"{code}/2025"] = f"000.{code[-2:]}.{29 if int(code) < 29500 else 30}.{AREA}"
    return {**found, **DEMO_AGENCIES}


def office_statements() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, office id, body) for the whole Trà Vinh hierarchy, in an order that can be recorded."""
    old = _rows("tra_vinh_units_2020.csv")
    new = _rows("tra_vinh_units_2025.csv")
    agency = agencies()
    for row in old:
        body: dict[str, Any] = {
            "name": row["name"],
            "level": row["level"],
            "effective": row["valid_from"] or SEED_SINCE,
            "agency": agency[row["code"]],
        }
        if row["parent_code"]:
            body["parent"] = row["parent_code"]
        yield "office.established", row["code"], body
    for subject, name in (DOLISA, *(pair[0] for pair in DEPARTMENTS.values())):
        yield (
            "office.established",
            subject,
            {
                "name": name,
                "level": "province",
                "parent": "84",
                "effective": SEED_SINCE,
                "agency": agency[subject],
            },
        )
    for code, successor in EARLY_MERGERS.items():
        ended = next(row["valid_to"] for row in old if row["code"] == code)
        yield "office.merged", code, {"successor": successor, "effective": _day_after(ended)}
    yield "office.merged", DOLISA[0], _dolisa_split()
    province, name = NEW_PROVINCE
    yield (
        "office.established",
        province,
        {"name": name, "level": "province", "effective": REFORM, "agency": agency[province]},
    )
    for (before, _name), (after, name) in DEPARTMENTS.values():
        yield (
            "office.established",
            after,
            {
                "name": name,
                "level": "province",
                "parent": province,
                "effective": REFORM,
                "agency": agency[after],
            },
        )
        yield "office.merged", before, {"successor": after, "effective": REFORM}
    kept = {row["code"] for row in old if not row["valid_to"]}
    for row in new:
        formed_from = row["formed_from"].split(";")
        if formed_from == [row["code"]] and row["code"] in kept:
            yield (
                "office.reparented",
                row["code"],
                {"parent": row["parent_code"], "effective": row["valid_from"]},
            )
            continue
        new_id = f"{row['code']}/2025"
        yield (
            "office.established",
            new_id,
            {
                "name": row["name"],
                "level": row["level"],
                "parent": row["parent_code"],
                "effective": row["valid_from"],
                "agency": agency[new_id],
            },
        )
        for predecessor in formed_from:
            yield (
                "office.merged",
                predecessor,
                {"successor": new_id, "effective": row["valid_from"]},
            )
    for row in old:
        if row["level"] == "district":
            yield "office.dissolved", row["code"], _district_dissolved(_day_after(row["valid_to"]))
    top = next(row for row in old if row["level"] == "province")
    yield (
        "office.merged",
        top["code"],
        {"successor": province, "effective": _day_after(top["valid_to"])},
    )


def _sector(row: dict[str, str]) -> str:
    return next(
        (sector for basis, sector in SECTORS.items() if row["legal_basis"].startswith(basis)),
        "health",
    )


def _dolisa_split() -> dict[str, Any]:
    """DOLISA merged into the Department of Home Affairs on 1/3/2025, its social-protection
    dossiers passing to the Department of Health."""
    health = DEPARTMENTS["health"][0][0]
    return {
        "successor": DEPARTMENTS["home-affairs"][0][0],
        "effective": DOLISA_SPLIT,
        "by_procedure": [
            {"procedure": row["key"], "successor": health}
            for row in _rows("procedures.csv")
            if _sector(row) == "health"
        ],
    }


def _district_dissolved(effective: str) -> dict[str, Any]:
    """A district dissolved on 1/7/2025: the dossiers of a procedure the province decides from
    then pass to its sector's department of the new province; every other one goes back to the
    commune that received it, which decides it now."""
    by_procedure = []
    for row in _rows("procedures.csv"):
        versions = procedure_versions(row)
        if len(versions) > 1 and "province" in versions[-1]["decides"]:
            department = DEPARTMENTS[_sector(row)][1][0]
            by_procedure.append({"procedure": row["key"], "successor": department})
    return {"effective": effective, "by_procedure": by_procedure, "others_to": "receiving-office"}


def parse_budget(text: str) -> tuple[int | None, str]:
    """Total days and their type from a budget cell such as "7 WD review + 3 WD to forward"."""
    parts = _BUDGET.findall(text)
    if not parts:
        return None, "working"
    types = {"working" if unit == "WD" else "calendar" for _n, unit in parts}
    if len(types) > 1:
        raise ValueError(f"budget {text!r} mixes working and calendar days")
    return sum(int(n) for n, _unit in parts), types.pop()


def _route(row: dict[str, str]) -> list[dict[str, Any]]:
    levels = [
        re.sub(r"\(.*?\)", "", step).strip()
        for step in re.sub(r"\s*\(>.*\)", "", row["route"]).split(">")
    ]
    steps = [_step(level, row.get(f"{level}_budget", "")) for level in levels]
    if "medical council" in row["route"]:
        steps.append(
            _step(
                "council", row["province_budget"], "only when the commune council cannot conclude"
            )
        )
    return steps


def _step(level: str, text: str, note: str = "") -> dict[str, Any]:
    days, day_type = parse_budget(text)
    step: dict[str, Any] = {"level": level, "day_type": day_type}
    if days is not None:
        step["days"] = days
    if text or note:
        step["note"] = "; ".join(part for part in (text, note) if part)
    return step


def procedure_versions(row: dict[str, str]) -> list[dict[str, Any]]:
    """Version 1 as the legal basis reads; for a procedure routed through a district, version 2
    as reformed on 1/7/2025 (procedures_2025.csv: no district, its legal basis and, where a budget
    could not be confirmed, why it is provisional)."""
    basis = next(
        date for prefix, date in BASIS_EFFECTIVE.items() if row["legal_basis"].startswith(prefix)
    )
    first: dict[str, Any] = {
        "version": 1,
        "name_vi": row["name_vi"],
        "name_en": row["name_en"],
        "route": _route(row),
        "decides": DECIDING_LEVELS[row["decides"]],
        "legal_basis": row["legal_basis"],
        "effective": basis,
    }
    if row["national_code"]:
        first["national_code"] = row["national_code"]
    reformed = _reformed().get(row["key"])
    if not any(step["level"] == "district" for step in first["route"]):
        return [first]
    if reformed is None:
        raise ValueError(
            f"procedure {row['key']} is routed through a district and has no version from "
            f"{REFORM} in procedures_2025.csv"
        )
    return [first, _reformed_version(first, reformed)]


def _reformed() -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in _rows("procedures_2025.csv")}


def _reformed_version(first: dict[str, Any], row: dict[str, str]) -> dict[str, Any]:
    """The version a row of procedures_2025.csv publishes: its route is written
    "level: budget > level: budget", a level's budget optional, its annotation in brackets
    ("commune (old)") dropped."""
    route = []
    for part in row["route"].split(">"):
        level, _colon, budget = part.partition(":")
        which = re.search(r"\((.*?)\)", level)
        route.append(
            _step(
                re.sub(r"\(.*?\)", "", level).strip(),
                budget.strip(),
                f"the {which.group(1)} {level[: which.start()].strip()}" if which else "",
            )
        )
    version: dict[str, Any] = {
        **first,
        "version": 2,
        "route": route,
        "decides": row["decides"].split(";"),
        "legal_basis": row["legal_basis"],
        "effective": row["effective"],
    }
    if row["provisional"]:
        version["provisional"] = row["provisional"]
    return version


def seed_travinh(
    ledger: Ledger, authority: Signer, progress: Callable[[int], None] | None = None
) -> SeedReport:
    """Record the Trà Vinh registry; subjects already present are skipped."""
    recorded = skipped = 0
    # procedures first: the registry's mergers and dissolutions name them
    for row in _rows("procedures.csv"):
        versions = procedure_versions(row)
        published = ledger.head("procedure", row["key"])[0]
        for version in versions[published:]:
            authority.record("procedure.published", row["key"], version)
            recorded += 1
        skipped += min(published, len(versions))
        if progress:
            progress(1)
    for kind, subject, body in office_statements():
        if _already(ledger, kind, subject, body):
            skipped += 1
        else:
            authority.record(kind, subject, body)
            recorded += 1
        if progress:
            progress(1)
    return SeedReport(recorded, skipped)


def _already(ledger: Ledger, kind: str, subject: str, body: dict[str, Any]) -> bool:
    if ledger.head("office", subject)[0] == 0:
        return False
    office = ledger.office(subject)
    if kind == "office.established":
        return True
    if kind == "office.reparented":
        return bool(office.parent_on(date.fromisoformat(body["effective"])) == body["parent"])
    return office.ended is not None


def statement_count() -> int:
    """How many steps `seed_travinh` reports progress for."""
    return sum(1 for _ in office_statements()) + len(_rows("procedures.csv"))
