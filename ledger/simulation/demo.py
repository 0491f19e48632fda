"""The demo: real Trà Vinh offices, demo officers with openly derived keys, and dossiers that go
through every kind of statement across the 1/7/2025 reform, on a simulated clock.

The story, in order (each function below says what its dossier shows):

- June 2025, under Decree 61/2018: a merit dossier through commune, district and province; a
  monthly social allowance with a supplement, a refused handover and an apology slip; a recalled
  dispatch and a withdrawal; a dispatch nobody acknowledges.
- 1/7/2025, the reform: the districts are dissolved, the officers move to the merged commune
  29266/2025 and the new province 86, and the procedures' version 2 applies (Decree 118/2025).
- July 2025: a merit dossier from the commune straight to the province.
- August 2025: a monthly social allowance received and decided at the commune within its 10
  working days (Decree 147/2025 Art. 5); its control slip is still form 05 of Circular 01/2018.
- October 2025, the forms of Circular 03/2025 in use: a monthly social allowance extended by an
  apology and request to extend the time (form 04), decided after the time first appointed.
- February and March 2026: a notice stopping the handling of a dossier the province had taken in
  (form 05) and a refusal to receive and handle one at reception (form 03); their control slips
  are form 06 of Circular 03/2025. The demo ends on Tuesday 3/3/2026 at 08:30.

Demo keys are derived from public seeds: anyone can sign as a demo officer. Never use them for
anything but demonstrations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from domain.instant import MICROS, VIETNAM, from_datetime, local_date, to_datetime
from ledger.application import Ledger, Receipt
from ledger.clock import SimulatedClock
from ledger.log.tlog import LogKey
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from ledger.statements.signing import SigningKey
from ledger.stores.applicants import applicant_commitment

DEMO_START = from_datetime(datetime(2025, 6, 2, 7, 30, tzinfo=VIETNAM))
HOUR = 3600
DAY = 24 * HOUR


def demo_key(name: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(f"lienthong demo key:{name}".encode()).digest())


AUTHORITY_KEY_NAME = "authority"
DEMO_LOG_ORIGIN = "lienthong-demo/tra-vinh"


def demo_log_key() -> LogKey:
    """The demo log's checkpoint key, from a public seed like every demo key: never for real use."""
    return LogKey.from_seed(DEMO_LOG_ORIGIN, hashlib.sha256(b"lienthong demo log key").digest())


# officer id -> (office before the reform, title, office from 1/7/2025 or None if they leave, title
# from 1/7/2025). A title names the post, not the office: the pages add the office's name.
OFFICERS = {
    "cb-29266-vhxh": ("29266", "Công chức Văn hóa - Xã hội", "29266/2025", "Công chức Văn hóa - Xã hội"),
    "cb-29269-vhxh": ("29269", "Công chức Văn hóa - Xã hội", "29266/2025", "Công chức Văn hóa - Xã hội"),
    "cv-844-ldtbxh": ("844", "Chuyên viên Phòng Lao động - Thương binh và Xã hội", None, ""),
    "cv-845-ldtbxh": ("845", "Chuyên viên Phòng Lao động - Thương binh và Xã hội", None, ""),
    "cv-84-ldtbxh": ("84", "Chuyên viên Sở Lao động - Thương binh và Xã hội", "86", "Chuyên viên Sở Nội vụ"),
}


def demo_applicant(code: str) -> tuple[bytes, dict[str, str]]:
    """The salt and the made-up applicant details (no real person) a demo dossier commits to. The
    salt is public, like the demo keys; the demo keeps no applicant store, so nothing is stored."""
    salt = hashlib.sha256(f"demo salt|{code}".encode()).digest()
    return salt, {"name": "Nguyễn Văn A", "address": "Ấp Mẫu, Trà Vinh", "phone": "0000 000 000"}


def _document(name: str, content: str) -> dict[str, Any]:
    return {"name": name, "sha256": hashlib.sha256(content.encode()).digest()}


APPLICATION = _document("Đơn đề nghị", "đơn đề nghị — nội dung quét")
CERTIFICATE = _document("Giấy xác nhận", "giấy xác nhận — nội dung quét")
POSTING = _document("Biên bản niêm yết công khai", "biên bản niêm yết")
DECISION = _document("Quyết định", "quyết định — bản ký số")


@dataclass
class Demo:
    ledger: Ledger
    clock: SimulatedClock
    officers: dict[str, Signer] = field(default_factory=dict)
    dossiers: list[str] = field(default_factory=list)

    def wait(self, hours: float) -> None:
        """Let time pass, then carry on at the next office hour (Monday–Friday, 7:30–16:30)."""
        moment = to_datetime(self.clock.advance(hours * HOUR))
        while moment.weekday() >= 5 or not time(7, 30) <= moment.time() <= time(16, 30):
            moment = moment.replace(hour=7, minute=30) + timedelta(
                days=0 if moment.time() < time(7, 30) and moment.weekday() < 5 else 1
            )
        self.clock.set(from_datetime(moment))

    def until(self, moment: datetime) -> None:
        """Jump to `moment` (Vietnamese time), or stay if the clock is already past it: the story
        moves on to its next month."""
        self.clock.set(max(self.clock.now(), from_datetime(moment)))

    def by(self, officer: str) -> Signer:
        return self.officers[officer]

    def receive(
        self,
        officer: str,
        agency: str,
        number: int,
        procedure: str,
        version: int,
        documents: list[dict[str, Any]],
    ) -> str:
        """Receive a new dossier; its code is <agency>-<yymmdd>-<number of the day>. The
        appointed return time is the one the law gives (the procedure's budgets on the
        working-day calendar), filled in by `prepare`."""
        code = f"{agency}-{local_date(self.clock.now()):%y%m%d}-{number:04d}"
        self.dossiers.append(code)
        self.by(officer).record(
            "dossier.received",
            code,
            {
                "procedure": procedure,
                "version": version,
                # salted commitment to the applicant record, which lives outside the log
                "applicant": applicant_commitment(*demo_applicant(code)),
                "channel": "direct",
                "documents": documents,
            },
        )
        return code

    def send(
        self,
        officer: str,
        code: str,
        to: str,
        documents: list[dict[str, Any]],
        purpose: str = "process",
        note: str = "",
    ) -> Receipt:
        body: dict[str, Any] = {"to": to, "purpose": purpose, "documents": documents}
        if note:
            body["note"] = note
        return self.by(officer).record("handover.dispatched", code, body)

    def take(
        self,
        officer: str,
        code: str,
        dispatch: Receipt,
        documents: list[dict[str, Any]],
        note: str = "",
    ) -> Receipt:
        body: dict[str, Any] = {"dispatch": dispatch.digest, "documents": documents}
        if note:
            body["note"] = note
        return self.by(officer).record("handover.acknowledged", code, body)


def run_demo(
    ledger: Ledger, clock: SimulatedClock, progress: Callable[[str], None] | None = None
) -> Demo:
    """Record the whole demo into an empty ledger whose clock reads DEMO_START."""
    say = progress or (lambda _message: None)
    authority_key = demo_key(AUTHORITY_KEY_NAME)
    authority = Signer.authority(ledger, authority_key)
    initialise(ledger, authority_key)
    say("sổ đăng ký / registry: Trà Vinh")
    seed_travinh(ledger, authority)
    demo = Demo(ledger, clock)
    for officer, (office, title, _after, _title_after) in OFFICERS.items():
        key = demo_key(officer)
        authority.record(
            "officer.enrolled",
            officer,
            {"office": office, "title": title, "effective": clock.now()},
        )
        authority.record(
            "key.registered",
            key.key_id,
            {
                "officer": officer,
                "public_key": key.public_key,
                "role": "officer",
                "effective": clock.now(),
            },
        )
        demo.officers[officer] = Signer(ledger, key, officer, office)
    demo.wait(1)
    say("hồ sơ trước cải cách / dossiers before the reform")
    _three_levels(demo)
    _supplement_and_rejection(demo)
    _recalled_and_withdrawn(demo)
    _left_in_transit(demo)
    say("cải cách 1/7/2025 / the 1/7/2025 reform")
    _reform(demo, authority)
    _two_levels(demo)
    _decided_at_the_commune(demo)
    say("biểu mẫu Thông tư 03/2025 từ 15/9/2025 / the forms of Circular 03/2025 from 15/9/2025")
    _extended(demo)
    _stopped(demo)
    _refused_at_reception(demo)
    return demo


def _three_levels(demo: Demo) -> None:
    """Commune → district → province, decided at the province, result returned at the commune."""
    code = demo.receive(
        "cb-29266-vhxh",
        "000.00.01.H59",
        1,
        "merit-education-preference",
        1,
        [APPLICATION, CERTIFICATE],
    )
    demo.wait(26)
    sent = demo.send("cb-29266-vhxh", code, "844", [APPLICATION, CERTIFICATE])
    demo.wait(3)
    demo.take("cv-844-ldtbxh", code, sent, [APPLICATION, CERTIFICATE])
    demo.wait(70)
    sent = demo.send(
        "cv-844-ldtbxh",
        code,
        "84",
        [APPLICATION, CERTIFICATE],
        note="Phòng đã thẩm định, đủ điều kiện",
    )
    demo.wait(20)
    demo.take("cv-84-ldtbxh", code, sent, [APPLICATION, CERTIFICATE])
    demo.wait(50)
    demo.by("cv-84-ldtbxh").record(
        "dossier.decided",
        code,
        {
            "outcome": "approved",
            "reference": "QĐ 1234/QĐ-SLĐTBXH",
            "documents": [DECISION],
        },
    )
    demo.wait(2)
    sent = demo.send("cv-84-ldtbxh", code, "29266", [DECISION], purpose="return")
    demo.wait(22)
    demo.take("cb-29266-vhxh", code, sent, [DECISION])
    demo.wait(1)
    demo.by("cb-29266-vhxh").record("dossier.result_returned", code, {"channel": "direct"})


def _supplement_and_rejection(demo: Demo) -> None:
    """A supplement, a rejected handover, a document missing on arrival, an apology slip."""
    demo.wait(1)
    code = demo.receive(
        "cb-29269-vhxh", "000.00.02.H59", 2, "social-allowance-monthly", 1, [APPLICATION]
    )
    demo.wait(4)
    demo.by("cb-29269-vhxh").record(
        "dossier.supplement_requested",
        code,
        {
            "reason": "Thiếu giấy xác nhận của trưởng thôn",
            "missing": ["Giấy xác nhận"],
        },
    )
    demo.wait(24)
    demo.by("cb-29269-vhxh").record(
        "dossier.supplement_received", code, {"documents": [CERTIFICATE]}
    )
    demo.wait(6)
    sent = demo.send("cb-29269-vhxh", code, "844", [APPLICATION, CERTIFICATE])
    demo.wait(3)
    demo.by("cv-844-ldtbxh").record(
        "handover.rejected",
        code,
        {
            "dispatch": sent.digest,
            "reason": "Chưa có biên bản niêm yết công khai",
        },
    )
    demo.wait(24)
    sent = demo.send("cb-29269-vhxh", code, "844", [APPLICATION, CERTIFICATE, POSTING])
    demo.wait(4)
    demo.take(
        "cv-844-ldtbxh",
        code,
        sent,
        [APPLICATION, POSTING],
        note="Không nhận được giấy xác nhận bản gốc",
    )
    demo.wait(48)
    demo.by("cv-844-ldtbxh").record(
        "dossier.delay_notified",
        code,
        {
            "reason": "Cần xác minh thêm tại địa phương",
            # the apology slip (phiếu xin lỗi) moves the appointment ten days later, once
            "appointed": demo.ledger.dossier(code).appointed + 10 * DAY * MICROS,
        },
    )
    demo.wait(24)
    demo.by("cv-844-ldtbxh").record(
        "dossier.decided",
        code,
        {
            "outcome": "approved",
            "reference": "QĐ 567/QĐ-UBND",
            "documents": [DECISION],
        },
    )
    demo.wait(3)
    sent = demo.send("cv-844-ldtbxh", code, "29269", [DECISION], purpose="return")
    demo.wait(20)
    demo.take("cb-29269-vhxh", code, sent, [DECISION])
    demo.wait(2)
    demo.by("cb-29269-vhxh").record("dossier.result_returned", code, {"channel": "postal"})


def _recalled_and_withdrawn(demo: Demo) -> None:
    """A dispatch sent to the wrong district and recalled before anyone took it, then the
    applicant's withdrawal."""
    demo.wait(1)
    code = demo.receive(
        "cb-29266-vhxh", "000.00.01.H59", 3, "funeral-support-social", 1, [APPLICATION]
    )
    demo.wait(3)
    sent = demo.send("cb-29266-vhxh", code, "845", [APPLICATION])
    demo.wait(1)
    demo.by("cb-29266-vhxh").record(
        "handover.recalled",
        code,
        {
            "dispatch": sent.digest,
            "reason": "Gửi nhầm huyện Cầu Kè",
        },
    )
    demo.wait(24)
    demo.by("cb-29266-vhxh").record(
        "dossier.withdrawn", code, {"reason": "Người nộp rút hồ sơ để bổ sung giấy tờ"}
    )


def _left_in_transit(demo: Demo) -> None:
    """A dispatch nobody acknowledges: the stall the paper slip hides."""
    demo.wait(24)
    code = demo.receive(
        "cb-29266-vhxh",
        "000.00.01.H59",
        4,
        "martyr-worship-allowance",
        1,
        [APPLICATION, CERTIFICATE],
    )
    demo.wait(30)
    demo.send("cb-29266-vhxh", code, "844", [APPLICATION, CERTIFICATE])


def _reform(demo: Demo, authority: Signer) -> None:
    """1/7/2025: the district officers leave with their districts; the others move to the merged
    commune 29266/2025 and the new province 86, and sign from there."""
    reform = from_datetime(datetime(2025, 7, 1, 0, 0, tzinfo=VIETNAM))
    demo.clock.set(max(demo.clock.now(), reform) + 8 * HOUR * MICROS)
    for officer, (_before, _title, after, title) in OFFICERS.items():
        if after is None:
            authority.record("officer.left", officer, {"effective": reform})
            continue
        authority.record(
            "officer.moved", officer, {"office": after, "title": title, "effective": reform}
        )
        signer = demo.officers[officer]
        demo.officers[officer] = Signer(demo.ledger, signer.key, officer, after)


def _two_levels(demo: Demo) -> None:
    """After 1/7/2025: commune → province, with no district in between."""
    demo.wait(24)
    code = demo.receive(
        "cb-29266-vhxh",
        "000.66.29.H59",
        5,
        "merit-education-preference",
        2,
        [APPLICATION, CERTIFICATE],
    )
    demo.wait(28)
    sent = demo.send("cb-29266-vhxh", code, "86", [APPLICATION, CERTIFICATE])
    demo.wait(2)
    demo.take("cv-84-ldtbxh", code, sent, [APPLICATION, CERTIFICATE])
    demo.wait(72)
    demo.by("cv-84-ldtbxh").record(
        "dossier.decided",
        code,
        {
            "outcome": "refused",
            "reference": "CV 89/SNV-NCC",
            "documents": [DECISION],
        },
    )
    demo.wait(2)
    sent = demo.send("cv-84-ldtbxh", code, "29266/2025", [DECISION], purpose="return")
    demo.wait(20)
    demo.take("cb-29266-vhxh", code, sent, [DECISION])
    demo.wait(1)
    demo.by("cb-29266-vhxh").record("dossier.result_returned", code, {"channel": "direct"})


def _decided_at_the_commune(demo: Demo) -> None:
    """August 2025: a monthly social allowance under its version 2 (Decree 147/2025 Art. 5),
    received and decided at the commune 29266/2025 in six working days of its ten, with no
    handover; the result returned there. Received before 15/9/2025, its control slip is still
    form 05 of Circular 01/2018, under Decree 118/2025."""
    demo.until(datetime(2025, 8, 5, 8, 45, tzinfo=VIETNAM))
    code = demo.receive(
        "cb-29269-vhxh",
        "000.66.29.H59",
        6,
        "social-allowance-monthly",
        2,
        [APPLICATION, CERTIFICATE],
    )
    demo.wait(24 * 8)
    demo.by("cb-29266-vhxh").record(
        "dossier.decided",
        code,
        {
            "outcome": "approved",
            "reference": "QĐ 215/QĐ-UBND",
            "documents": [DECISION],
        },
    )
    demo.wait(20)
    demo.by("cb-29269-vhxh").record("dossier.result_returned", code, {"channel": "direct"})


def _extended(demo: Demo) -> None:
    """October 2025, the forms of Circular 03/2025 in use: a monthly social allowance the commune
    cannot decide in its ten working days; before the appointed time it signs an apology and
    request to extend the time (form 04) five working days later, then decides after the time
    first appointed but within the extended one — on time by the law, late against the receipt
    slip, with an apology (the report's index counts both)."""
    demo.until(datetime(2025, 10, 6, 8, 30, tzinfo=VIETNAM))
    code = demo.receive(
        "cb-29266-vhxh",
        "000.66.29.H59",
        7,
        "social-allowance-monthly",
        2,
        [APPLICATION, CERTIFICATE],
    )
    appointed = demo.ledger.dossier(code).appointed
    demo.wait(24 * 10)
    demo.by("cb-29266-vhxh").record(
        "dossier.extension_requested",
        code,
        {
            "reason": "Cần xác minh điều kiện sống của hộ gia đình tại ấp",
            "appointed": load_calendar().due(appointed, 5, "working"),
        },
    )
    demo.wait(24 * 6)
    demo.by("cb-29266-vhxh").record(
        "dossier.decided",
        code,
        {
            "outcome": "approved",
            "reference": "QĐ 318/QĐ-UBND",
            "documents": [DECISION],
        },
    )
    demo.wait(22)
    demo.by("cb-29266-vhxh").record("dossier.result_returned", code, {"channel": "postal"})


def _stopped(demo: Demo) -> None:
    """February 2026, after Tết: a merit dossier the commune sends to the province, which takes it
    in — too late to refuse it at reception — and then stops handling it with a notice to the
    applicant (form 05 of Circular 03/2025: thông báo dừng giải quyết hồ sơ); closed, never
    decided. Received in 2026, its control slip is form 06."""
    demo.until(datetime(2026, 2, 23, 8, 0, tzinfo=VIETNAM))
    code = demo.receive(
        "cb-29266-vhxh",
        "000.66.29.H59",
        8,
        "merit-education-preference",
        2,
        [APPLICATION, CERTIFICATE],
    )
    demo.wait(24)
    sent = demo.send("cb-29266-vhxh", code, "86", [APPLICATION, CERTIFICATE])
    demo.wait(3)
    demo.take("cv-84-ldtbxh", code, sent, [APPLICATION, CERTIFICATE])
    demo.wait(48)
    demo.by("cv-84-ldtbxh").record(
        "dossier.stopped",
        code,
        {
            "reason": "Giấy xác nhận trong hồ sơ không đúng sự thật; "
            "chuyển cơ quan có thẩm quyền xem xét",
        },
    )


def _refused_at_reception(demo: Demo) -> None:
    """March 2026: the commune receives a funeral support dossier and refuses to receive and
    handle it (form 03 of Circular 03/2025), with the reason, before it goes anywhere; closed.
    The demo ends here, on Tuesday 3/3/2026 at 08:30."""
    demo.until(datetime(2026, 3, 3, 7, 30, tzinfo=VIETNAM))
    code = demo.receive(
        "cb-29269-vhxh", "000.66.29.H59", 9, "funeral-support-social", 2, [APPLICATION]
    )
    demo.wait(1)
    demo.by("cb-29269-vhxh").record(
        "dossier.refused",
        code,
        {"reason": "Người mất không thuộc diện đang hưởng trợ cấp xã hội hằng tháng"},
    )
