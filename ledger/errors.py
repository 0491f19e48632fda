"""The ledger's refusals: malformed bytes, bad signatures, clock skew, stale heads.

Rule violations are `domain.errors.DomainError`; these are about the statement as bytes and as a
claim on the log, and about what the ledger's stores hold. Like every refusal they derive from
`domain.errors.Refusal`: a stable code, a bilingual title and the HTTP status each means (422 unless
the class says otherwise); the message names the problem.
"""

from __future__ import annotations

from domain.errors import Refusal


class LedgerError(Refusal):
    code = "ledger-error"
    title_vi = "Lỗi sổ cái"
    title_en = "Ledger error"


class MalformedStatement(LedgerError):
    """The bytes are not a well-formed version-1 statement."""

    code = "malformed-statement"
    title_vi = "Bản khai không đúng định dạng"
    title_en = "Malformed statement"


class TruncatedStatement(MalformedStatement):
    code = "truncated-statement"
    title_vi = "Bản khai bị cắt cụt"
    title_en = "Truncated statement"


class NonCanonicalStatement(MalformedStatement):
    code = "non-canonical-statement"
    title_vi = "Bản khai không ở dạng mã hóa chuẩn"
    title_en = "Non-canonical statement"


class OversizedStatement(MalformedStatement):
    code = "oversized-statement"
    title_vi = "Bản khai vượt quá kích thước cho phép"
    title_en = "Oversized statement"


class UnknownField(MalformedStatement):
    code = "unknown-field"
    title_vi = "Bản khai có trường không được phép"
    title_en = "Unknown field"


class MissingField(MalformedStatement):
    code = "missing-field"
    title_vi = "Bản khai thiếu trường bắt buộc"
    title_en = "Missing field"


class BadField(MalformedStatement):
    code = "bad-field"
    title_vi = "Giá trị trường không hợp lệ"
    title_en = "Invalid field value"


class UnknownKind(MalformedStatement):
    code = "unknown-kind"
    title_vi = "Loại bản khai không được hỗ trợ"
    title_en = "Unknown statement kind"


class BadSignature(LedgerError):
    code = "bad-signature"
    title_vi = "Chữ ký điện tử không hợp lệ"
    title_en = "Signature does not verify"


class WeakAlgorithm(BadSignature):
    code = "weak-algorithm"
    title_vi = "Thuật toán ký quá yếu hoặc không được chấp nhận"
    title_en = "Weak or unaccepted signature algorithm"


class CertificateRefused(BadSignature):
    """A statement signed with a certificate key whose certificate does not hold at its `at`."""

    code = "certificate-refused"
    title_vi = "Chứng thư số không hợp lệ"
    title_en = "Certificate not valid"


class CertificateExpired(CertificateRefused):
    code = "certificate-expired"
    title_vi = "Chứng thư số đã hết hạn"
    title_en = "Certificate expired"


class CertificateNotYetValid(CertificateRefused):
    code = "certificate-not-yet-valid"
    title_vi = "Chứng thư số chưa có hiệu lực"
    title_en = "Certificate not yet valid"


class CertificateRevoked(CertificateRefused):
    code = "certificate-revoked"
    title_vi = "Chứng thư số đã bị thu hồi"
    title_en = "Certificate revoked"


class RevocationUnknown(CertificateRefused):
    code = "revocation-unknown"
    title_vi = "Không có thông tin thu hồi còn hiệu lực cho chứng thư số"
    title_en = "No current revocation data for the certificate"


class CertificateKeyUsage(CertificateRefused):
    code = "certificate-key-usage"
    title_vi = "Chứng thư số không cho phép ký"
    title_en = "Certificate key usage does not allow signing"


class UnknownTrustAnchor(CertificateRefused):
    code = "unknown-trust-anchor"
    title_vi = "Chứng thư số không được cấp bởi tổ chức tin cậy"
    title_en = "Certificate chain reaches no trust anchor"


class ChainTooLong(CertificateRefused):
    code = "chain-too-long"
    title_vi = "Chuỗi chứng thư số quá dài"
    title_en = "Certificate chain too long"


class CertificateOffice(CertificateRefused):
    code = "certificate-office"
    title_vi = "Chứng thư số mang tên cơ quan khác"
    title_en = "Certificate names another office"


class CertificateOfficer(CertificateRefused):
    code = "certificate-officer"
    title_vi = "Chứng thư số của cán bộ khác"
    title_en = "Certificate of another officer"


class BadCertificate(CertificateRefused):
    code = "bad-certificate"
    title_vi = "Chứng thư số hoặc danh sách thu hồi không đọc được"
    title_en = "Unreadable certificate or revocation data"


class ClockSkew(LedgerError):
    code = "clock-skew"
    title_vi = "Thời điểm ký lệch quá xa đồng hồ sổ cái"
    title_en = "Statement time outside tolerance"


class StaleHead(LedgerError):
    """The statement was built on a head that is no longer current: re-sign on the new head.
    Carries the subject's current `seq` and `head` (HTTP 409, the body's `current`)."""

    code = "stale-head"
    title_vi = "Hồ sơ đã thay đổi; hãy ký lại trên trạng thái mới"
    title_en = "Stale head: re-sign on the current head"
    status = 409

    def __init__(self, message: str, *, subject: str, seq: int, head: bytes) -> None:
        super().__init__(message)
        self.subject = subject
        self.seq = seq
        self.head = head


class BadKeyFile(LedgerError):
    code = "bad-key-file"
    title_vi = "Tệp khóa không hợp lệ"
    title_en = "Invalid key file"


class BadEnvelope(LedgerError):
    code = "bad-envelope"
    title_vi = "Phong bì bản khai không hợp lệ"
    title_en = "Invalid envelope"


class NotInitialised(LedgerError):
    code = "not-initialised"
    title_vi = "Sổ cái chưa được khởi tạo (chạy lienthong init)"
    title_en = "Ledger not initialised (run lienthong init)"
    status = 503


class AlreadyInitialised(LedgerError):
    code = "already-initialised"
    title_vi = "Sổ cái đã được khởi tạo"
    title_en = "Ledger already initialised"


class ReadOnly(LedgerError):
    code = "read-only"
    title_vi = "Máy chủ này chỉ đọc (bản sao); hãy gửi bản khai tới máy chủ chính"
    title_en = "This server is read-only (a replica); send statements to the primary"
    status = 503


class ViewsNotReady(LedgerError):
    code = "views-not-ready"
    title_vi = "Bảng tra cứu trên cơ sở dữ liệu này chưa sẵn sàng"
    title_en = "The read models on this database are not ready"
    status = 503


class BadDatabaseUrl(LedgerError):
    code = "bad-database-url"
    title_vi = "Địa chỉ cơ sở dữ liệu không hợp lệ"
    title_en = "Invalid database URL"


class BadProofRequest(LedgerError):
    code = "bad-proof-request"
    title_vi = "Yêu cầu chứng minh không hợp lệ"
    title_en = "Invalid proof request"


class BadCheckpoint(LedgerError):
    code = "bad-checkpoint"
    title_vi = "Điểm kiểm tra (checkpoint) không hợp lệ"
    title_en = "Invalid checkpoint"


class LogForked(LedgerError):
    code = "log-forked"
    title_vi = "Sổ cái đã bị viết lại (rẽ nhánh)"
    title_en = "The log was rewritten (forked)"


class BadBundle(LedgerError):
    code = "bad-bundle"
    title_vi = "Gói kiểm toán không hợp lệ"
    title_en = "Invalid audit bundle"


class BadApplicantDetails(LedgerError):
    """An applicant record is a map of text to text, all in Unicode NFC."""

    code = "bad-applicant-details"
    title_vi = "Thông tin người nộp hồ sơ không hợp lệ"
    title_en = "Invalid applicant details"


class ApplicantExists(LedgerError):
    """The dossier's applicant record is already on the log: it cannot be proposed again."""

    code = "applicant-exists"
    title_vi = "Hồ sơ đã có thông tin người nộp được ghi nhận"
    title_en = "Applicant record already recorded"
    status = 409


class UnknownApplicant(LedgerError):
    code = "unknown-applicant"
    title_vi = "Không có thông tin người nộp của hồ sơ này"
    title_en = "No applicant record for this dossier"
    status = 404


class ApplicantErased(LedgerError):
    """The record's key was destroyed: the personal data can no longer be read by anyone."""

    code = "applicant-erased"
    title_vi = "Thông tin người nộp hồ sơ đã bị xóa"
    title_en = "Applicant record erased"
    status = 410


class ApplicantUnreadable(LedgerError):
    """The record does not decrypt: another data key, or the stored bytes were altered."""

    code = "applicant-unreadable"
    title_vi = "Không giải mã được thông tin người nộp (sai khóa dữ liệu hoặc dữ liệu bị sửa)"
    title_en = "Applicant record cannot be decrypted (wrong data key or altered data)"
    status = 500  # the stored record does not open: a fault, not the caller's


class ApplicantHeld(LedgerError):
    """Another officer is receiving this dossier code: its pending applicant record is theirs."""

    code = "applicant-held"
    title_vi = "Thông tin người nộp của hồ sơ này đang do cán bộ khác tiếp nhận"
    title_en = "Another officer is receiving this dossier's applicant details"
    status = 409


class ApplicantMismatch(LedgerError):
    """The record kept does not commit to what the recorded statement signed: it is not served."""

    code = "applicant-mismatch"
    title_vi = "Thông tin người nộp lưu giữ không khớp với bản khai đã ký"
    title_en = "Applicant record does not match the signed statement"
    status = 409


class FileNotUploaded(LedgerError):
    """A statement lists a document, or a caller asks for one, that the file store does not hold."""

    code = "file-not-uploaded"
    title_vi = "Tệp chưa được tải lên"
    title_en = "File not uploaded"
    unknown_subject = True  # GET of a file the store does not hold: 404


class FileHashMismatch(LedgerError):
    code = "file-hash-mismatch"
    title_vi = "Nội dung tệp không khớp với mã băm đã khai"
    title_en = "File bytes do not match the declared hash"


class FileTooLarge(LedgerError):
    code = "file-too-large"
    title_vi = "Tệp vượt quá dung lượng cho phép"
    title_en = "File too large"
    status = 413


class FileIncomplete(LedgerError):
    """The upload ended before the bytes it announced: nothing was kept."""

    code = "file-incomplete"
    title_vi = "Tải tệp lên bị gián đoạn; không có gì được lưu"
    title_en = "Upload interrupted; nothing was kept"


class FileQuotaExceeded(LedgerError):
    """The office already holds as many uploads no recorded statement names as it may."""

    code = "file-quota-exceeded"
    title_vi = "Đơn vị đã đạt hạn mức tệp tải lên chưa được kê khai"
    title_en = "The office's quota of uploads not yet listed by a statement is full"


class FileErased(LedgerError):
    """The dossier's file key was destroyed with its personal data."""

    code = "file-erased"
    title_vi = "Tệp của hồ sơ đã bị xóa cùng dữ liệu cá nhân"
    title_en = "The dossier's files were erased with its personal data"
    status = 410


class FileCorrupted(LedgerError):
    """A stored file fails its check: missing, altered, or not the bytes of its hash."""

    code = "file-corrupted"
    title_vi = "Tệp lưu trữ bị hỏng hoặc bị sửa"
    title_en = "Stored file damaged or altered"
    status = 500


class BadTimestamp(LedgerError):
    """An RFC 3161 timestamp token that does not hold: not for this signature, its signature
    does not verify, or its time-stamping authority's chain reaches none of the trusted roots."""

    code = "bad-timestamp"
    title_vi = "Dấu thời gian không hợp lệ"
    title_en = "Invalid timestamp token"


class TimestampUnavailable(LedgerError):
    """The time-stamping authority gave no token: unreachable, an error status, or an answer
    that is not a timestamp response. Nothing recorded depends on it; it is asked again later."""

    code = "timestamp-unavailable"
    title_vi = "Không lấy được dấu thời gian từ tổ chức cấp dấu thời gian"
    title_en = "The time-stamping authority gave no timestamp"
