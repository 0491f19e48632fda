"""A small, deterministic world for application tests: keys from fixed seeds, a simulated clock."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger, Receipt
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.statements.authoring import Signer, initialise
from ledger.statements.signing import SigningKey

START = from_datetime(datetime(2025, 3, 3, 8, 0, tzinfo=VIETNAM))
HOUR = 3600 * 1_000_000
DAY = 24 * HOUR
PROCEDURE = "merit-education-preference"
CODE = "000.00.01.H59-250303-0001"

# office id -> (name, level, parent)
OFFICES = {
    "84": ("Tỉnh Trà Vinh", "province", None),
    "844": ("Huyện Càng Long", "district", "84"),
    "845": ("Huyện Cầu Kè", "district", "84"),
    "29266": ("Thị trấn Càng Long", "commune", "844"),
    "29269": ("Xã Mỹ Cẩm", "commune", "844"),
}
# office id -> its agency identifier, the first part of the codes of the dossiers it receives
# (CODE is the first dossier of 29266 on START's day): the seed's (ledger/reference/seed.py)
AGENCIES = {
    "84": "000.00.00.H59",
    "844": "000.00.11.H59",
    "845": "000.00.12.H59",
    "29266": "000.00.01.H59",
    "29269": "000.00.02.H59",
}


def seeded_key(name: str) -> SigningKey:
    """A deterministic key: its private seed is SHA-256 of the name."""
    return SigningKey.from_seed(hashlib.sha256(f"test-key:{name}".encode()).digest())


def document(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": hashlib.sha256(name.encode()).digest()}


@dataclass
class World:
    ledger: Ledger
    clock: SimulatedClock
    authority: Signer
    officers: dict[str, Signer] = field(default_factory=dict)

    @classmethod
    def build(cls, database_url: str = "memory:", **settings: Any) -> World:
        clock = SimulatedClock(START)
        ledger = Ledger(LedgerSettings(database_url=database_url, **settings), clock=clock)
        authority_key = seeded_key("authority")
        initialise(ledger, authority_key)
        world = cls(ledger, clock, Signer.authority(ledger, authority_key))
        for office, (name, level, parent) in OFFICES.items():
            body = {
                "name": name,
                "level": level,
                "effective": "2019-01-01",
                "agency": AGENCIES[office],
            }
            if parent:
                body["parent"] = parent
            world.authority.record("office.established", office, body)
        for office in OFFICES:
            world.enrol(f"cb-{office}", office)
        world.authority.record(
            "procedure.published",
            PROCEDURE,
            {
                "version": 1,
                "name_vi": "Ưu đãi trong giáo dục đào tạo",
                "name_en": "Education preference for families of people with merit",
                "route": [
                    {"level": "commune", "days": 3, "day_type": "working"},
                    {"level": "district", "days": 5, "day_type": "working"},
                    {"level": "province", "days": 7, "day_type": "working"},
                ],
                "decides": ["province"],
                "legal_basis": "Decree 131/2021/NĐ-CP Art. 97(2)",
                "effective": "2022-02-15",
            },
        )
        return world

    def enrol(self, officer: str, office: str, role: str = "officer") -> Signer:
        key = seeded_key(officer)
        self.authority.record(
            "officer.enrolled",
            officer,
            {
                "office": office,
                "title": "Công chức một cửa",
                "effective": self.clock.now(),
            },
        )
        self.authority.record(
            "key.registered",
            key.key_id,
            {
                "officer": officer,
                "public_key": key.public_key,
                "role": role,
                "effective": self.clock.now(),
            },
        )
        self.officers[office] = Signer(self.ledger, key, officer, office)
        return self.officers[office]

    def at(self, office: str) -> Signer:
        return self.officers[office]

    def later(self, hours: float = 1) -> None:
        self.clock.advance(hours * 3600)

    # --- a dossier's usual steps, for tests that need one in a given state -----------------

    def receive(self, code: str = CODE, office: str = "29266", **body: Any) -> Receipt:
        fields: dict[str, Any] = {
            "procedure": PROCEDURE,
            "version": 1,
            "applicant": hashlib.sha256(b"salt|applicant").digest(),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": self.clock.now() + 20 * DAY,
        }
        fields.update(body)
        return self.at(office).record("dossier.received", code, fields)

    def dispatch(
        self,
        sender: str,
        to: str,
        code: str = CODE,
        documents: list[Mapping[str, Any]] | None = None,
    ) -> Receipt:
        self.later()
        return self.at(sender).record(
            "handover.dispatched",
            code,
            {
                "to": to,
                "purpose": "process",
                "documents": documents if documents is not None else [document("Đơn đề nghị")],
            },
        )

    def acknowledge(
        self,
        office: str,
        dispatch: Receipt,
        code: str = CODE,
        documents: list[Mapping[str, Any]] | None = None,
    ) -> Receipt:
        self.later()
        return self.at(office).record(
            "handover.acknowledged",
            code,
            {
                "dispatch": dispatch.digest,
                "documents": documents if documents is not None else [document("Đơn đề nghị")],
            },
        )

    def hand_over(self, sender: str, to: str, code: str = CODE) -> Receipt:
        return self.acknowledge(to, self.dispatch(sender, to, code), code)
