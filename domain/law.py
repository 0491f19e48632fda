"""The one-stop law by date: which decree governed a dossier, which circular's forms it was handled
on, and the legal basis a printed form names — chosen by the dossier's date of receipt.

Three regimes (docs/law.md, "Forms by date"):

- before 1/7/2025: Decree 61/2018/NĐ-CP (as amended by Decree 107/2021/NĐ-CP), with the forms of
  Circular 01/2018/TT-VPCP;
- from 1/7/2025: Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP), the 2018 forms still
  in use;
- from 15/9/2025: the same decree, with the forms of Circular 03/2025/TT-VPCP (Appendix I).

Circulars renumber the forms (the control slip is form 05 of Circular 01/2018, form 06 of Circular
03/2025), so code asks for a form by its type (`FormType`), never by a bare number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class FormType(StrEnum):
    """What a one-stop form is for, whatever number a circular gives it."""

    RECEIPT = "receipt"  # giấy tiếp nhận hồ sơ và hẹn trả kết quả
    SUPPLEMENT = "supplement"  # phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
    REFUSAL = "refusal"  # phiếu từ chối tiếp nhận giải quyết hồ sơ
    APOLOGY = "apology"  # phiếu xin lỗi (and a new appointment, or a request to extend)
    STOP_NOTICE = "stop_notice"  # thông báo dừng giải quyết hồ sơ (Circular 03/2025 only)
    CONTROL_SLIP = "control_slip"  # phiếu kiểm soát quá trình giải quyết hồ sơ
    REGISTER = "register"  # sổ theo dõi hồ sơ


class NoSuchForm(LookupError):
    """The regime in force on a date has no form of this type (a stop notice before 15/9/2025)."""


@dataclass(frozen=True)
class Circular:
    number: str  # "03/2025/TT-VPCP"

    def title(self, lang: str) -> str:
        return f"{'Circular' if lang == 'en' else 'Thông tư'} {self.number}"


@dataclass(frozen=True)
class Form:
    type: FormType
    number: str  # as printed: "05", "06"
    name_vi: str
    name_en: str
    circular: Circular

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    def label(self, lang: str) -> str:
        """How the form is named on paper: "Mẫu số 06 — … (Thông tư 03/2025/TT-VPCP)"."""
        head = "Form" if lang == "en" else "Mẫu số"
        return f"{head} {self.number} — {self.name(lang)} ({self.circular.title(lang)})"


@dataclass(frozen=True)
class Regime:
    """The one-stop rules in force from `start` (inclusive) until the next regime's start."""

    start: date
    decree_vi: str
    decree_en: str
    forms: tuple[Form, ...]
    note_vi: str = ""  # what a printed form adds to its legal basis (the 2018 forms still in use)
    note_en: str = ""

    def form(self, kind: FormType) -> Form:
        for candidate in self.forms:
            if candidate.type is kind:
                return candidate
        raise NoSuchForm(f"no {kind.value} form in the regime from {self.start.isoformat()}")

    def legal_basis(self, kind: FormType, lang: str) -> str:
        """The legal basis a printed form of this type names: the decree, and the circular
        whose form it is."""
        form = self.form(kind)
        decree = self.decree_en if lang == "en" else self.decree_vi
        note = self.note_en if lang == "en" else self.note_vi
        return f"{decree}; {form.circular.title(lang)}{note}"


CIRCULAR_01_2018 = Circular("01/2018/TT-VPCP")
CIRCULAR_03_2025 = Circular("03/2025/TT-VPCP")

FORMS_2018 = (
    Form(
        FormType.RECEIPT,
        "01",
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        "Receipt and appointment slip",
        CIRCULAR_01_2018,
    ),
    Form(
        FormType.SUPPLEMENT,
        "02",
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "Request to supplement the dossier",
        CIRCULAR_01_2018,
    ),
    Form(
        FormType.REFUSAL,
        "03",
        "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
        "Refusal to receive and handle the dossier",
        CIRCULAR_01_2018,
    ),
    Form(
        FormType.APOLOGY,
        "04",
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "Apology and new appointment",
        CIRCULAR_01_2018,
    ),
    Form(
        FormType.CONTROL_SLIP,
        "05",
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "Process control slip",
        CIRCULAR_01_2018,
    ),
    Form(
        FormType.REGISTER,
        "06",
        "Sổ theo dõi hồ sơ",
        "Dossier register",
        CIRCULAR_01_2018,
    ),
)

FORMS_2025 = (
    Form(
        FormType.RECEIPT,
        "01",
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        "Receipt and appointment slip",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.SUPPLEMENT,
        "02",
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "Request to supplement the dossier",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.REFUSAL,
        "03",
        "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
        "Refusal to receive and handle the dossier",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.APOLOGY,
        "04",
        "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
        "Apology and request to extend the time for handling",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.STOP_NOTICE,
        "05",
        "Thông báo dừng giải quyết hồ sơ",
        "Notice stopping the handling of the dossier",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.CONTROL_SLIP,
        "06",
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "Process control slip",
        CIRCULAR_03_2025,
    ),
    Form(
        FormType.REGISTER,
        "07",
        "Sổ theo dõi hồ sơ",
        "Dossier tracking book",
        CIRCULAR_03_2025,
    ),
)

DECREE_2018_VI = "Nghị định 61/2018/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 107/2021/NĐ-CP)"
DECREE_2018_EN = "Decree 61/2018/NĐ-CP (as amended by Decree 107/2021/NĐ-CP)"
DECREE_2025_VI = "Nghị định 118/2025/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 367/2025/NĐ-CP)"
DECREE_2025_EN = "Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP)"

# oldest first; each in force until the next one's start
REGIMES = (
    Regime(date.min, DECREE_2018_VI, DECREE_2018_EN, FORMS_2018),
    Regime(
        date(2025, 7, 1),
        DECREE_2025_VI,
        DECREE_2025_EN,
        FORMS_2018,
        note_vi=" (biểu mẫu còn được sử dụng đến ngày 15/9/2025)",
        note_en=" (its forms still in use until 15/9/2025)",
    ),
    Regime(date(2025, 9, 15), DECREE_2025_VI, DECREE_2025_EN, FORMS_2025),
)


def regime_on(received: date) -> Regime:
    """The one-stop rules a dossier received on this (Vietnamese civil) date is handled under."""
    chosen = REGIMES[0]
    for regime in REGIMES:
        if regime.start <= received:
            chosen = regime
    return chosen


def form_on(received: date, kind: FormType) -> Form:
    """The form of this type for a dossier received on this date."""
    return regime_on(received).form(kind)


def apology_kind(received: date) -> str:
    """The statement an apology is signed as, by the form in use on the date of receipt: the
    apology and new appointment of Circular 01/2018 (`dossier.delay_notified`), or from
    15/9/2025 the apology and request to extend the time of Circular 03/2025
    (`dossier.extension_requested`); docs/law.md, "Re-appointment"."""
    if form_on(received, FormType.APOLOGY).circular == CIRCULAR_03_2025:
        return "dossier.extension_requested"
    return "dossier.delay_notified"
