"""The words of the receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả) and of the dossier code the
server makes for it: on the receipt form before signing, and on the receipt after."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "code_made": ("Mã hồ sơ", "Dossier code"),
    "code_made_hint": (
        "do hệ thống cấp: mã định danh của cơ quan, ngày tiếp nhận, số thứ tự trong ngày",
        "made by the system: the office's agency identifier, the date of receipt, the sequence "
        "of the day",
    ),
    "code_making": ("Đang cấp mã hồ sơ…", "Making the dossier code…"),
    "code_renewed": (
        "Đã sang ngày mới nên hệ thống đã cấp mã hồ sơ mới {code}. Hãy bấm “Tiếp nhận và ký” "
        "lần nữa.",
        "The day has changed, so the system has made a new dossier code, {code}. Press “Receive "
        "and sign” again.",
    ),
    "code_failed": (
        "Chưa cấp được mã hồ sơ. Hãy tải lại trang.",
        "No dossier code could be made. Reload the page.",
    ),
    "receipt_nation": ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Socialist Republic of Vietnam"),
    "receipt_motto": ("Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"),
    "receipt_desk": ("Bộ phận Một cửa", "One-stop desk"),
    "receipt_done": (
        "Đã tiếp nhận và ký. In giấy này và trao cho người nộp hồ sơ.",
        "Received and signed. Print this receipt and hand it to the applicant.",
    ),
    "receipt_code": ("Mã hồ sơ", "Dossier code"),
    "receipt_secret": ("Mã bí mật để tra cứu", "Secret for the lookup"),
    "receipt_secret_hint": (
        "Người nộp giữ kín mã này; dùng cùng mã hồ sơ để tra cứu tình trạng hồ sơ tại {url}",
        "The applicant keeps this secret; with the dossier code it looks the dossier up at {url}",
    ),
    "receipt_secret_gone": (
        "Không còn mã bí mật: thông tin người nộp đã bị xóa hoặc không được lưu trên máy chủ này.",
        "No secret: the applicant's details were erased, or are not kept on this server.",
    ),
    "receipt_applicant": ("Người nộp hồ sơ", "Applicant"),
    "receipt_id_number": ("Số định danh cá nhân", "Personal ID number"),
    "receipt_phone": ("Số điện thoại", "Phone"),
    "receipt_procedure": ("Nội dung yêu cầu giải quyết", "Request"),
    "receipt_channel": ("Hình thức nộp", "Channel"),
    "receipt_documents": ("Thành phần hồ sơ nộp gồm", "Documents received"),
    "receipt_received": ("Thời gian nhận hồ sơ", "Received"),
    "receipt_appointed": ("Thời gian trả kết quả giải quyết hồ sơ", "Result due"),
    "receipt_collect": ("Nơi nhận kết quả", "Collect the result at"),
    "receipt_collect_at": ("Bộ phận Một cửa — {office}", "One-stop desk — {office}"),
    "receipt_officer": ("Người tiếp nhận hồ sơ", "Received by"),
    "receipt_sign": ("(Ký và ghi rõ họ tên)", "(Signature and full name)"),
    "receipt_basis": ("Căn cứ", "Legal basis"),
    "receipt_qr": ("Mã QR: trang tra cứu hồ sơ", "QR code: the dossier lookup"),
    "receipt_print": ("In giấy tiếp nhận", "Print the receipt"),
    "receipt_dispatch": ("Giao hồ sơ này", "Hand this dossier over"),
    "receipt_another": ("Tiếp nhận hồ sơ khác", "Receive another dossier"),
    "receipt_link": ("Giấy tiếp nhận", "Receipt"),
    "receipt_to_desk": ("Về trang việc của đơn vị", "Back to the desk"),
    "receipt_unknown": ("Không có hồ sơ nào mang mã {code}.", "No dossier has the code {code}."),
    "receipt_forbidden": (
        "Chỉ cán bộ của cơ quan đã tiếp nhận hồ sơ (hoặc của cơ quan đã nhận lại hồ sơ của cơ quan "
        "đó) được xem và in giấy tiếp nhận.",
        "Only an officer of the office that received the dossier (or of the office that took "
        "over its dossiers) may see and print its receipt.",
    ),
}
