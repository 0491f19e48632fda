"""The words of the national index's indicators (Decision 766/QĐ-TTg) on the inspector's map."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "index_title": (
        "Chỉ số theo Quyết định 766/QĐ-TTg",
        "The national index (Decision 766/QĐ-TTg)",
    ),
    "index_intro": (
        "Những chỉ số sổ cái biết được, cho đơn vị và các đơn vị cấp dưới trong kỳ.",
        "The indicators the ledger can know, for the office and those below it in the period.",
    ),
    "index_on_time": ("Giải quyết đúng và trước hạn", "Resolved early or on time"),
    "index_online": ("Tiếp nhận trực tuyến", "Received online"),
    "index_digitised": (
        "Số hóa khi tiếp nhận (có bản quét đã tải lên)",
        "Digitised at receipt (scans uploaded)",
    ),
    "index_apology": (
        "Quá hạn so với ngày hẹn khi tiếp nhận, có phiếu xin lỗi",
        "Late against the time appointed at receipt, with an apology slip",
    ),
    "index_satisfaction": ("Tỷ lệ hài lòng", "Satisfaction rate"),
    "index_of": ("{n} / {total} ({rate})", "{n} of {total} ({rate})"),
    "index_rated": (
        "{rate} — {rated} đánh giá, {dissatisfied} không hài lòng",
        "{rate} — {rated} ratings, {dissatisfied} dissatisfied",
    ),
    "index_unknowable": (
        "Chỉ số sổ cái không biết được",
        "Indicators the ledger cannot know",
    ),
}
