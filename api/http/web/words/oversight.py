"""The words of the oversight pages: the stall dashboard (its kinds of stall, filters and
refusals), the offices' heat map and on-time charts, a dossier's page."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "stalls_title": ("Hồ sơ chậm, tắc", "Stalled dossiers"),
    "stalls_intro": (
        "Hồ sơ đang chậm tại {office} và các cơ quan trực thuộc, quá hạn nhiều nhất lên đầu.",
        "Dossiers stalled at {office} and the offices below it, most overdue first.",
    ),
    "stalls_none": ("Không có hồ sơ nào chậm.", "No stalled dossiers."),
    "rule": ("Loại chậm", "Kind"),
    "all_rules": ("Tất cả", "All"),
    "rule_unacknowledged": ("Đã giao, chưa ai nhận", "Sent, not acknowledged"),
    "rule_over_level_budget": ("Quá thời gian của cấp", "Over its level's time"),
    "rule_past_appointed": ("Quá ngày hẹn trả", "Past the promised date"),
    "rule_due_soon": ("Sắp đến hạn", "Due soon"),
    "over_by": ("Quá", "Over by"),
    "filter": ("Lọc", "Filter"),
    "timeline": ("Diễn biến", "Timeline"),
    "heatmap_title": ("Bản đồ nhiệt các cơ quan", "Offices at a glance"),
    "heatmap_intro": (
        "Từ {first} đến {last}: hồ sơ giải quyết trước hạn, đúng hạn, quá hạn; tỷ lệ quá hạn; thời "
        "gian giữ hồ sơ trung vị trước khi giao tiếp. Màu càng đỏ, càng nhiều hồ sơ quá hạn hoặc "
        "giữ hồ sơ càng lâu.",
        "From {first} to {last}: dossiers resolved early, on time, late; the late rate; the median "
        "time an office held a dossier before handing it on. The redder, the more were late, or "
        "the longer it held them.",
    ),
    "early": ("Trước hạn", "Early"),
    "on_time": ("Đúng hạn", "On time"),
    "late": ("Quá hạn", "Late"),
    "late_rate": ("Tỷ lệ quá hạn", "Late rate"),
    "dwell": ("Giữ hồ sơ (trung vị)", "Median holding time"),
    "held_for": ("Thời gian giữ", "Held for"),
    "all_procedures": ("Mọi thủ tục", "All procedures"),
    "office_pick": ("Cơ quan", "Office"),
    "offices_closed": ("Không còn hoạt động", "No longer in operation"),
    "bad_rule": (
        "Không có loại chậm «{rule}»: chọn unacknowledged, over_level_budget, past_appointed "
        "hoặc due_soon.",
        "No kind of stall «{rule}»: choose unacknowledged, over_level_budget, past_appointed or "
        "due_soon.",
    ),
    "bad_result": (
        "Không có kết quả «{result}»: chọn early (trước hạn), on_time (đúng hạn) hoặc late (trễ hạn).",
        "No result «{result}»: choose early, on_time or late.",
    ),
    "office_outside": (
        "{office} không thuộc phạm vi giám sát của mã truy cập này.",
        "{office} is outside the offices this token oversees.",
    ),
    "unknown_office": ("Không có cơ quan mã {office}.", "There is no office {office}."),
    "bad_office": (
        "Mã cơ quan không đúng dạng: chỉ gồm chữ cái không dấu, chữ số và . _ : / @ + -.",
        "That is not an office id: letters without accents, digits and . _ : / @ + - only.",
    ),
    "bad_procedure": (
        "Mã thủ tục không đúng dạng: chỉ gồm chữ cái không dấu, chữ số và . _ : / @ + -.",
        "That is not a procedure code: letters without accents, digits and . _ : / @ + - only.",
    ),
    "overdue_now": ("Đang quá hạn", "Overdue now"),
    "on_time_chart": ("Tỷ lệ đúng hạn theo cơ quan", "On-time rate by office"),
    "on_time_by_month": ("Tỷ lệ đúng hạn theo tháng (%)", "On-time rate by month (%)"),
    "months": ("Số tháng", "Months"),
    "show": ("Xem", "Show"),
    "stall_map": ("Bản đồ nhiệt", "Map of offices"),
    "judged_title": ("Căn cứ đánh giá kết quả", "What the results were judged by"),
    "judged_intro": (
        "Hồ sơ đã giải quyết trong kỳ, theo phiên bản thủ tục đã dùng để đánh giá: thời hạn đã "
        "xác nhận hay tạm tính, ngày hẹn có tính theo giờ chốt tiếp nhận hay không.",
        "The dossiers resolved in the period, by the procedure version they were judged by: "
        "its time limits confirmed or provisional, the appointed time counted with a receipt "
        "cut-off or without.",
    ),
    "judged_provisional": (
        "Đánh giá theo thời hạn tạm tính (chưa xác nhận được)",
        "Judged against a provisional budget (could not be confirmed)",
    ),
    "judged_cutoff": (
        "Ngày hẹn tính theo giờ chốt tiếp nhận",
        "Appointed time counted with a receipt cut-off",
    ),
    "judged_provisional_of": (
        "{n} / {total} hồ sơ đã giải quyết; theo thời hạn đã xác nhận: {rest}",
        "{n} of {total} resolved; against a confirmed budget: {rest}",
    ),
    "judged_cutoff_of": (
        "{n} / {total} hồ sơ đã giải quyết; không có giờ chốt: {rest}",
        "{n} of {total} resolved; without one: {rest}",
    ),
    "judged_version": (
        "{procedure} phiên bản {version}: {n} hồ sơ — {rule}",
        "{procedure} version {version}: {n} dossiers — {rule}",
    ),
    "judged_by": ("Căn cứ đánh giá", "Judged by"),
    "judged_confirmed": ("thời hạn đã xác nhận", "confirmed budget"),
    "judged_no_cutoff": ("không có giờ chốt tiếp nhận", "no receipt cut-off"),
}
