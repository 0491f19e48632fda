"""The words of the officer's desk: the signing key made in the browser and its approval (or the
certificate key on a token, through the signing agent on the officer's computer), the
dossiers on their way in (acknowledge or refuse), those held, handing one over, receiving a new
one with its applicant and files."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "officer_title": ("Việc của {office}", "Work at {office}"),
    "your_key": ("Khóa ký của bạn trên máy này", "Your signing key on this computer"),
    "key_none": (
        "Máy này chưa có khóa ký của bạn.",
        "This computer holds no signing key of yours.",
    ),
    "key_pending": (
        "Khóa {fingerprint} đang chờ quản trị viên phê duyệt.",
        "Key {fingerprint} is waiting for a registrar's approval.",
    ),
    "key_approved": ("Khóa {fingerprint} đã được phê duyệt.", "Key {fingerprint} is approved."),
    "agent_ready": (
        "Bạn ký bằng chứng thư số công vụ trên thiết bị ký (token), qua phần mềm ký trên máy này "
        "({address}): khóa {fingerprint} đã được phê duyệt.",
        "You sign with your official-duty certificate on a token, through the signing agent on "
        "this computer ({address}): key {fingerprint} is approved.",
    ),
    "agent_down": (
        "Khóa ký của bạn là chứng thư số công vụ trên thiết bị ký (token), nhưng chưa kết nối được "
        "phần mềm ký trên máy này ({address}), hoặc phần mềm chưa cho phép trang này: hãy mở phần "
        "mềm ký (lienthong agent) rồi tải lại trang.",
        "Your signing key is an official-duty certificate on a token, but the signing agent on "
        "this computer ({address}) cannot be reached, or does not allow this page: start it "
        "(lienthong agent), then reload the page.",
    ),
    "agent_other": (
        "Phần mềm ký trên máy này ({address}) dùng khóa {fingerprint}, không phải chứng thư số đã "
        "được phê duyệt của bạn.",
        "The signing agent on this computer ({address}) holds key {fingerprint}, not your "
        "approved certificate.",
    ),
    "agent_title": ("Phần mềm ký trên máy này", "The signing agent on this computer"),
    "agent_intro": (
        "Nếu khóa ký của bạn là chứng thư số công vụ trên thiết bị ký (token), trang ký qua phần "
        "mềm ký chạy trên chính máy này (lienthong agent). Phần mềm hiển thị nội dung sẽ ký và chỉ "
        "ký khi bạn đồng ý tại đó. Địa chỉ mặc định: {default}.",
        "If your signing key is an official-duty certificate on a token, the pages sign through "
        "the signing agent running on this computer (lienthong agent). It shows what is to be "
        "signed and signs only when you agree there. Default address: {default}.",
    ),
    "agent_address": ("Địa chỉ phần mềm ký", "Address of the signing agent"),
    "agent_save": ("Lưu địa chỉ", "Save the address"),
    "agent_saved": ("Đã lưu: {address}.", "Saved: {address}."),
    "agent_bad": (
        "Địa chỉ phải có dạng http://127.0.0.1:cổng (phần mềm ký chỉ chạy trên máy này).",
        "The address is http://127.0.0.1:port (the signing agent runs on this computer only).",
    ),
    "enrol_title": ("Tạo khóa ký", "Make a signing key"),
    "enrol_intro": (
        "Khóa được tạo ngay trong trình duyệt này và không bao giờ rời khỏi máy. Hãy đọc dấu vân "
        "tay (fingerprint) cho quản trị viên để họ đối chiếu trước khi phê duyệt.",
        "The key is made in this browser and never leaves this computer. Read its fingerprint to "
        "your registrar, who checks it before approving.",
    ),
    "make_key": ("Tạo khóa ký trên máy này", "Make a signing key on this computer"),
    "fingerprint": ("Dấu vân tay của khóa", "Key fingerprint"),
    "enrol_link": ("Tạo hoặc xem khóa ký", "Make or see the signing key"),
    "inbox_title": ("Hồ sơ đang chuyển đến", "Dossiers on their way here"),
    "inbox_none": ("Không có hồ sơ nào đang chuyển đến.", "Nothing on its way here."),
    "from": ("từ", "from"),
    "documents_check": (
        "Đánh dấu từng giấy tờ thực nhận được (giấy tờ không có thì để trống)",
        "Tick each document that actually arrived (leave what is missing unticked)",
    ),
    "documents_none": ("Không có giấy tờ gửi kèm.", "No document was sent with it."),
    "open_scan": ("Mở bản quét", "Open the scan"),
    "open_scan_window": ("mở trong cửa sổ mới", "opens in a new window"),
    "acknowledged_done": (
        "Đã nhận hồ sơ {code} từ {sender}.",
        "Dossier {code} received from {sender}.",
    ),
    "rejected_done": (
        "Đã từ chối nhận hồ sơ {code}; hồ sơ trở lại {sender}.",
        "Dossier {code} refused; it goes back to {sender}.",
    ),
    "dispatched_done": (
        "Đã giao hồ sơ {code} cho {addressee}.",
        "Dossier {code} handed over to {addressee}.",
    ),
    "sent_title": ("Đã gửi, chờ bên nhận", "Sent, waiting for the addressee"),
    "sent_none": (
        "Không có hồ sơ nào đã gửi mà bên nhận chưa nhận.",
        "Nothing sent is waiting for its addressee.",
    ),
    "sent_to": ("Gửi cho", "Sent to"),
    "sent_at": ("Gửi lúc", "Sent at"),
    "sent_waited": ("Đã chờ", "Waiting for"),
    "acts_column": ("Việc cần làm", "What to do"),
    "acknowledge": ("Nhận hồ sơ và ký", "Acknowledge and sign"),
    "refuse_reason": ("Lý do từ chối", "Reason for refusing"),
    "refuse": ("Từ chối nhận và ký", "Refuse and sign"),
    "reason_needed": ("Hãy ghi lý do từ chối.", "Give the reason for refusing."),
    "signing": ("Đang ký…", "Signing…"),
    "refused_bytes": (
        "KHÔNG KÝ: nội dung máy chủ chuẩn bị khác với những gì trang đang hiển thị —",
        "NOT SIGNED: what the server prepared differs from what this page shows —",
    ),
    "held_title": ("Hồ sơ đơn vị đang giữ", "Dossiers this office holds"),
    "held_none": ("Đơn vị không giữ hồ sơ nào.", "This office holds no dossier."),
    "enrolments_title": ("Khóa chờ phê duyệt", "Keys waiting for approval"),
    "enrolments_none": ("Không có khóa nào chờ phê duyệt.", "No key is waiting."),
    "approve_with": (
        "Hoặc phê duyệt bằng dòng lệnh: đặt mã truy cập quản trị viên của bạn vào biến môi trường "
        "LIENTHONG_TOKEN, rồi chạy lệnh dưới đây trong thư mục có tệp khóa gốc "
        "lienthong-authority.key (hoặc thay bằng tệp khóa quản trị viên của bạn):",
        "Or approve on the command line: put your registrar token in the environment variable "
        "LIENTHONG_TOKEN, then run the command below in the directory holding the authority key "
        "file lienthong-authority.key (or name your registrar key file instead):",
    ),
    "enrolment_approve": ("Phê duyệt và ký", "Approve and sign"),
    "approved_done": (
        "Đã phê duyệt khóa {fingerprint} của {who}.",
        "Key {fingerprint} of {who} is approved.",
    ),
    "enrolment_who": ("{title} — {office}", "{title} — {office}"),
    "enrolment_untitled": ("Cán bộ", "Officer"),
    "enrolment_requested": ("Yêu cầu lúc", "Requested at"),
    "registrar_key_title": (
        "Khóa ký quản trị viên trên máy này",
        "Your registrar key on this computer",
    ),
    "registrar_key_ready": (
        "Đối chiếu dấu vân tay với cán bộ, rồi bấm “Phê duyệt và ký”: ký bằng khóa {fingerprint} "
        "({who}) trên máy này.",
        "Check the fingerprint with the officer, then press “Approve and sign”: signed with key "
        "{fingerprint} ({who}) on this computer.",
    ),
    "registrar_key_none": (
        "Máy này chưa có khóa ký quản trị viên, nên chưa phê duyệt bằng nút được.",
        "This computer holds no registrar key, so the button cannot approve.",
    ),
    "registrar_key_how": (
        "Để có khóa: đăng nhập bằng mã truy cập cán bộ của bạn, tạo khóa ký trên máy này, rồi nhờ "
        'người giữ khóa gốc đăng ký khóa đó với vai trò quản trị viên ("role": "registrar"). '
        "Trong lúc chờ, hãy phê duyệt bằng dòng lệnh bên dưới.",
        "To get one: sign in with your officer token, make a signing key on this computer, then "
        "ask the holder of the authority key to register it with the role registrar "
        '("role": "registrar"). Until then, approve on the command line below.',
    ),
    "enrolment_copy": ("Sao chép lệnh", "Copy the command"),
    "enrolment_copied": ("Đã sao chép lệnh.", "Command copied."),
    "dispatch_title": ("Giao hồ sơ {code}", "Hand over dossier {code}"),
    "dispatch_link": ("Giao", "Hand over"),
    "addressee": ("Giao cho cơ quan", "Hand over to"),
    "addressee_hint": (
        "Các cơ quan đang hoạt động hôm nay, theo tỉnh và cấp",
        "Offices in operation today, by province and level",
    ),
    "addressee_choose": ("— Chọn cơ quan nhận —", "— Choose the addressee —"),
    "addressee_needed": (
        "Hãy chọn cơ quan nhận hồ sơ: chưa ký gì.",
        "Choose the office to hand the dossier over to: nothing was signed.",
    ),
    "addressee_group": ("{top} — {level}", "{top} — {level}"),
    "addressee_under": ("{name} ({parent})", "{name} ({parent})"),
    "purpose": ("Mục đích", "Purpose"),
    "purpose_process": ("Để giải quyết", "To process"),
    "purpose_decide": ("Để quyết định", "To decide"),
    "purpose_consult": ("Để lấy ý kiến", "For an opinion"),
    "purpose_return": ("Trả lại", "Return"),
    "documents_send": ("Giấy tờ gửi kèm", "Documents sent with it"),
    "dispatch": ("Giao hồ sơ và ký", "Hand over and sign"),
    "level_province": ("Cấp tỉnh", "Province"),
    "level_district": ("Cấp huyện", "District"),
    "level_commune": ("Cấp xã", "Commune"),
    "receive_title": ("Tiếp nhận hồ sơ", "Receive a dossier"),
    "receive_link": ("Tiếp nhận hồ sơ mới", "Receive a new dossier"),
    "procedure_pick": ("Thủ tục", "Procedure"),
    "appointed_proposed": (
        "Ngày hẹn trả theo quy định nếu nhận ngay bây giờ: {when}",
        "The result date the law gives if received now: {when}",
    ),
    "channel": ("Hình thức nộp", "Channel"),
    "channel_direct": ("Trực tiếp", "In person"),
    "channel_postal": ("Qua bưu chính", "By post"),
    "channel_online": ("Trực tuyến", "Online"),
    "applicant": (
        "Người nộp hồ sơ (không ghi vào sổ cái công khai)",
        "Applicant (never in the public log)",
    ),
    "full_name": ("Họ và tên", "Full name"),
    "id_number": ("Số định danh cá nhân / CCCD", "Personal ID number"),
    "phone": ("Số điện thoại", "Phone"),
    "document_name": ("Tên giấy tờ", "Document"),
    "document_file": ("Tệp quét của giấy tờ", "Scanned file of the document"),
    "receive": ("Tiếp nhận và ký", "Receive and sign"),
    "uploading": ("Đang tải tệp lên…", "Uploading the files…"),
}
