"""User-facing words, Vietnamese first, English available (`--lang en`)."""

from __future__ import annotations

from ledger.views.durations import working_days
from ledger.views.stalls import WORKING_DAY_SECONDS

KINDS: dict[str, tuple[str, str]] = {
    "dossier.received": ("Tiếp nhận hồ sơ", "Dossier received"),
    "handover.dispatched": ("Giao hồ sơ", "Handed over (dispatched)"),
    "handover.acknowledged": ("Nhận hồ sơ", "Receipt acknowledged"),
    "handover.rejected": ("Từ chối nhận", "Handover rejected"),
    "handover.recalled": ("Thu hồi lần giao", "Dispatch recalled"),
    "dossier.supplement_requested": ("Yêu cầu bổ sung", "Supplement requested"),
    "dossier.supplement_received": ("Nhận bổ sung", "Supplement received"),
    "dossier.delay_notified": ("Xin lỗi, hẹn lại", "Delay notified (new appointment)"),
    "dossier.decided": ("Có kết quả giải quyết", "Decided"),
    "dossier.result_returned": ("Trả kết quả", "Result returned"),
    "dossier.withdrawn": ("Rút hồ sơ", "Withdrawn"),
    "dossier.refused": ("Từ chối tiếp nhận giải quyết hồ sơ", "Refused at reception"),
    "dossier.extension_requested": (
        "Xin lỗi và đề nghị gia hạn thời gian giải quyết",
        "Apology and request to extend the time",
    ),
    "dossier.stopped": ("Dừng giải quyết hồ sơ", "Handling stopped"),
}

WORDS: dict[str, tuple[str, str]] = {
    "notices": ("Thông báo gửi người nộp hồ sơ", "Notices to the applicant"),
    "notice_reason": ("lý do", "reason"),
    "notice_appointed": ("ngày hẹn trả mới", "new appointed date"),
    "report_notices": (
        "Thông báo gửi người nộp: xin lỗi, hẹn lại hoặc đề nghị gia hạn {apologised}; "
        "từ chối tiếp nhận {refused}; dừng giải quyết {stopped}",
        "Notices to applicants: apology with a new date or an extension {apologised}; "
        "refused at reception {refused}; handling stopped {stopped}",
    ),
    "report_extended_again": (
        "Đề nghị gia hạn hơn một lần (chưa xác nhận Nghị định 118/2025 có cho phép): {n}{codes}",
        "Extended more than once (whether Decree 118/2025 allows it is unconfirmed): {n}{codes}",
    ),
    # the national index's lines of the report (Decision 766/QĐ-TTg)
    "report_index_index": (
        "Chỉ số theo Quyết định 766/QĐ-TTg (phần sổ cái biết được):",
        "The national index of Decision 766/QĐ-TTg (what the ledger knows):",
    ),
    "report_index_online": (
        "  Tiếp nhận trực tuyến: {n} ({rate})",
        "  Received online: {n} ({rate})",
    ),
    "report_index_digitised": (
        "  Số hóa khi tiếp nhận (có bản quét đã tải lên): {n} ({rate})",
        "  Digitised at receipt (scans uploaded): {n} ({rate})",
    ),
    "report_index_apology": (
        "  Quá hạn so với ngày hẹn khi tiếp nhận: {late}, trong đó có phiếu xin lỗi: {n} ({rate})",
        "  Late against the time appointed at receipt: {late}, with an apology slip: {n} ({rate})",
    ),
    "report_index_satisfaction": (
        "  Đánh giá của người dân: {rated}, không hài lòng: {dissatisfied}; tỷ lệ hài lòng: {rate}",
        "  Citizens' ratings: {rated}, dissatisfied: {dissatisfied}; satisfaction rate: {rate}",
    ),
    "report_index_unknowable": (
        "Chỉ số sổ cái không biết được:",
        "Indicators the ledger cannot know:",
    ),
    "error": ("Lỗi", "Error"),
    "time": ("Thời gian", "Time"),
    "step": ("Bước", "Step"),
    "office": ("Cơ quan", "Office"),
    "officer": ("Cán bộ", "Officer"),
    "signature": ("Chữ ký", "Signature"),
    "details": ("Chi tiết", "Details"),
    "valid": ("hợp lệ", "valid"),
    "invalid": ("KHÔNG hợp lệ", "INVALID"),
    "hops": ("Các lần giao – nhận", "Hops (handed over – received)"),
    "handed_over": ("Giao", "Handed over"),
    "received_by": ("Nhận", "Received"),
    "in_transit": ("đang chuyển, chưa ai nhận", "in transit, not yet acknowledged"),
    "status": ("Trạng thái", "Status"),
    "missing": ("Gửi nhưng không nhận được", "Sent but not received"),
    "extra": ("Nhận thêm ngoài danh sách gửi", "Received but not listed as sent"),
    "held_by": ("Đang giữ", "Held by"),
    "transit_to": ("Đang chuyển đến", "In transit to"),
    "closed": ("Đã kết thúc", "Closed"),
    "all_verified": ("Mọi chữ ký đều hợp lệ.", "Every signature verifies."),
    "not_all_verified": ("CÓ CHỮ KÝ KHÔNG HỢP LỆ.", "SOME SIGNATURES DO NOT VERIFY."),
    "verify_ok": (
        "Sổ cái toàn vẹn: {n} bản khai; mọi chữ ký, liên kết chuỗi và lá của cây Merkle đều hợp lệ; "
        "cây kích thước {size}, gốc {root}; {checkpoints} điểm kiểm tra (checkpoint) đúng chữ ký, "
        "đúng gốc và nhất quán với nhau.",
        "Ledger intact: {n} statements; every signature, chain link and Merkle leaf verifies; tree "
        "of size {size}, root {root}; {checkpoints} checkpoints signed, matching and consistent.",
    ),
    "verify_bad": (
        "Sổ cái KHÔNG toàn vẹn: {bad} trên {n} bản khai có vấn đề. Đầu tiên:",
        "Ledger NOT intact: {bad} of {n} statements have problems. First:",
    ),
    "verifying": ("Đang kiểm tra", "Verifying"),
    "verify_rate": (
        "Đã kiểm tra {n} bản khai trong {seconds:.1f} giây ({rate:,.0f} bản khai/giây).",
        "Checked {n} statements in {seconds:.1f} s ({rate:,.0f} statements/s).",
    ),
    "need_log_key": (
        "Sổ cái có điểm kiểm tra (checkpoint): hãy cho khóa công khai của sổ (--log-key) để kiểm tra "
        "chữ ký của chúng",
        "The ledger keeps checkpoints: give the log's public key (--log-key) to check their "
        "signatures",
    ),
    "log_key_written": ("Khóa ký điểm kiểm tra đã ghi vào", "Checkpoint signing key written to"),
    "verifier_key": (
        "Khóa công khai của sổ (công bố)",
        "The log's public verifier key (publish it)",
    ),
    "witness_key_written": ("Khóa nhân chứng đã ghi vào", "Witness key written to"),
    "bundle_written": (
        "Gói kiểm toán {file}: hồ sơ {code}, {n} bản khai, điểm kiểm tra kích thước {size}.",
        "Audit bundle {file}: dossier {code}, {n} statements, checkpoint of size {size}.",
    ),
    "certificate_signed": (
        "ký bằng chứng thư số công vụ của {subject}, do {issuer} cấp; chuỗi chứng thư hợp lệ "
        "tại thời điểm ký",
        "signed with the official-duty certificate of {subject}, issued by {issuer}; the "
        "certificate chain held at the time of signing",
    ),
    "certificate_withheld": (
        "ký bằng chứng thư số công vụ mà gói này không kèm theo (chứng thư mang tên người giữ); "
        "chữ ký đã được kiểm tra với khóa đã đăng ký",
        "signed with an official-duty certificate this bundle leaves out (it carries its "
        "holder's name); the signature verified with the registered key",
    ),
    "certificates_withheld": (
        "{n} bản khai được ký bằng chứng thư số công vụ mà gói không kèm theo (chứng thư mang "
        "tên người giữ): chữ ký đã được kiểm tra với khóa đã đăng ký, nhưng chuỗi chứng thư "
        "chưa được kiểm tra — hãy xin gói đầy đủ từ cán bộ đăng ký hoặc thanh tra của sổ.",
        "{n} statements are signed with official-duty certificates the bundle leaves out (they "
        "carry their holders' names): their signatures verified with the registered keys, their "
        "certificate chains were not checked — ask the ledger's registrar or inspector for the "
        "full bundle.",
    ),
    "timestamp_held": (
        "Dấu thời gian RFC 3161 của bản khai thứ {entry} trong sổ hợp lệ: chữ ký đã có lúc {at}.",
        "The RFC 3161 timestamp of log entry {entry} holds: the signature existed at {at}.",
    ),
    "timestamps_unchecked": (
        "Gói mang {n} dấu thời gian RFC 3161 chưa được kiểm tra: hãy cho chứng thư gốc của tổ "
        "chức cấp dấu thời gian (--tsa-roots).",
        "The bundle carries {n} RFC 3161 timestamps that were not checked: give the "
        "time-stamping authority's root certificates (--tsa-roots).",
    ),
    "bundle_ok": (
        "ĐÃ XÁC MINH: {n} bản khai nằm trong sổ cái tại điểm kiểm tra kích thước {size} do khóa "
        "{origin} ký{witnesses}; mọi chữ ký, khóa, cán bộ, cơ quan và quy tắc giao nhận đều hợp lệ. "
        "Gói chứng minh các bản khai này có trong sổ; nó không chứng minh rằng không có bản khai nào "
        "khác về hồ sơ — hãy so với một gói mới hơn.",
        "VERIFIED: {n} statements are in the log at the checkpoint of size {size} signed by "
        "{origin}{witnesses}; every signature, key, officer, office and custody rule holds. "
        "The bundle proves these statements are in the log; it cannot prove there are no others "
        "about the dossier — compare with a newer bundle.",
    ),
    "bundle_bad": (
        "KHÔNG XÁC MINH ĐƯỢC gói kiểm toán của hồ sơ {code}:",
        "The audit bundle of dossier {code} does NOT verify:",
    ),
    "cosigned_by": (", được nhân chứng {names} đồng ký", ", cosigned by witnesses {names}"),
    "verified": ("đã xác minh", "verified"),
    "recorded_at": ("sổ ghi lúc", "recorded at"),
    "cosignature_kept": ("Đã lưu chữ ký đồng ký của", "Cosignatures kept from"),
    # where, inbox, rebuild (read models)
    "since": ("Từ lúc", "Since"),
    "appointed": ("Hẹn trả kết quả", "Appointed return"),
    "suspended": ("chờ bổ sung hồ sơ", "awaiting a supplement"),
    "not_yet_received": (
        "Hồ sơ {code} chưa được tiếp nhận vào thời điểm đó.",
        "Dossier {code} had not been received at that time.",
    ),
    "inbox": (
        "Hồ sơ đang chuyển đến {office}, chưa xác nhận nhận: {n}",
        "Dossiers handed over to {office}, not yet acknowledged: {n}",
    ),
    "rebuilding": ("Đang dựng lại bảng tra cứu", "Rebuilding the read models"),
    "projected": (
        "Bảng tra cứu đã cập nhật thêm {n} bản khai; đến vị trí {at} của sổ.",
        "Read models brought up to date with {n} more entries; at log position {at}.",
    ),
    # stalls, reports, control slip
    "stalls": ("Hồ sơ chậm lúc {at}: {n}", "Stalled dossiers at {at}: {n}"),
    "rule_unacknowledged": ("chưa xác nhận nhận", "not acknowledged"),
    "rule_over_level_budget": ("quá thời hạn của cấp", "over the level's budget"),
    "rule_past_appointed": ("quá hạn hẹn trả", "past the appointed date"),
    "rule_due_soon": ("sắp đến hạn hẹn trả", "due within a working day"),
    "over": ("quá", "over by"),
    "report_title": (
        "Báo cáo tình hình giải quyết hồ sơ — {office} — từ {start} đến {end}",
        "Dossier handling report — {office} — {start} to {end}",
    ),
    "report_received": (
        "Tiếp nhận: {n} ({channels}); kỳ trước chuyển sang: {carried}",
        "Received: {n} ({channels}); carried over: {carried}",
    ),
    "report_resolved": (
        "Đã giải quyết: {n} — trước hạn {early}, đúng hạn {on_time}, quá hạn {late}",
        "Resolved: {n} — early {early}, on time {on_time}, late {late}",
    ),
    "report_pending": (
        "Đang giải quyết cuối kỳ: trong hạn {within}, quá hạn {overdue}",
        "Pending at the end: within the deadline {within}, overdue {overdue}",
    ),
    "report_rate": ("Tỷ lệ đúng và trước hạn: {rate}", "On time or early: {rate}"),
    "channel_direct": ("trực tiếp", "in person"),
    "channel_postal": ("qua bưu chính", "by post"),
    "channel_online": ("trực tuyến", "online"),
    "slip_title": (
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "Process control slip",
    ),
    "slip_basis": ("Căn cứ", "Legal basis"),
    "code": ("Mã hồ sơ", "Dossier code"),
    "received_time": ("Thời gian tiếp nhận", "Received"),
    "reception": ("Tiếp nhận", "Received at"),
    "outcome_acknowledged": ("Nhận", "Received"),
    "outcome_rejected": ("Từ chối nhận", "Refused"),
    "outcome_recalled": ("Thu hồi", "Recalled"),
    "outcome_received": ("Tiếp nhận", "Received"),
    "budget": ("thời hạn", "budget"),
    "days_working": ("ngày làm việc", "working days"),
    "days_calendar": ("ngày", "calendar days"),
    "deadline": ("hạn", "due"),
    "used": ("đã dùng", "used"),
    "against_appointed": ("so với ngày hẹn trả kết quả", "against the date promised"),
    "slip_giver": ("Người giao", "Handed over by"),
    "slip_taker": ("Người nhận", "Received by"),
    "slip_sign": ("(ký, ghi rõ họ tên)", "(signature and full name)"),
    "slip_applicant": ("Người nộp hồ sơ", "The applicant"),
    "level_deadline": ("Hạn của cấp đang giữ", "Due from the office holding it"),
    "result_early": ("trước hạn", "early"),
    "result_on_time": ("đúng hạn", "on time"),
    "result_late": ("quá hạn", "late"),
    "result_pending": ("đang xử lý", "in progress"),
    "rebuilt": (
        "Đã dựng lại bảng tra cứu từ {n} bản khai.",
        "Read models rebuilt from {n} entries.",
    ),
    "seeding": ("Đang nạp dữ liệu", "Seeding"),
    "recorded": ("Đã ghi", "Recorded"),
    "duplicate": ("Đã ghi từ trước (trùng lặp)", "Already recorded (duplicate)"),
    # due (calendar)
    "weekdays": (
        "thứ Hai,thứ Ba,thứ Tư,thứ Năm,thứ Sáu,thứ Bảy,Chủ nhật",
        "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
    ),
    "due_received": ("Tiếp nhận", "Received"),
    "due_vietnam_time": ("giờ Việt Nam", "Vietnam time"),
    "due_after_cutoff": (
        "Nhận sau {cutoff}: tính như nhận sáng {day}",
        "Received after {cutoff}: counts as received on the morning of {day}",
    ),
    "due_cutoff": ("Giờ chốt tiếp nhận", "Receipt cut-off"),
    "slip_cutoff_none": (
        "không áp dụng (thủ tục không quy định)",
        "none (the procedure sets none)",
    ),
    "slip_provisional": (
        "Thời hạn tạm tính (chưa xác nhận được)",
        "Provisional time limits (could not be confirmed)",
    ),
    "provisional_budget": ("thời hạn tạm tính", "provisional budget"),
    "report_provisional": (
        "Đánh giá theo thời hạn tạm tính (chưa xác nhận được): {n} / {resolved} hồ sơ đã giải quyết",
        "Judged against a provisional budget (could not be confirmed): {n} of {resolved} resolved",
    ),
    "report_cutoff": (
        "Ngày hẹn tính theo giờ chốt tiếp nhận: {n}; không có giờ chốt: {without}",
        "Appointed time counted with a receipt cut-off: {n}; without one: {without}",
    ),
    "report_version": (
        "  - {procedure} phiên bản {version}: {n} — {rule}",
        "  - {procedure} version {version}: {n} — {rule}",
    ),
    "due_cutoff_none": (
        "không áp dụng (không nêu thủ tục hay --cutoff)",
        "none (no procedure or --cutoff given)",
    ),
    "due_cutoff_given": ("{cutoff} (theo --cutoff)", "{cutoff} (given with --cutoff)"),
    "due_cutoff_version": (
        "{cutoff}, theo thủ tục {procedure} phiên bản {version} ({source})",
        "{cutoff}, from procedure {procedure} version {version} ({source})",
    ),
    "due_cutoff_version_none": (
        "không áp dụng: thủ tục {procedure} phiên bản {version} không quy định giờ chốt",
        "none: procedure {procedure} version {version} sets no cut-off",
    ),
    "due_non_working": (
        "Nhận vào ngày nghỉ: tính như nhận sáng {day}",
        "Received on a non-working day: counts as received on the morning of {day}",
    ),
    "due_budget": ("Thời hạn", "Budget"),
    "due_working_days": (
        "{n} ngày làm việc (không tính ngày tiếp nhận)",
        "{n} working days (the day of receipt not counted)",
    ),
    "due_calendar_days": (
        "{n} ngày (ngày theo lịch, không tính ngày tiếp nhận)",
        "{n} calendar days (the day of receipt not counted)",
    ),
    "due_deadline": ("Hạn giải quyết", "Deadline"),
    "due_end_of": ("hết ngày {day} (24:00, {zone})", "end of {day} (24:00, {zone})"),
    "due_days_off": (
        "Ngày nghỉ lễ, nghỉ bù trong thời hạn (không làm việc)",
        "Holidays and days off within the period (offices closed)",
    ),
    "due_make_up": (
        "Ngày làm bù trong thời hạn (có làm việc)",
        "Make-up working days within the period (offices open)",
    ),
    "due_calendar": (
        "Lịch: holidays {package} + bảng điều chỉnh {table}",
        "Calendar: holidays {package} + override table {table}",
    ),
    "due_provisional": (
        "Cảnh báo: hạn này tính theo ngày nghỉ chưa được công bố chính thức, có thể thay đổi khi "
        "có thông báo của năm đó: {days}",
        "Warning: this deadline counts on days off not yet officially announced, which may change "
        "when that year's notice is issued: {days}",
    ),
    # token
    "token_created": (
        "Đã cấp mã truy cập {id}: vai trò {role}, cơ quan {office}, hết hạn {expires} (giờ Việt Nam). "
        "Mã chỉ hiện một lần, ở trên: hãy lưu ngay.",
        "Token {id} created: role {role}, office {office}, expires {expires} (Vietnam time). "
        "It is shown once, above: keep it now.",
    ),
    "token_revoked": (
        "Đã thu hồi mã truy cập {id} từ {at}.",
        "Token {id} revoked from {at}.",
    ),
    "token_none": ("Chưa có mã truy cập nào.", "No tokens."),
    "token_id": ("Mã", "Id"),
    "role": ("Vai trò", "Role"),
    "label": ("Ghi chú", "Label"),
    "expires": ("Hết hạn", "Expires"),
    "revoked": ("Thu hồi", "Revoked"),
    # serve
    "serving": (
        "Máy chủ Liên thông tại {url} (tài liệu API: {url}/docs). Dừng: Ctrl+C.",
        "Liên thông server at {url} (API documentation: {url}/docs). Stop: Ctrl+C.",
    ),
    "demo_read_only": (
        "--demo tạo một cơ sở dữ liệu mới; --read-only chỉ đọc một bản sao có sẵn: chọn một.",
        "--demo makes a new database; --read-only reads an existing replica: choose one.",
    ),
    "data_key_created": (
        "Đã tạo khóa dữ liệu {path}. Chạy máy chủ với LIENTHONG_DATA_KEY={path}; mất khóa là mất "
        "dữ liệu người nộp hồ sơ.",
        "Data key written to {path}. Serve with LIENTHONG_DATA_KEY={path}; losing it loses the "
        "applicants' data.",
    ),
    "demo_addresses": (
        "\nCơ sở dữ liệu trình diễn đã sẵn sàng. API: {url}/v1 — tài liệu: {url}/docs\n"
        "Mã truy cập trình diễn (Authorization: Bearer …):",
        "\nThe demo database is ready. API: {url}/v1 — documentation: {url}/docs\n"
        "Demo tokens (Authorization: Bearer …):",
    ),
    "demo_lookup": (
        "Tra cứu của người dân: {url}/tra-cuu (hoặc POST {url}/v1/public/lookup) với mã hồ sơ "
        "{code} và mã bí mật {secret}",
        "Citizen lookup: {url}/tra-cuu (or POST {url}/v1/public/lookup) with dossier code {code} "
        "and secret {secret}",
    ),
    "demo_pages": (
        "Trang cho cán bộ: {url}/can-bo — giám sát: {url}/giam-sat — xác minh: {url}/xac-minh "
        "(đăng nhập bằng một mã truy cập ở trên)",
        "Officers' pages: {url}/can-bo — oversight: {url}/giam-sat — verification: {url}/xac-minh "
        "(sign in with a token above)",
    ),
    "demo_saved": (
        "(Đã lưu vào lienthong-demo/demo.json.)",
        "(Saved in lienthong-demo/demo.json.)",
    ),
    "receipt_secret": (
        "Mã bí mật in trên giấy tiếp nhận: {secret}",
        "Secret to print on the receipt: {secret}",
    ),
    # import
    "importing": ("Đang nhập", "Importing"),
    "import_resumed": (
        "Tiếp tục sau dòng {line}, nơi lần nhập trước đã ghi xong.",
        "Resuming after line {line}, where the previous import had committed.",
    ),
    "import_done": (
        "Đã xử lý {lines} dòng trong {seconds:.1f} giây: ghi mới {recorded}, đã có từ trước "
        "{duplicates}, bị từ chối {refused} ({rate:,.0f} bản khai/giây).",
        "Processed {lines} lines in {seconds:.1f} s: {recorded} recorded, {duplicates} already "
        "recorded (duplicates), {refused} refused ({rate:,.0f} statements/s).",
    ),
    "import_refused_total": (
        "Tính cả các lần chạy trước: {n} dòng bị từ chối.",
        "Including earlier runs: {n} lines refused.",
    ),
    "import_line": ("dòng {line}", "line {line}"),
    "import_more": (
        "… và {n} dòng bị từ chối khác (xem --report).",
        "… and {n} more refused lines (see --report).",
    ),
    # a dossier's files: attach, fetch-file, verify --files, export --with-files, verify-bundle
    "file_new": (
        "{name}: {size:,} byte, SHA-256 {sha256} — đã tải lên (tệp mới)",
        "{name}: {size:,} bytes, SHA-256 {sha256} — uploaded (new)",
    ),
    "file_held": (
        "{name}: {size:,} byte, SHA-256 {sha256} — máy chủ đã có tệp này từ trước",
        "{name}: {size:,} bytes, SHA-256 {sha256} — already held by the server",
    ),
    "cannot_read": ("Không đọc được tệp {path}: {reason}", "Cannot read {path}: {reason}"),
    "cannot_write": ("Không ghi được tệp {path}: {reason}", "Cannot write {path}: {reason}"),
    "not_a_sha256": (
        "{text!r} không phải mã băm SHA-256 (64 chữ số thập lục phân)",
        "{text!r} is not a SHA-256 (64 hexadecimal digits)",
    ),
    "file_exists": (
        "{path} đã có; không ghi đè (dùng --force để ghi đè)",
        "{path} already exists; not overwritten (pass --force to overwrite it)",
    ),
    "fetched_bad_hash": (
        "Máy chủ gửi dữ liệu không có mã băm {sha256}; không giữ lại gì.",
        "The server sent bytes that do not hash to {sha256}; nothing was kept.",
    ),
    "file_fetched": (
        "Đã tải về {path} ({size:,} byte), đúng mã băm SHA-256.",
        "Downloaded to {path} ({size:,} bytes); its SHA-256 matches.",
    ),
    "need_data_key": (
        "Cần khóa dữ liệu để mở các tệp hồ sơ: --data-key FILE hoặc LIENTHONG_DATA_KEY",
        "The dossiers' files need the data key to open: --data-key FILE or LIENTHONG_DATA_KEY",
    ),
    "files_ok": (
        "Tệp hồ sơ toàn vẹn: {n} tệp, tệp nào cũng đúng mã băm.",
        "Dossier files intact: {n} files, each hashing to its name.",
    ),
    "files_bad": (
        "Tệp hồ sơ KHÔNG toàn vẹn: {bad} trên {n} tệp bị hỏng:",
        "Dossier files NOT intact: {bad} of {n} files are damaged:",
    ),
    "files_written": (
        "Đã ghi {n} tệp của hồ sơ vào {dir} (tên tệp là mã băm SHA-256).",
        "Wrote {n} of the dossier's files into {dir} (each named by its SHA-256).",
    ),
    "file_missing": ("thiếu tệp {path}", "missing: there is no file {path}"),
    "file_mismatch": (
        "{path} có mã băm {actual}, không khớp với tên",
        "{path} hashes to {actual}, not to its name",
    ),
    "bundle_files_ok": (
        "Tệp kèm gói: cả {n} tệp có trong {dir} và đúng mã băm.",
        "The bundle's files: all {n} are in {dir} and hash to their names.",
    ),
    "bundle_files_bad": (
        "Tệp kèm gói: {bad} trên {n} tệp thiếu hoặc sai:",
        "The bundle's files: {bad} of {n} are missing or wrong:",
    ),
    # files clean
    "files_clean_nothing": (
        "Không có gì cần dọn: không tệp tải lên nào quá {hours:g} giờ mà chưa được kê khai, "
        "không còn gì sót lại sau sự cố.",
        "Nothing to clean: no upload older than {hours:g} h that no statement names, nothing "
        "left by a crash.",
    ),
    "files_cleaned": (
        "Đã xóa {n} tệp tải lên quá {hours:g} giờ mà không văn bản nào kê khai ({size:,} byte), "
        "của các hồ sơ: {codes}",
        "Removed {n} upload(s) older than {hours:g} h that no statement names ({size:,} bytes), "
        "of dossiers: {codes}",
    ),
    "files_leftovers": (
        "Đã xóa {n} phần sót lại sau sự cố ({size:,} byte): tệp tải dở, khối dữ liệu không thuộc "
        "tệp nào",
        "Removed {n} crash leftover(s) ({size:,} bytes): uploads cut off, blobs no file names",
    ),
    # signing with a key on a token (sign --pkcs11, agent)
    "token_pin": ("Mã PIN của thiết bị ký (token): ", "The token's PIN: "),
    "token_pin_missing": (
        "Chưa có mã PIN của thiết bị ký: đặt LIENTHONG_TOKEN_PIN hoặc nhập khi được hỏi",
        "No PIN for the token: set LIENTHONG_TOKEN_PIN or type it when asked",
    ),
    "sign_one_key": (
        "Cho đúng một khóa ký: --key TỆP, hoặc --pkcs11 MODULE --token-label NHÃN --key-label NHÃN",
        "Give exactly one signing key: --key FILE, or --pkcs11 MODULE --token-label LABEL "
        "--key-label LABEL",
    ),
    "token_labels": (
        "--pkcs11 cần --token-label (nhãn thiết bị ký) và --key-label (nhãn khóa trên thiết bị)",
        "--pkcs11 needs --token-label (the token's label) and --key-label (the key's label on it)",
    ),
    "token_officer": (
        "Khóa trên thiết bị ký không cho biết cán bộ và cơ quan: cho --officer và --office",
        "A key on a token does not say its officer and office: give --officer and --office",
    ),
    # the local signing agent (lienthong agent): its console, shown to the officer at the token
    "agent_listening": (
        "Phần mềm ký đang chờ yêu cầu tại {url} (khóa {fingerprint}); trang được phép: {origins}",
        "The signing agent is listening on {url} (key {fingerprint}); pages allowed: {origins}",
    ),
    "agent_origin": (
        "--allow-origin là địa chỉ gốc của trang, dạng https://tên-máy[:cổng], không phải {origin!r}",
        "--allow-origin is a page's origin, as https://host[:port], not {origin!r}",
    ),
    "agent_chain": (
        "Chứng thư đầu tiên của --chain không mang khóa {fingerprint} trên thiết bị ký",
        "The first certificate of --chain does not hold the token's key {fingerprint}",
    ),
    "agent_chain_file": (
        "Không đọc được chứng thư {path}: {problem}",
        "Cannot read the certificate {path}: {problem}",
    ),
    "agent_port": (
        "Không mở được cổng {port}: {problem}",
        "Cannot listen on port {port}: {problem}",
    ),
    "agent_signed": ("Đã ký.", "Signed."),
    "agent_declined": ("Không ký.", "Not signed."),
    "agent_refused": (
        "Đã từ chối yêu cầu từ {origin}: {reason}",
        "Refused a request from {origin}: {reason}",
    ),
}

# the confirmation the agent shows before it signs: each line Vietnamese first, then English
CONFIRMATION: dict[str, tuple[str, str]] = {
    "title": ("Yêu cầu ký", "Signature request"),
    "origin": ("Từ trang", "From page"),
    "kind": ("Loại", "Kind"),
    "subject": ("Hồ sơ / đối tượng", "Dossier / subject"),
    "office": ("Cơ quan", "Office"),
    "officer": ("Cán bộ", "Officer"),
    "at": ("Thời điểm", "At"),
    "key": ("Khóa ký", "Signing key"),
    "body": ("Nội dung", "Body"),
    "prompt": ("Ký?", "Sign?"),
}
FIELDS: dict[str, tuple[str, str]] = {
    "to": ("Giao cho cơ quan", "To office"),
    "purpose": ("Mục đích", "Purpose"),
    "documents": ("Tài liệu", "Documents"),
    "note": ("Ghi chú", "Note"),
    "dispatch": ("Lần giao", "Dispatch"),
    "reason": ("Lý do", "Reason"),
    "missing": ("Còn thiếu", "Missing"),
    "appointed": ("Hẹn trả kết quả", "Appointed"),
    "procedure": ("Thủ tục", "Procedure"),
    "version": ("Phiên bản", "Version"),
    "applicant": ("Người nộp (cam kết)", "Applicant (commitment)"),
    "channel": ("Hình thức", "Channel"),
    "outcome": ("Kết quả", "Outcome"),
    "reference": ("Số văn bản", "Reference"),
    "officer": ("Cán bộ", "Officer"),
    "office": ("Cơ quan", "Office"),
    "title": ("Chức danh", "Title"),
    "role": ("Vai trò", "Role"),
    "effective": ("Hiệu lực từ", "Effective"),
    "public_key": ("Khóa công khai", "Public key"),
    "certificates": ("Chứng thư", "Certificates"),
    "name": ("Tên", "Name"),
    "level": ("Cấp", "Level"),
    "parent": ("Trực thuộc", "Parent"),
    "successor": ("Cơ quan tiếp nhận", "Successor"),
}


DURATIONS: dict[str, tuple[str, str]] = {
    "span_days": ("{n} ngày làm việc", "{n} working days"),
    "span_day": ("1 ngày làm việc", "1 working day"),
    "span_hours": ("{n} giờ làm việc", "{n} working hours"),
    "span_hour": ("1 giờ làm việc", "1 working hour"),
    "span_under_hour": ("dưới 1 giờ làm việc", "under 1 working hour"),
    "left_days": ("còn {n} ngày làm việc", "{n} working days left"),
    "left_day": ("còn 1 ngày làm việc", "1 working day left"),
    "left_today": ("hết hạn trong hôm nay", "due today"),
    "over_days": ("quá hạn {n} ngày làm việc", "{n} working days overdue"),
    "over_day": ("quá hạn 1 ngày làm việc", "1 working day overdue"),
    "late_by": ("quá hạn {span}", "{span} overdue"),
}


def _number(value: float, lang: str) -> str:
    """A count to one decimal, without a trailing ",0"; Vietnamese writes the decimal comma."""
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "vi" else text


def working_span(seconds: int, lang: str) -> str:
    """Working time as people read it (ledger/views/durations.py): working days to one decimal
    from a day up ("quá 2,5 ngày làm việc" reads better than "20 giờ làm việc"), working hours
    under a day."""
    vi = lang == "vi"
    if seconds >= WORKING_DAY_SECONDS:
        days = working_days(seconds)
        if days == 1:
            return DURATIONS["span_day"][0 if vi else 1]
        return DURATIONS["span_days"][0 if vi else 1].format(n=_number(days, lang))
    hours = round(seconds / 3600)
    if hours < 1:
        return DURATIONS["span_under_hour"][0 if vi else 1]
    if hours == 1:
        return DURATIONS["span_hour"][0 if vi else 1]
    return DURATIONS["span_hours"][0 if vi else 1].format(n=hours)


def days_left_text(days: int, lang: str) -> str:
    """`days` from ledger.views.durations.days_left, in words: "còn 3 ngày làm việc", "hết hạn
    trong hôm nay", "quá hạn 2 ngày làm việc"."""
    index = 0 if lang == "vi" else 1
    if days == 0:
        return DURATIONS["left_today"][index]
    if days > 0:
        key = "left_day" if days == 1 else "left_days"
        return DURATIONS[key][index].format(n=days)
    key = "over_day" if days == -1 else "over_days"
    return DURATIONS[key][index].format(n=-days)


def late_text(seconds: int, lang: str) -> str:
    """The working time past a deadline, in words: "quá hạn 2,5 ngày làm việc" (working_span)."""
    return DURATIONS["late_by"][0 if lang == "vi" else 1].format(span=working_span(seconds, lang))


def word(key: str, lang: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (vi if lang == "vi" else en).format(**values)


def kind_label(kind: str, lang: str) -> str:
    vi, en = KINDS.get(kind, (kind, kind))
    return vi if lang == "vi" else en
