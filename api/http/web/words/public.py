"""The words of the citizen's pages: looking up a dossier with the secret on its receipt, the
answer (where it is, the date promised), and the process control slip printed from it (its form
and legal basis by the dossier's date of receipt)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "lookup_title": ("Tra cứu hồ sơ", "Look up a dossier"),
    "lookup_intro": (
        "Nhập mã hồ sơ và mã bí mật in trên giấy tiếp nhận để biết hồ sơ đang ở đâu và ngày hẹn "
        "trả kết quả.",
        "Enter the dossier code and the secret printed on your receipt to see where your dossier "
        "is and the date promised for the result.",
    ),
    "code_hint": (
        "Ví dụ: 000.66.29.H59-250708-0001 (chữ hoa hay chữ thường đều được)",
        "For example: 000.66.29.H59-250708-0001 (capitals or not)",
    ),
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
    "where": ("Đang ở", "Now at"),
    "decided": ("Kết quả", "Decision"),
    "decided_approved": ("Được chấp thuận", "Granted"),
    "decided_refused": ("Không được chấp thuận", "Not granted"),
    "status_held": ("Đang được xử lý", "Being processed"),
    "status_in_transit": (
        "Đang được chuyển đến cơ quan tiếp theo",
        "On its way to the next office",
    ),
    "status_suspended": ("Tạm dừng, chờ bổ sung giấy tờ", "Paused, waiting for documents"),
    "status_closed": ("Đã kết thúc", "Closed"),
    "ended_result_returned": ("Đã kết thúc: đã trả kết quả", "Closed: result returned"),
    "ended_withdrawn": ("Đã kết thúc: người nộp rút hồ sơ", "Closed: withdrawn by the applicant"),
    "ended_refused": (
        "Đã kết thúc: từ chối tiếp nhận giải quyết hồ sơ",
        "Closed: refused at reception",
    ),
    "ended_stopped": ("Đã kết thúc: dừng giải quyết hồ sơ", "Closed: handling stopped"),
    "collect": ("Nơi nhận kết quả", "Where to collect the result"),
    "collect_at": ("Bộ phận Một cửa — {office}", "The one-stop desk — {office}"),
    "again": ("Tra cứu hồ sơ khác", "Look up another dossier"),
    "slip_title": (
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "Process control slip",
    ),
    "slip_basis": ("Căn cứ", "Legal basis"),
    "slip_cutoff": ("Giờ chốt tiếp nhận", "Receipt cut-off"),
    "slip_cutoff_none": (
        "không áp dụng (thủ tục không quy định)",
        "none (the procedure sets none)",
    ),
    "slip_provisional": (
        "Thời hạn tạm tính (chưa xác nhận được)",
        "Provisional time limits (could not be confirmed)",
    ),
    "slip_provisional_mark": ("theo thời hạn tạm tính", "against a provisional budget"),
    "slip_code": ("Mã hồ sơ", "Dossier code"),
    "slip_received": ("Thời điểm tiếp nhận", "Received at"),
    "slip_appointed": ("Hẹn trả kết quả", "Result promised for"),
    "slip_body": ("Tên cơ quan", "Office"),
    "slip_time": ("Thời gian giao, nhận hồ sơ", "Handed over, received"),
    "slip_result": ("Kết quả giải quyết hồ sơ", "Result"),
    "slip_notes": ("Ghi chú", "Notes"),
    "slip_notices": ("Thông báo gửi người nộp hồ sơ", "Notices to the applicant"),
    "slip_notice_reason": ("Lý do", "Reason"),
    "slip_notice_appointed": ("Ngày hẹn trả mới", "New appointed date"),
    "slip_give": ("Giao", "Handed over by"),
    "slip_take": ("Nhận", "Received by"),
    "slip_waiting": ("chưa nhận", "not yet received"),
    "slip_reception": ("Tiếp nhận", "Received at"),
    "slip_desk": ("Bộ phận Một cửa", "One-stop desk"),
    "slip_given_at": ("Giao lúc", "Handed over"),
    "slip_taken_at": ("Nhận lúc", "Received"),
    "slip_giver": ("Người giao", "Handed over by"),
    "slip_taker": ("Người nhận", "Received by"),
    "slip_sign": ("(ký, ghi rõ họ tên)", "(signature and full name)"),
    "slip_applicant": ("Người nộp hồ sơ", "The applicant"),
    "slip_against_appointed": ("so với ngày hẹn trả kết quả", "against the date promised"),
    "slip_used": ("Thời gian xử lý: {span}", "Time taken: {span}"),
    "result_early": ("Trước hạn", "Early"),
    "result_on_time": ("Đúng hạn", "On time"),
    "result_late": ("Quá hạn", "Late"),
    "result_pending": ("Đang xử lý, còn trong hạn", "In progress, within its time"),
    "result_open": ("Đang xử lý", "In progress"),
    "slip_missing": ("{n} giấy tờ gửi mà không nhận được", "{n} documents sent but not received"),
    "slip_extra": ("{n} giấy tờ nhận thêm", "{n} documents received beyond those sent"),
    "slip_refused": ("Từ chối nhận", "Refused"),
    "slip_recalled": ("Thu hồi", "Recalled"),
    "print": ("In phiếu", "Print the slip"),
    # the server's seal, named at the PDF's foot: not necessarily the office heading the slip
    "slip_pdf": (
        "Tải phiếu PDF đóng dấu bằng chứng thư số",
        "Download the slip as a PDF sealed with a certificate",
    ),
    "slip_pdf_none": (
        "Máy chủ này chưa được cấu hình chứng thư số của cơ quan (con dấu số), nên chưa tải được "
        "phiếu PDF có chữ ký số.",
        "This server has no office certificate (seal) configured, so the slip cannot be "
        "downloaded as a signed PDF.",
    ),
    "qr_caption": (
        "Quét mã để xác minh hồ sơ này trên sổ cái công khai",
        "Scan to verify this dossier on the public log",
    ),
    "bad_secret": (
        "Mã bí mật chỉ gồm chữ và số, như in trên giấy tiếp nhận.",
        "The secret holds only letters and digits, as printed on the receipt.",
    ),
}
