"""The words of checking an audit bundle: the verify page (the server's check, the recorded
steps and their signatures), and the check the browser runs itself (api/http/static/verify.js):
its verdicts, and each problem it can find by code."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
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
        "Hồ sơ {code} được xác minh: các bước xử lý dưới đây đúng như đã ghi trong sổ công khai, "
        "có chữ ký của cán bộ đã làm và không bị sửa đổi.",
        "Dossier {code} verifies: the steps below are exactly as recorded in the public log, "
        "signed by the officers who took them, and unchanged.",
    ),
    "verified_details": (
        "{n} bản khai, mọi chữ ký và chứng minh Merkle đều đúng; sổ cái có {size} mục.",
        "{n} statements; every signature and Merkle proof holds; the log has {size} entries.",
    ),
    "certified": (
        "{n} bước được ký bằng chứng thư số công vụ do {issuers} cấp; chuỗi chứng thư đã được "
        "kiểm tra với các chứng thư gốc tin cậy của máy chủ này, còn hiệu lực và chưa bị thu hồi "
        "tại thời điểm ký.",
        "{n} steps are signed with official-duty certificates issued by {issuers}; their chains "
        "were checked against this server's trusted root certificates, valid and not revoked at "
        "the time of signing.",
    ),
    "certificates_withheld": (
        "{n} bước được ký bằng chứng thư số công vụ mà gói không kèm theo (chứng thư mang tên "
        "người giữ): chữ ký đã được kiểm tra với khóa đã đăng ký, chuỗi chứng thư thì chưa.",
        "{n} steps are signed with official-duty certificates the bundle leaves out (they carry "
        "their holders' names): their signatures were checked with the registered keys, their "
        "certificate chains were not.",
    ),
    "timestamped": (
        "{n} chữ ký có dấu thời gian RFC 3161 hợp lệ của tổ chức cấp dấu thời gian.",
        "{n} signatures carry a valid RFC 3161 timestamp of the time-stamping authority.",
    ),
    "timestamps_unchecked": (
        "Gói mang {n} dấu thời gian RFC 3161 mà máy chủ này không có chứng thư gốc để kiểm tra.",
        "The bundle carries {n} RFC 3161 timestamps this server has no root certificates to check.",
    ),
    "not_verified": (
        "KHÔNG xác minh được hồ sơ {code}: nội dung này có thể đã bị sửa đổi. Đừng tin vào nó.",
        "Dossier {code} does NOT verify: what it says may have been changed. Do not rely on it.",
    ),
    "why_not": ("Lý do", "What failed"),
    "technical": (
        "Chi tiết kỹ thuật, tự kiểm tra hoặc kiểm tra tệp khác",
        "Technical details, checking it yourself, or checking another file",
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
    "unsupported_key": (
        "Mục ở vị trí {index}: khóa {key} không thuộc loại được chấp nhận (Ed25519, RSA từ 2048 "
        "bit ký theo RSA-PSS, hoặc ECDSA P-256), nên chữ ký của bản khai không được công nhận.",
        "Entry at position {index}: the key {key} is not of a kind accepted (Ed25519, RSA of at "
        "least 2048 bits signing with RSA-PSS, or ECDSA P-256), so the statement's signature is "
        "not accepted.",
    ),
    "weak_key": (
        "Mục ở vị trí {index}: khóa {key} là khóa RSA {bits} bit, dưới mức tối thiểu {min} bit, "
        "nên chữ ký của bản khai không được công nhận.",
        "Entry at position {index}: the key {key} is an RSA key of {bits} bits, under the "
        "minimum of {min} bits, so the statement's signature is not accepted.",
    ),
    # said beside the verdict when statements are signed with the keys of certificates
    "certificate_chains": (
        "Số bản khai được ký bằng khóa của chứng thư số: {certified}. Trình duyệt đã kiểm tra chữ "
        "ký của các bản khai này ngay tại đây. Chuỗi chứng thư số (đến chứng thư gốc tin cậy, "
        "thời hạn hiệu lực, tình trạng thu hồi) không được kiểm tra trong trình duyệt: lệnh "
        "lienthong verify-bundle kiểm tra chuỗi này với các chứng thư gốc tin cậy của hệ thống.",
        "Statements signed with the key of a certificate: {certified}. This browser checked "
        "their signatures here. The certificate chains (up to a trust anchor, validity, "
        "revocation) are not checked in a browser: lienthong verify-bundle checks them with the "
        "deployment's trust anchors.",
    ),
}
