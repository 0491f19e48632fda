"""A small world for the inspector's pages (tests/world.py's offices and procedure; keys from
fixed seeds, a simulated clock), built to give each thing the pages show one clear case:

- STALLED, received at the town (29266) on 3/3/2025 and sent to the district (844), which never
  acknowledged it: by April it breaks two stall rules (sent and not acknowledged, past its
  appointed date) — one dossier, two problems;
- UNRETURNED, decided at the province (84) on time but never handed to the applicant: past its
  appointed date by April, "đã có kết quả, chưa trả";
- LATE, received at the commune Mỹ Cẩm (29269), decided a day after its appointed date and
  returned: the only late dossier, so Mỹ Cẩm's late rate is 100 % and the town's 0 %;
- EARLY, received at the town, decided long before its appointed date and returned;
- WEEKEND, received at Mỹ Cẩm on Friday 7/3/2025 at 16:00 and sent to the district on Monday at
  8:30: held two working hours over a weekend of 64 hours (and stalled since, like STALLED);
- two wards called "Phường 1", one in each district, dissolved on 10/3/2025.

Every dossier is decided in March 2025; the clock then stands on Monday 7/4/2025 at 9:00."""

from __future__ import annotations

from datetime import datetime

from domain.instant import VIETNAM, from_datetime
from tests.world import DAY, World, document

TOWN, COMMUNE, DISTRICT, OTHER_DISTRICT, PROVINCE = "29266", "29269", "844", "845", "84"
WARDS = {"29270": DISTRICT, "29318": OTHER_DISTRICT}  # both "Phường 1", both dissolved
STALLED = "000.00.01.H59-250303-0001"
UNRETURNED = "000.00.01.H59-250303-0002"
EARLY = "000.00.01.H59-250303-0003"
LATE = "000.00.02.H59-250303-0001"
WEEKEND = "000.00.02.H59-250307-0001"
NOW = datetime(2025, 4, 7, 9, 0, tzinfo=VIETNAM)
FRIDAY = datetime(2025, 3, 7, 16, 0, tzinfo=VIETNAM)
MONDAY = datetime(2025, 3, 10, 8, 30, tzinfo=VIETNAM)
DECISION = {"outcome": "approved", "reference": "12/QĐ-UBND", "documents": [document("Quyết định")]}


def up_to_the_province(world: World, code: str, office: str) -> None:
    """`code`, received at `office`, handed to its district and on to the province."""
    world.hand_over(office, DISTRICT, code)
    world.hand_over(DISTRICT, PROVINCE, code)


def decide(world: World, code: str, returned: bool) -> None:
    world.later()
    world.at(PROVINCE).record("dossier.decided", code, DECISION)
    if returned:
        world.later()
        world.at(PROVINCE).record("dossier.result_returned", code, {"channel": "direct"})


def build(database_url: str) -> World:
    """The world above, on `database_url`, its clock on NOW."""
    world = World.build(database_url)
    for ward, district in WARDS.items():
        world.authority.record(
            "office.established",
            ward,
            {"name": "Phường 1", "level": "commune", "parent": district, "effective": "2019-01-01"},
        )
        world.authority.record("office.dissolved", ward, {"effective": "2025-03-10"})
    start = world.clock.now()
    world.receive(STALLED, TOWN, appointed=start + 3 * DAY)
    world.dispatch(TOWN, DISTRICT, STALLED)  # and nobody at the district acknowledges it
    world.receive(UNRETURNED, TOWN, appointed=start + 6 * DAY)
    up_to_the_province(world, UNRETURNED, TOWN)
    decide(world, UNRETURNED, returned=False)
    world.receive(EARLY, TOWN, appointed=start + 20 * DAY)
    up_to_the_province(world, EARLY, TOWN)
    decide(world, EARLY, returned=True)
    world.receive(LATE, COMMUNE, appointed=world.clock.now() + DAY)
    up_to_the_province(world, LATE, COMMUNE)
    world.later(48)  # two days on: past its appointed date
    decide(world, LATE, returned=True)
    world.clock.set(from_datetime(FRIDAY))
    world.receive(WEEKEND, COMMUNE, appointed=world.clock.now() + 20 * DAY)
    world.clock.set(from_datetime(MONDAY))
    world.at(COMMUNE).record(
        "handover.dispatched",
        WEEKEND,
        {"to": DISTRICT, "purpose": "process", "documents": [document("Đơn đề nghị")]},
    )
    world.clock.set(from_datetime(NOW))
    return world
