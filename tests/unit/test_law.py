"""The one-stop law by date (domain/law.py): the regime a dossier is handled under, its forms by
type, and the legal basis a printed form names — on both sides of 1/7/2025 and of 15/9/2025."""

from __future__ import annotations

from datetime import date

import pytest

from domain.law import REGIMES, FormType, NoSuchForm, apology_kind, form_on, regime_on

# received on -> (control slip number, circular, decree in the legal basis)
SLIPS = [
    (date(2019, 1, 2), "05", "01/2018/TT-VPCP", "61/2018/NĐ-CP"),
    (date(2025, 6, 30), "05", "01/2018/TT-VPCP", "61/2018/NĐ-CP"),
    (date(2025, 7, 1), "05", "01/2018/TT-VPCP", "118/2025/NĐ-CP"),
    (date(2025, 8, 12), "05", "01/2018/TT-VPCP", "118/2025/NĐ-CP"),
    (date(2025, 9, 14), "05", "01/2018/TT-VPCP", "118/2025/NĐ-CP"),
    (date(2025, 9, 15), "06", "03/2025/TT-VPCP", "118/2025/NĐ-CP"),
    (date(2026, 3, 10), "06", "03/2025/TT-VPCP", "118/2025/NĐ-CP"),
]


@pytest.mark.parametrize(("received", "number", "circular", "decree"), SLIPS)
def test_the_control_slip_is_the_form_of_the_circular_in_force_on_the_date_of_receipt(
    received: date, number: str, circular: str, decree: str
) -> None:
    form = form_on(received, FormType.CONTROL_SLIP)
    assert (form.number, form.circular.number) == (number, circular)
    assert form.name_vi == "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    assert form.label("vi") == (
        f"Mẫu số {number} — Phiếu kiểm soát quá trình giải quyết hồ sơ (Thông tư {circular})"
    )
    assert form.label("en") == f"Form {number} — Process control slip (Circular {circular})"
    basis = regime_on(received).legal_basis(FormType.CONTROL_SLIP, "vi")
    assert basis.startswith(f"Nghị định {decree}")
    assert f"Thông tư {circular}" in basis
    english = regime_on(received).legal_basis(FormType.CONTROL_SLIP, "en")
    assert english.startswith(f"Decree {decree}")


def test_from_the_2025_decree_to_the_new_circular_the_basis_says_the_2018_forms_were_in_use() -> (
    None
):
    basis = regime_on(date(2025, 8, 12)).legal_basis(FormType.CONTROL_SLIP, "vi")
    assert basis == (
        "Nghị định 118/2025/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 367/2025/NĐ-CP); "
        "Thông tư 01/2018/TT-VPCP (biểu mẫu còn được sử dụng đến ngày 15/9/2025)"
    )
    assert "until 15/9/2025" in regime_on(date(2025, 8, 12)).legal_basis(
        FormType.CONTROL_SLIP, "en"
    )
    for received in (date(2025, 6, 30), date(2026, 3, 10)):  # no such note on either side
        assert "15/9/2025" not in regime_on(received).legal_basis(FormType.CONTROL_SLIP, "vi")


# type -> (number under Circular 01/2018, number under Circular 03/2025)
NUMBERS = {
    FormType.RECEIPT: ("01", "01"),
    FormType.SUPPLEMENT: ("02", "02"),
    FormType.REFUSAL: ("03", "03"),
    FormType.APOLOGY: ("04", "04"),
    FormType.STOP_NOTICE: (None, "05"),
    FormType.CONTROL_SLIP: ("05", "06"),
    FormType.REGISTER: ("06", "07"),
}


@pytest.mark.parametrize("kind", list(FormType))
def test_forms_are_found_by_type_and_renumbered_by_the_2025_circular(kind: FormType) -> None:
    before, after = NUMBERS[kind]
    if before is None:
        with pytest.raises(NoSuchForm, match="stop_notice"):
            form_on(date(2025, 9, 14), kind)
    else:
        assert form_on(date(2025, 9, 14), kind).number == before
    assert form_on(date(2025, 9, 15), kind).number == after
    assert form_on(date(2025, 9, 15), kind).type is kind


def test_the_apology_form_changes_from_a_new_appointment_to_a_request_to_extend() -> None:
    assert form_on(date(2025, 6, 30), FormType.APOLOGY).name_vi == (
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    )
    assert form_on(date(2026, 1, 5), FormType.APOLOGY).name_vi == (
        "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
    )


@pytest.mark.parametrize(
    ("received", "kind"),
    [
        (date(2019, 1, 2), "dossier.delay_notified"),
        (date(2025, 7, 1), "dossier.delay_notified"),  # the 2025 decree, the 2018 forms
        (date(2025, 9, 14), "dossier.delay_notified"),
        (date(2025, 9, 15), "dossier.extension_requested"),
        (date(2026, 3, 10), "dossier.extension_requested"),
    ],
)
def test_an_apology_is_signed_as_the_statement_of_the_form_in_use_on_the_date_of_receipt(
    received: date, kind: str
) -> None:
    """The 2018 apology and new appointment up to 14/9/2025, the request to extend from 15/9."""
    assert apology_kind(received) == kind


def test_regimes_run_oldest_first_and_each_names_every_form_once() -> None:
    starts = [regime.start for regime in REGIMES]
    assert starts == sorted(starts)
    for regime in REGIMES:
        kinds = [form.type for form in regime.forms]
        assert len(kinds) == len(set(kinds))
        numbers = [form.number for form in regime.forms]
        assert len(numbers) == len(set(numbers))
