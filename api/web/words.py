"""The pages' words, Vietnamese first, English on request (`?lang=en`, then a cookie)."""

from __future__ import annotations

PAGE_WORDS: dict[str, tuple[str, str]] = {
    "site": ("Liên thông — theo dõi hồ sơ", "Liên thông — dossier tracking"),
    "skip": ("Bỏ qua, đến nội dung chính", "Skip to the main content"),
    "switch": ("English", "Tiếng Việt"),
    "lookup_title": ("Tra cứu hồ sơ", "Look up a dossier"),
    "lookup_intro": (
        "Nhập mã hồ sơ và mã bí mật in trên giấy tiếp nhận để biết hồ sơ đang ở đâu và ngày hẹn "
        "trả kết quả.",
        "Enter the dossier code and the secret printed on your receipt to see where your dossier "
        "is and the date promised for the result.",
    ),
    "code": ("Mã hồ sơ", "Dossier code"),
    "code_hint": ("Ví dụ: 000.66.29.H59-250708-0001", "For example: 000.66.29.H59-250708-0001"),
    "secret": ("Mã bí mật trên giấy tiếp nhận", "Secret on the receipt"),
    "secret_hint": ("10 ký tự, không phân biệt hoa thường", "10 characters, any case"),
    "look_up": ("Tra cứu", "Look up"),
    "not_found": (
        "Không tìm thấy hồ sơ có mã và mã bí mật này. Hãy kiểm tra lại giấy tiếp nhận.",
        "No dossier has this code and secret. Please check your receipt.",
    ),
    "too_many": (
        "Bạn đã tra cứu quá nhiều lần. Hãy thử lại sau {seconds} giây.",
        "Too many lookups. Please try again in {seconds} seconds.",
    ),
    "missing_fields": ("Hãy nhập cả mã hồ sơ và mã bí mật.", "Enter both the code and the secret."),
    "result_title": ("Hồ sơ {code}", "Dossier {code}"),
    "procedure": ("Thủ tục", "Procedure"),
    "status": ("Tình trạng", "Status"),
    "where": ("Đang ở", "Now at"),
    "since": ("Từ lúc", "Since"),
    "appointed": ("Ngày hẹn trả kết quả", "Result promised for"),
    "decided": ("Kết quả", "Decision"),
    "status_held": ("Đang được xử lý", "Being processed"),
    "status_in_transit": (
        "Đang được chuyển đến cơ quan tiếp theo",
        "On its way to the next office",
    ),
    "status_suspended": ("Tạm dừng, chờ bổ sung giấy tờ", "Paused, waiting for documents"),
    "status_closed": ("Đã kết thúc", "Closed"),
    "overdue": ("Đã quá ngày hẹn", "Past the promised date"),
    "again": ("Tra cứu hồ sơ khác", "Look up another dossier"),
}


def say(key: str, lang: str, **values: object) -> str:
    vi, en = PAGE_WORDS[key]
    return (vi if lang == "vi" else en).format(**values)
