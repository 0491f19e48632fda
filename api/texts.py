"""User-facing words, Vietnamese first, English available (`--lang en`)."""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "dossier.received": ("Tiếp nhận hồ sơ", "Dossier received"),
    "handover.dispatched": ("Giao hồ sơ", "Handed over (dispatched)"),
    "handover.acknowledged": ("Nhận hồ sơ", "Receipt acknowledged"),
    "handover.rejected": ("Từ chối nhận", "Handover rejected"),
    "handover.recalled": ("Thu hồi lần giao", "Dispatch recalled"),
    "dossier.supplement_requested": ("Yêu cầu bổ sung", "Supplement requested"),
    "dossier.supplement_received": ("Nhận bổ sung", "Supplement received"),
    "dossier.delay_notified": ("Xin lỗi, hẹn lại", "Delay notified (new appointment)"),
    "dossier.decided": ("Có kết quả giải quyết", "Decided"),
    "dossier.result_returned": ("Trả kết quả", "Result returned"),
    "dossier.withdrawn": ("Rút hồ sơ", "Withdrawn"),
}

WORDS: dict[str, tuple[str, str]] = {
    "error": ("Lỗi", "Error"),
    "time": ("Thời gian", "Time"),
    "step": ("Bước", "Step"),
    "office": ("Cơ quan", "Office"),
    "officer": ("Cán bộ", "Officer"),
    "signature": ("Chữ ký", "Signature"),
    "details": ("Chi tiết", "Details"),
    "valid": ("hợp lệ", "valid"),
    "invalid": ("KHÔNG hợp lệ", "INVALID"),
    "hops": ("Các lần giao – nhận", "Hops (handed over – received)"),
    "handed_over": ("Giao", "Handed over"),
    "received_by": ("Nhận", "Received"),
    "in_transit": ("đang chuyển, chưa ai nhận", "in transit, not yet acknowledged"),
    "status": ("Trạng thái", "Status"),
    "missing": ("Gửi nhưng không nhận được", "Sent but not received"),
    "extra": ("Nhận thêm ngoài danh sách gửi", "Received but not listed as sent"),
    "held_by": ("Đang giữ", "Held by"),
    "transit_to": ("Đang chuyển đến", "In transit to"),
    "closed": ("Đã kết thúc", "Closed"),
    "all_verified": ("Mọi chữ ký đều hợp lệ.", "Every signature verifies."),
    "not_all_verified": ("CÓ CHỮ KÝ KHÔNG HỢP LỆ.", "SOME SIGNATURES DO NOT VERIFY."),
    "verify_ok": (
        "Sổ cái toàn vẹn: {n} bản khai, mọi chữ ký và liên kết chuỗi đều hợp lệ.",
        "Ledger intact: {n} statements; every signature and chain link verifies.",
    ),
    "verify_bad": (
        "Sổ cái KHÔNG toàn vẹn: {bad} trên {n} bản khai có vấn đề. Đầu tiên:",
        "Ledger NOT intact: {bad} of {n} statements have problems. First:",
    ),
    "verifying": ("Đang kiểm tra", "Verifying"),
    "seeding": ("Đang nạp dữ liệu", "Seeding"),
    "recorded": ("Đã ghi", "Recorded"),
    "duplicate": ("Đã ghi từ trước (trùng lặp)", "Already recorded (duplicate)"),
}


def word(key: str, lang: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def kind_label(kind: str, lang: str) -> str:
    vi, en = KINDS.get(kind, (kind, kind))
    return vi if lang == "vi" else en
