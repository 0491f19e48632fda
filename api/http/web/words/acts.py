"""The words of the page where an officer acts on a dossier the office holds (/can-bo/xu-ly/…):
the dossier's state, each act's small form, the confirmation after signing, and the refusals.
The forms' names and numbers are not here: they are the law's, by the dossier's date of receipt
(domain/law.py)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "acts_title": ("Xử lý hồ sơ {code}", "Handle dossier {code}"),
    "acts_link": ("Xử lý", "Handle"),
    "acts_state": ("Tình trạng hồ sơ", "The dossier now"),
    "acts_received": ("Tiếp nhận", "Received"),
    "acts_received_at": ("{when}, tại {office}", "{when}, at {office}"),
    "acts_holder": ("Đơn vị đang giữ", "Held by"),
    "acts_state_held": ("Đang giải quyết", "Being handled"),
    "acts_state_suspended": (
        "Đang chờ người nộp bổ sung, hoàn thiện hồ sơ (tạm dừng tính thời hạn)",
        "Waiting for the applicant's supplement (the clock is suspended)",
    ),
    "acts_state_decided": ("Đã có kết quả giải quyết: {outcome}", "Decided: {outcome}"),
    "acts_outcome_approved": ("chấp thuận", "approved"),
    "acts_outcome_refused": ("không chấp thuận", "refused"),
    "acts_forms_by": (
        "Biểu mẫu theo ngày tiếp nhận hồ sơ ({day}): {basis}",
        "Forms by the date of receipt ({day}): {basis}",
    ),
    "acts_none": (
        "Lúc này đơn vị không có việc nào khác để làm với hồ sơ này.",
        "There is nothing else this office can do with this dossier now.",
    ),
    "acts_offered": ("Việc có thể làm", "What you can do"),
    "acts_no_form": (
        "Các biểu mẫu áp dụng theo ngày tiếp nhận hồ sơ này không có mẫu số cho văn bản này; "
        "văn bản được ghi theo tên gọi.",
        "The forms in force on this dossier's date of receipt have no numbered form for this "
        "notice; it is recorded by its name.",
    ),
    # the acts that are no form of the one-stop circulars
    "acts_supplement_received": (
        "Ghi nhận đã nhận hồ sơ bổ sung",
        "Record that the supplement arrived",
    ),
    "acts_decided": ("Ghi kết quả giải quyết", "Record the decision"),
    "acts_result_returned": ("Trả kết quả cho người nộp", "Return the result to the applicant"),
    "acts_withdrawn": (
        "Rút hồ sơ theo đề nghị của người nộp",
        "The applicant withdraws the dossier",
    ),
    # the fields
    "acts_reason": ("Lý do", "Reason"),
    "acts_reason_refused": (
        "Lý do từ chối tiếp nhận giải quyết",
        "Why the dossier is refused",
    ),
    "acts_reason_stopped": ("Lý do dừng giải quyết", "Why the handling stops"),
    "acts_reason_withdrawn": ("Lý do người nộp rút hồ sơ", "Why the applicant withdraws it"),
    "acts_reason_delay": (
        "Lý do xin lỗi và hẹn lại ngày trả kết quả",
        "Why the result will be late",
    ),
    "acts_delay_once": (
        "Ngày trả kết quả chỉ được hẹn lại một lần.",
        "The date of the result can be set again only once.",
    ),
    "acts_reason_extension": (
        "Lý do xin lỗi và đề nghị gia hạn",
        "Why the time must be extended",
    ),
    "acts_reason_supplement": ("Lý do yêu cầu bổ sung", "Why a supplement is needed"),
    "acts_missing": ("Giấy tờ cần bổ sung, hoàn thiện", "Documents to supplement"),
    "acts_missing_hint": ("Mỗi dòng một giấy tờ.", "One document a line."),
    "acts_appointed_now": (
        "Ngày hẹn trả kết quả hiện tại: {when}",
        "The result is promised now for {when}",
    ),
    "acts_appointed_new": ("Ngày hẹn trả kết quả mới", "New date for the result"),
    "acts_appointed_hint": (
        "Giờ Việt Nam; phải sau ngày hẹn hiện tại.",
        "Vietnam time; later than the date promised now.",
    ),
    "acts_outcome": ("Kết quả giải quyết", "Decision"),
    "acts_reference": (
        "Số, ký hiệu văn bản giải quyết",
        "Number and reference of the decision",
    ),
    "acts_return_channel": ("Hình thức trả kết quả", "How the result is returned"),
    "acts_note": ("Ghi chú (không bắt buộc)", "Note (optional)"),
    "acts_supplement_document": (
        "Giấy tờ bổ sung (không bắt buộc)",
        "Document supplied (optional)",
    ),
    # the buttons
    "acts_sign_supplement_requested": ("Yêu cầu bổ sung và ký", "Request and sign"),
    "acts_sign_supplement_received": ("Ghi nhận và ký", "Record and sign"),
    "acts_sign_delay_notified": ("Hẹn lại ngày trả kết quả và ký", "Set the new date and sign"),
    "acts_sign_extension_requested": ("Đề nghị gia hạn và ký", "Ask to extend and sign"),
    "acts_sign_decided": ("Ghi kết quả và ký", "Record the decision and sign"),
    "acts_sign_result_returned": ("Trả kết quả và ký", "Return the result and sign"),
    "acts_sign_refused": ("Từ chối tiếp nhận và ký", "Refuse and sign"),
    "acts_sign_stopped": ("Dừng giải quyết và ký", "Stop the handling and sign"),
    "acts_sign_withdrawn": ("Ghi nhận rút hồ sơ và ký", "Record the withdrawal and sign"),
    # what the page's script says
    "acts_needed": ("Hãy điền: {field}.", "Fill in: {field}."),
    "acts_bad_time": (
        "Ngày giờ không đúng dạng: {value}.",
        "Not a date and time: {value}.",
    ),
    "acts_server_refused": ("Máy chủ không ghi: {title}.", "Not recorded: {title}."),
    "acts_detail": ("Chi tiết:", "Details:"),
    # after signing
    "acts_signed": (
        "Đã ký và ghi vào sổ cái: {what}, lúc {when} (bản khai số {seq} của hồ sơ).",
        "Signed and recorded in the ledger: {what}, at {when} (the dossier's statement {seq}).",
    ),
    "acts_timeline": ("Xem diễn biến của hồ sơ", "See the dossier's timeline"),
    "acts_back": ("Về danh sách hồ sơ của đơn vị", "Back to this office's dossiers"),
    # the page refused
    "acts_unknown": ("Không có hồ sơ nào mang mã {code}.", "No dossier has the code {code}."),
    "acts_not_held": (
        "Đơn vị của bạn không giữ hồ sơ {code} (hồ sơ do {holder} giữ): chỉ đơn vị đang giữ hồ "
        "sơ mới xử lý được.",
        "Your office does not hold dossier {code} ({holder} holds it): only the office that "
        "holds a dossier can act on it.",
    ),
    "acts_in_transit": (
        "Hồ sơ {code} đang được chuyển từ {sender} đến {addressee}: chưa đơn vị nào giữ nó.",
        "Dossier {code} is on its way from {sender} to {addressee}: no office holds it now.",
    ),
    "acts_bad_signed": (
        "Số bản khai không hợp lệ: {value} (phải là một số nguyên dương).",
        "Not a statement number: {value} (a positive whole number).",
    ),
}
