"""The words of the oversight pages: the stall dashboard (its kinds of stall, filters and
refusals), the offices' heat map and on-time charts, a dossier's page."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "stalls_title": ("Hồ sơ chậm, tắc", "Stalled dossiers"),
    "stalls_intro": (
        "Hồ sơ đang chậm tại {office} và các cơ quan trực thuộc, mỗi hồ sơ một dòng với mọi vấn "
        "đề của nó, quá hạn nhiều nhất lên đầu; số trong ngoặc là số hồ sơ.",
        "Dossiers stalled at {office} and the offices below it, one row per dossier with all its "
        "problems, most overdue first; the numbers in brackets count dossiers.",
    ),
    "stalls_caption": (
        "Hồ sơ chậm, tắc: mỗi hồ sơ một dòng",
        "Stalled dossiers, one row per dossier",
    ),
    "stall_problems": ("Vấn đề", "Problems"),
    "stall_where": ("Đang ở", "Now at"),
    "stall_due": ("Hạn trả kết quả", "Result due"),
    "stall_over": ("quá {span}", "{span} over"),
    "stall_since": ("từ {at}", "since {at}"),
    "stall_at": ("tại {office}", "at {office}"),
    "stalls_none": ("Không có hồ sơ nào chậm.", "No stalled dossiers."),
    "rule": ("Loại chậm", "Kind"),
    "all_rules": ("Tất cả", "All"),
    "rule_unacknowledged": ("Đã giao, chưa ai nhận", "Sent, not acknowledged"),
    "rule_over_level_budget": ("Quá thời gian của cấp", "Over its level's time"),
    "rule_past_appointed": ("Quá ngày hẹn trả", "Past the promised date"),
    "rule_due_soon": ("Sắp đến hạn", "Due soon"),
    # past_appointed on a dossier already decided: its result waits to be handed over
    "rule_decided_unreturned": ("Đã có kết quả, chưa trả", "Decided, result not handed over"),
    "over_by": ("Quá", "Over by"),
    "filter": ("Lọc", "Filter"),
    "timeline": ("Diễn biến", "Timeline"),
    "heatmap_title": ("Bản đồ nhiệt các cơ quan", "Offices at a glance"),
    "heatmap_intro": (
        "Từ {first} đến {last}: hồ sơ giải quyết trước hạn, đúng hạn, quá hạn; tỷ lệ quá hạn; thời "
        "gian giữ hồ sơ trung vị (ngày làm việc) trước khi giao tiếp; hồ sơ đang quá hạn. Bấm tiêu "
        "đề cột để sắp xếp.",
        "From {first} to {last}: dossiers resolved early, on time, late; the late rate; the median "
        "working time an office held a dossier before handing it on; dossiers overdue now. Choose "
        "a column's heading to sort by it.",
    ),
    "map_from_month": ("Từ tháng", "From month"),
    "map_to_month": ("Đến tháng", "To month"),
    "map_month_hint": (
        "Năm-tháng, ví dụ 2025-07; kỳ dài nhất 60 tháng.",
        "Year-month, such as 2025-07; 60 months at most.",
    ),
    "map_period": ("Từ {first} đến {last}.", "From {first} to {last}."),
    "map_scale": (
        "Thang màu: tỷ lệ quá hạn so với mục tiêu 0 % — trắng là đạt, từ {worst} trở lên đỏ đậm "
        "nhất; thời gian giữ hồ sơ đến {target} ngày làm việc là trắng, từ {hold_worst} ngày làm "
        "việc trở lên đỏ đậm nhất.",
        "Colour scale: the late rate against a target of 0 % — white meets it, {worst} or more is "
        "the darkest red; holding a dossier up to {target} working day is white, {hold_worst} "
        "working days or more the darkest red.",
    ),
    "map_target": ("mục tiêu", "target"),
    "map_caption": (
        "Các cơ quan: kết quả giải quyết, tỷ lệ quá hạn, thời gian giữ hồ sơ, hồ sơ đang quá hạn",
        "Offices: results, late rate, holding time, dossiers overdue now",
    ),
    "map_no_data": ("Chưa có số liệu.", "No figures yet."),
    "map_again": ("Xem bản đồ 12 tháng gần nhất", "See the map of the last 12 months"),
    "map_bad_month": (
        "Tháng «{month}» không đúng dạng năm-tháng: chọn tháng như 2025-07.",
        "«{month}» is not a year and month: choose a month such as 2025-07.",
    ),
    "map_month_ahead": (
        "Tháng {month} chưa đến: chọn tháng này hoặc một tháng trước.",
        "{month} has not come yet: choose this month or an earlier one.",
    ),
    "map_months_reversed": (
        "Tháng bắt đầu ({first}) sau tháng kết thúc ({last}): chọn lại kỳ.",
        "The first month ({first}) is after the last ({last}): choose the period again.",
    ),
    "map_too_long": (
        "Kỳ dài hơn {most} tháng: chọn kỳ ngắn hơn.",
        "The period is longer than {most} months: choose a shorter one.",
    ),
    "map_bad_months": (
        "Số tháng «{months}» không hợp lệ: chọn từ 1 đến {most}.",
        "«{months}» is not a number of months: choose 1 to {most}.",
    ),
    "map_bad_sort": (
        "Không sắp xếp được theo «{sort}»: bấm vào tiêu đề một cột của bảng.",
        "The table cannot be sorted by «{sort}»: choose a column's heading.",
    ),
    "map_bad_order": (
        "Thứ tự «{order}» không hợp lệ: asc (tăng dần) hoặc desc (giảm dần).",
        "«{order}» is not an order: asc (ascending) or desc (descending).",
    ),
    "held_intro": (
        "Các hồ sơ cơ quan đã giao tiếp từ {first} đến {last}, giữ lâu nhất lên đầu; thời gian "
        "tính theo ngày làm việc, từ khi nhận đến khi giao.",
        "The dossiers the office handed on from {first} to {last}, the longest held first; in "
        "working time, from taking a dossier in to handing it on.",
    ),
    "decided_on": ("Ngày giải quyết", "Decided on"),
    "judged_version_short": ("Phiên bản {version}", "Version {version}"),
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
