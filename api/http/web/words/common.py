"""The words of every page's frame — the site's name, the language switch, signing in and out,
the roles, the menu and who is signed in (the frame_ keys, api/http/web/frame.py), the read-only
and offline notices, the pager — and the nouns several pages share."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "site": ("Liên thông — theo dõi hồ sơ", "Liên thông — dossier tracking"),
    "skip": ("Bỏ qua, đến nội dung chính", "Skip to the main content"),
    "switch": ("English", "Tiếng Việt"),
    "code": ("Mã hồ sơ", "Dossier code"),
    "office_dissolved": ("{name} — giải thể {day}", "{name} — dissolved {day}"),
    "office_merged": (
        "{name} — giải thể {day}, nay thuộc {successor}",
        "{name} — dissolved {day}, now part of {successor}",
    ),
    "procedure": ("Thủ tục", "Procedure"),
    "status": ("Tình trạng", "Status"),
    "since": ("Từ lúc", "Since"),
    "appointed": ("Ngày hẹn trả kết quả", "Result promised for"),
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
    "dossier": ("Hồ sơ", "Dossier"),
    "hours": ("{n} giờ làm việc", "{n} working hours"),
    "forbidden": ("Mã truy cập này không được xem trang này.", "This token may not see this page."),
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
    "bad_code": (
        "Mã hồ sơ không đúng dạng: chỉ gồm chữ cái không dấu, chữ số và . _ : / @ + -, tối đa 128 "
        "ký tự (ví dụ 000.66.29.H59-250708-0001).",
        "That is not a dossier code: letters without accents, digits and . _ : / @ + - only, at "
        "most 128 characters (for example 000.66.29.H59-250708-0001).",
    ),
    # the frame (api/http/web/frame.py, templates/base.html): the menu, who is signed in, and why
    # the sign-in form is shown
    "frame_menu": ("Các trang chính", "Main pages"),
    "frame_desk": ("Việc của tôi", "My work"),
    "frame_receive": ("Tiếp nhận", "Receive a dossier"),
    "frame_key": ("Khóa ký", "Signing key"),
    "frame_stalls": ("Giám sát", "Oversight"),
    "frame_map": ("Bản đồ", "Map of offices"),
    "frame_enrolments": ("Duyệt khóa", "Approve keys"),
    "frame_lookup": ("Tra cứu", "Look up a dossier"),
    "frame_verify": ("Xác minh", "Verify"),
    "frame_signed_in": ("Đang đăng nhập", "Signed in as"),
    "frame_who_officer": ("{title}, {office}", "{title}, {office}"),
    "frame_who_officer_untitled": ("Cán bộ, {office}", "Officer, {office}"),
    "frame_who_inspector": ("Thanh tra — {office}", "Inspector — {office}"),
    "frame_who_registrar": ("Quản trị danh mục", "Registrar"),
    "frame_who_consumer": ("Tài khoản khai thác dữ liệu", "Data consumer"),
    "frame_sign_in_needed": (
        "Trang này dành cho cán bộ: hãy đăng nhập bằng mã truy cập, rồi trang sẽ mở ra. Người "
        "dân tra cứu hồ sơ không cần đăng nhập:",
        "This page is for officials: sign in with your access token and it will open. Citizens "
        "need not sign in to look up a dossier:",
    ),
    "frame_session_ended": (
        "Phiên đăng nhập đã kết thúc (lâu không dùng, quá thời hạn, hoặc mã truy cập đã hết hạn "
        "hay bị thu hồi), nên trang chưa mở. Hãy đăng nhập lại, rồi trang sẽ mở ra.",
        "Your session has ended (unused for too long, too old, or its access token expired or "
        "was revoked), so the page did not open. Sign in again and it will open.",
    ),
    "frame_signed_out": ("Bạn đã đăng xuất.", "You have signed out."),
    "frame_sign_in_again": ("Đăng nhập lại", "Sign in again"),
    "frame_citizen_lookup": ("Tra cứu hồ sơ", "Look up a dossier"),
    "frame_open_primary": ("Mở trang này trên máy chủ chính", "Open this page on the main server"),
}
