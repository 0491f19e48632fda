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
    "slip_title": (
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "Process control slip (form 05)",
    ),
    "slip_code": ("Mã hồ sơ", "Dossier code"),
    "slip_received": ("Thời điểm tiếp nhận", "Received at"),
    "slip_appointed": ("Hẹn trả kết quả", "Result promised for"),
    "slip_body": ("Tên cơ quan", "Office"),
    "slip_time": ("Thời gian giao, nhận hồ sơ", "Handed over, received"),
    "slip_result": ("Kết quả giải quyết hồ sơ", "Result"),
    "slip_notes": ("Ghi chú", "Notes"),
    "slip_give": ("Giao", "Handed over by"),
    "slip_take": ("Nhận", "Received by"),
    "slip_waiting": ("chưa nhận", "not yet received"),
    "slip_reception": ("Tiếp nhận", "Received at"),
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
    "qr_caption": (
        "Quét mã để xác minh hồ sơ này trên sổ cái công khai",
        "Scan to verify this dossier on the public log",
    ),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "token": ("Mã truy cập", "Access token"),
    "token_hint": (
        "Mã do cán bộ quản trị cấp (lienthong token create); trình duyệt giữ nó trong phiên này.",
        "The token your registrar issued (lienthong token create); this browser keeps it for the "
        "session.",
    ),
    "bad_token": ("Mã truy cập không dùng được: {reason}", "This token cannot be used: {reason}"),
    "cross_site": (
        "Biểu mẫu này đã hết hạn hoặc được gửi từ một trang khác, nên không có gì được thực hiện. "
        "Hãy đăng nhập lại.",
        "This form has expired or was sent from another site, so nothing was done. Please sign "
        "in again.",
    ),
    "sign_in_read_only": (
        "Máy chủ này là bản sao chỉ đọc: hãy đăng nhập và đăng xuất trên máy chủ chính.",
        "This server is a read-only copy: sign in and out on the primary server.",
    ),
    "signed_in_as": ("{role} — {office}", "{role} — {office}"),
    "role_officer": ("Cán bộ", "Officer"),
    "role_inspector": ("Thanh tra, giám sát", "Inspector"),
    "role_consumer": ("Tra cứu", "Consumer"),
    "role_registrar": ("Quản trị danh mục", "Registrar"),
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
    "dossier": ("Hồ sơ", "Dossier"),
    "hours": ("{n} giờ làm việc", "{n} working hours"),
    "timeline": ("Diễn biến", "Timeline"),
    "forbidden": ("Mã truy cập này không được xem trang này.", "This token may not see this page."),
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
        "Đánh dấu giấy tờ thực nhận (bỏ dấu giấy tờ không có)",
        "Tick the documents that arrived (untick what is missing)",
    ),
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
    "days_left": ("còn {n} ngày", "{n} days left"),
    "days_over": ("quá hạn {n} ngày", "{n} days overdue"),
    "enrolments_title": ("Khóa chờ phê duyệt", "Keys waiting for approval"),
    "enrolments_none": ("Không có khóa nào chờ phê duyệt.", "No key is waiting."),
    "approve_with": (
        "Đối chiếu dấu vân tay với cán bộ, rồi phê duyệt bằng lệnh:",
        "Check the fingerprint with the officer, then approve with:",
    ),
    "dispatch_title": ("Giao hồ sơ {code}", "Hand over dossier {code}"),
    "dispatch_link": ("Giao", "Hand over"),
    "addressee": ("Giao cho cơ quan", "Hand over to"),
    "addressee_hint": (
        "Các cơ quan đang hoạt động hôm nay, theo cây tổ chức",
        "Offices in operation today, by the office tree",
    ),
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
    "receipt_title": ("Giấy tiếp nhận", "Receipt"),
    "receipt_text": (
        "Đã tiếp nhận hồ sơ {code}. Mã bí mật để người nộp tra cứu: {secret}",
        "Dossier {code} received. The applicant's lookup secret: {secret}",
    ),
    "uploading": ("Đang tải tệp lên…", "Uploading the files…"),
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
    "pages": ("Các trang", "Pages"),
    "shown_range": ("Hồ sơ {first}–{last} trên {total}", "Dossiers {first}–{last} of {total}"),
    "page_of": ("Trang {page}/{pages}", "Page {page} of {pages}"),
    "page_prev": ("← Trang trước", "← Previous page"),
    "page_next": ("Trang sau →", "Next page →"),
    "offline": (
        "Không gửi được: mất kết nối với máy chủ. Kiểm tra mạng rồi bấm lại; "
        "không có gì bị ghi hai lần.",
        "Not sent: the connection to the server was lost. Check the network and press again; "
        "nothing is recorded twice.",
    ),
    "read_only_notice": (
        "Máy chủ này chỉ để xem (một bản sao dữ liệu): ở đây không tiếp nhận, giao, xác nhận hồ sơ "
        "hay đăng ký khóa được. Hãy dùng máy chủ chính để làm việc đó.",
        "This server is a read-only copy of the data: dossiers cannot be received, handed over or "
        "acknowledged here, nor keys enrolled. Use the main server for that.",
    ),
    "bad_page": ("Số trang không hợp lệ: {page}.", "Not a page number: {page}."),
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
    "bad_code": (
        "Mã hồ sơ không đúng dạng: chỉ gồm chữ cái không dấu, chữ số và . _ : / @ + -, tối đa 128 "
        "ký tự (ví dụ 000.66.29.H59-250708-0001).",
        "That is not a dossier code: letters without accents, digits and . _ : / @ + - only, at "
        "most 128 characters (for example 000.66.29.H59-250708-0001).",
    ),
    "bad_secret": (
        "Mã bí mật chỉ gồm chữ và số, như in trên giấy tiếp nhận.",
        "The secret holds only letters and digits, as printed on the receipt.",
    ),
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
    "verify_title": ("Xác minh hồ sơ", "Verify a dossier"),
    "verify_intro": (
        "Kiểm tra một gói kiểm toán (tệp .bundle): mọi bản khai có đúng chữ ký của cán bộ, có nằm "
        "trong sổ cái công khai (chứng minh Merkle) và sổ cái có đúng chữ ký của cơ quan quản lý "
        "sổ hay không.",
        "Check an audit bundle (a .bundle file): whether every statement carries its officer's "
        "signature, is in the public log (a Merkle proof), and whether the log is signed by its "
        "keeper.",
    ),
    "bundle_file": ("Tệp gói kiểm toán (.bundle)", "Audit bundle file (.bundle)"),
    "verify": ("Xác minh", "Verify"),
    "verified": (
        "Hồ sơ {code} được xác minh: {n} bản khai, mọi chữ ký và chứng minh đều đúng, sổ cái có "
        "{size} mục.",
        "Dossier {code} verifies: {n} statements, every signature and proof holds; the log has "
        "{size} entries.",
    ),
    "not_verified": (
        "KHÔNG xác minh được hồ sơ {code}. Không tin vào nội dung này. Lý do:",
        "Dossier {code} does NOT verify. Do not rely on it. What failed:",
    ),
    "unreadable": (
        "Tệp này không phải là gói kiểm toán đọc được: {problem}",
        "This file is not a readable audit bundle: {problem}",
    ),
    "no_file": ("Hãy chọn một tệp gói kiểm toán.", "Choose an audit bundle file."),
    "too_big": ("Tệp quá lớn cho một gói kiểm toán.", "The file is too large for an audit bundle."),
    "log_key": ("Khóa công khai của sổ cái", "The log's public key"),
    "no_log_key": (
        "Máy chủ này chưa được cấu hình khóa công khai của sổ cái, nên không xác minh được.",
        "This server has no public key of the log configured, so it cannot verify.",
    ),
    "where_checked": (
        "Việc kiểm tra này chạy trên máy chủ. Để không phải tin máy chủ, hãy kiểm tra ngay trong "
        "trình duyệt (bên dưới), hoặc tự chạy: lienthong verify-bundle TỆP --log-key KHÓA",
        "This check ran on the server. To check without trusting it, check in this browser "
        "(below), or run: lienthong verify-bundle FILE --log-key KEY",
    ),
    "browser_title": ("Kiểm tra ngay trong trình duyệt", "Check it in this browser"),
    "browser_intro": (
        "Trình duyệt của bạn tự kiểm tra gói kiểm toán, không gửi nó đi đâu: chữ ký của sổ cái "
        "trên checkpoint, chứng minh Merkle của từng mục, chữ ký của từng bản khai và sự nối tiếp "
        "của từng lịch sử. Nếu đã chọn tệp ở trên, tệp đó được kiểm tra; nếu không, gói của hồ sơ "
        "này do máy chủ cấp.",
        "Your browser checks the audit bundle itself, without sending it anywhere: the log's "
        "signature on the checkpoint, every entry's Merkle proof, every statement's signature, "
        "and that every history follows on. A file chosen above is checked; otherwise this "
        "dossier's bundle, as the server gives it.",
    ),
    "browser_key": (
        "Khóa công khai của sổ cái để kiểm tra",
        "The log's public key to check against",
    ),
    "browser_key_hint": (
        "Điền sẵn khóa máy chủ này công bố. Nên thay bằng khóa bạn có từ nguồn khác (khóa do tỉnh "
        "công bố): máy chủ không thể tự xác nhận chính nó.",
        "Filled in with the key this server publishes. Better, paste the key you got elsewhere "
        "(the one the province publishes): a server cannot vouch for itself.",
    ),
    "browser_run": ("Kiểm tra trong trình duyệt", "Check in this browser"),
    "download_bundle": ("Tải gói kiểm toán của hồ sơ này", "Download this dossier's audit bundle"),
    "browser_limits": (
        "Ngoài việc khóa đã bị thu hồi trước đó trong sổ, trình duyệt không kiểm tra hiệu lực của "
        "khóa và cán bộ tại thời điểm ký, hay quy tắc giao nhận; máy chủ kiểm tra những điều đó ở "
        "trên, và lệnh lienthong verify-bundle cũng vậy khi chạy trên máy của bạn.",
        "Apart from a key revoked earlier in the log, the browser does not check that keys and "
        "officers were in force when they signed, nor the rules of custody: the server's check "
        "above does, and so does lienthong verify-bundle run on your own computer.",
    ),
    "steps": ("Các bước đã ghi", "Recorded steps"),
    "when": ("Thời điểm", "When"),
    "what": ("Việc", "What"),
    "who": ("Cơ quan", "Office"),
    "signature": ("Chữ ký", "Signature"),
    "sig_ok": ("đúng", "valid"),
    "sig_bad": ("SAI", "INVALID"),
}

# The browser's check (api/http/static/verify.js): its verdicts, and each problem it can find by code.
BROWSER_WORDS: dict[str, tuple[str, str]] = {
    "checking": ("Đang kiểm tra…", "Checking…"),
    "ok": (
        "✔ Trình duyệt đã tự kiểm tra: {entries} mục ({mine} của hồ sơ {dossier}) nằm trong sổ "
        "cái có {size} mục, mọi chữ ký và chứng minh đều đúng.",
        "✔ Checked by this browser: {entries} entries ({mine} of dossier {dossier}) are in the "
        "log of {size} entries; every signature and proof holds.",
    ),
    "failed": (
        "✘ Trình duyệt KHÔNG xác minh được gói này. Không tin vào nội dung này. Lý do:",
        "✘ This browser could NOT verify this bundle. Do not rely on it. What failed:",
    ),
    "no_file": (
        "Hãy chọn một tệp gói kiểm toán ở trên.",
        "Choose an audit bundle file above.",
    ),
    "fetch_failed": (
        "Không tải được gói kiểm toán từ máy chủ.",
        "The audit bundle could not be fetched from the server.",
    ),
    "bad_key": (
        "Khóa sổ cái không đúng dạng khóa xác minh (tên+8 chữ số hex+base64), hoặc mã băm của "
        "nó không khớp.",
        "The log key is not a verifier key (name+8 hex digits+base64), or its hash does not "
        "match it.",
    ),
    "not_canonical": (
        "Tệp không phải gói kiểm toán đọc được ({reason}).",
        "The file is not a readable audit bundle ({reason}).",
    ),
    "not_bundle": (
        "Tệp không phải gói kiểm toán Liên thông.",
        "The file is not a Liên thông audit bundle.",
    ),
    "checkpoint_form": (
        "Checkpoint trong gói không đúng dạng.",
        "The bundle's checkpoint is malformed.",
    ),
    "checkpoint_unsigned": (
        "Checkpoint không có chữ ký của khóa {origin}: gói không thuộc sổ cái này, hoặc khóa "
        "không đúng.",
        "The checkpoint carries no signature by the key {origin}: the bundle is not from this "
        "log, or the key is not its.",
    ),
    "checkpoint_signature": (
        "Chữ ký trên checkpoint không đúng: gói đã bị sửa.",
        "The signature on the checkpoint does not hold: the bundle was changed.",
    ),
    "checkpoint_origin": (
        "Checkpoint là của sổ cái {found}, không phải {origin}.",
        "The checkpoint is of the log {found}, not {origin}.",
    ),
    "entry_form": ("Mục thứ {n} của gói không đúng dạng.", "Entry {n} of the bundle is malformed."),
    "index": (
        "Mục ở vị trí {index}: vị trí không tăng dần hoặc vượt quá {size} mục của sổ cái.",
        "Entry at position {index}: out of order, or beyond the log's {size} entries.",
    ),
    "proof": (
        "Mục ở vị trí {index}: chứng minh Merkle không dẫn tới gốc của checkpoint — mục đã bị sửa.",
        "Entry at position {index}: its Merkle proof does not lead to the checkpoint's root — "
        "the entry was changed.",
    ),
    "statement": (
        "Mục ở vị trí {index}: bản khai không đúng dạng ({reason}).",
        "Entry at position {index}: the statement is malformed ({reason}).",
    ),
    "unknown_key": (
        "Mục ở vị trí {index}: khóa {key} không được đăng ký trong gói.",
        "Entry at position {index}: the key {key} is not registered in the bundle.",
    ),
    "signature": (
        "Mục ở vị trí {index}: chữ ký của bản khai không đúng.",
        "Entry at position {index}: the statement's signature does not hold.",
    ),
    "key_revoked": (
        "Mục ở vị trí {index}: khóa ký {key} đã bị thu hồi (việc thu hồi được ghi ở vị trí "
        "{revoked}); không bản khai nào ký bằng khóa này được chấp nhận nữa, bất kể ngày ghi trên "
        "bản khai.",
        "Entry at position {index}: the signing key {key} was revoked (its revocation is recorded "
        "at position {revoked}); nothing signed with it is accepted any more, whatever its date.",
    ),
    "chain": (
        "Mục ở vị trí {index}: không nối tiếp lịch sử của {subject} (thiếu hoặc thừa bản khai).",
        "Entry at position {index}: it does not follow on the history of {subject} (a statement "
        "missing or added).",
    ),
    "no_dossier": (
        "Gói không có bản khai nào của hồ sơ {code}.",
        "The bundle holds no statement of dossier {code}.",
    ),
}


def browser_words(lang: str) -> dict[str, str]:
    """The browser check's words in `lang`, with their {placeholders} for the page to fill."""
    return {code: vi if lang == "vi" else en for code, (vi, en) in BROWSER_WORDS.items()}


def say(key: str, lang: str, **values: object) -> str:
    vi, en = PAGE_WORDS[key]
    return (vi if lang == "vi" else en).format(**values)
