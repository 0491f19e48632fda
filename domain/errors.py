"""Refusals: `Refusal`, the base class of every refusal, and the domain's rules, one class each.

Each refusal class has a stable code, a title in Vietnamese and in English, and the HTTP status it
means; the domain's, the ledger's, the stores' and the HTTP edge's refusals all derive from
`Refusal`. The instance message (English) names the specific problem: which dossier, office, key or
instant. Outer layers map refusals to exit codes and HTTP problems once, in one place each.
"""

from __future__ import annotations

from typing import ClassVar


class Refusal(Exception):
    """Something asked was refused; nothing was recorded or changed by it.

    `code` is stable (the problem type of the HTTP API, printed by the command line too);
    `title_vi` and `title_en` say what kind of refusal it is; `status` is the HTTP status it means
    (422 unless the class says otherwise). `unknown_subject` marks refusals that a named subject
    does not exist: the HTTP edge answers a read of that subject's address with 404 instead.
    """

    code: ClassVar[str]
    title_vi: ClassVar[str]
    title_en: ClassVar[str]
    status: ClassVar[int] = 422
    unknown_subject: ClassVar[bool] = False

    def title(self, lang: str = "vi") -> str:
        return self.title_vi if lang == "vi" else self.title_en


class DomainError(Refusal):
    """A statement breaks a rule of the domain; nothing was recorded."""

    code = "domain-error"
    title_vi = "Vi phạm quy tắc nghiệp vụ"
    title_en = "Domain rule violated"


class BadIdentifier(DomainError):
    """A dossier code, office, officer, key or procedure id that breaks the identifier rule."""

    code = "bad-identifier"
    title_vi = "Mã định danh không hợp lệ"
    title_en = "Invalid identifier"


# --- registry: who may sign --------------------------------------------------------------


class UnknownKey(DomainError):
    code = "unknown-key"
    title_vi = "Khóa ký không có trong sổ đăng ký"
    title_en = "Unknown signing key"
    unknown_subject = True


class KeyNotValid(DomainError):
    """The key exists but was not valid at the statement's instant (not yet, or revoked)."""

    code = "key-not-valid"
    title_vi = "Khóa ký không còn hiệu lực hoặc chưa có hiệu lực"
    title_en = "Signing key not valid at that time"


class KeyRevoked(KeyNotValid):
    code = "key-revoked"
    title_vi = "Khóa ký đã bị thu hồi"
    title_en = "Signing key revoked"


class KeyNotOfficer(DomainError):
    code = "key-not-officer"
    title_vi = "Khóa ký không thuộc về cán bộ đã ký"
    title_en = "Key does not belong to the signing officer"


class UnknownOfficer(DomainError):
    code = "unknown-officer"
    title_vi = "Cán bộ không có trong sổ đăng ký"
    title_en = "Unknown officer"
    unknown_subject = True


class OfficerNotInOffice(DomainError):
    code = "officer-not-in-office"
    title_vi = "Cán bộ không thuộc cơ quan này vào thời điểm ký"
    title_en = "Officer not in that office at that time"


class UnknownOffice(DomainError):
    code = "unknown-office"
    title_vi = "Cơ quan không có trong sổ đăng ký"
    title_en = "Unknown office"
    unknown_subject = True


class OfficeNotActive(DomainError):
    """The office was not in existence at that date: not yet established, merged or dissolved."""

    code = "office-not-active"
    title_vi = "Cơ quan không hoạt động vào ngày đó (đã giải thể, sáp nhập hoặc chưa thành lập)"
    title_en = "Office not active on that date"


class NotAuthorised(DomainError):
    """A key whose role may not sign this kind of statement: an officer's key on a registry
    statement, a registrar's where the authority key is needed (a registrar key, a new authority
    key), or the authority key on a dossier statement."""

    code = "not-authorised"
    title_vi = "Không có thẩm quyền đăng ký"
    title_en = "Not authorised for registry statements"


class RegistryConflict(DomainError):
    """A registry change that contradicts the registry itself (a cycle, an office twice)."""

    code = "registry-conflict"
    title_vi = "Thay đổi mâu thuẫn với sổ đăng ký"
    title_en = "Registry change contradicts the registry"


class UnknownProcedure(DomainError):
    code = "unknown-procedure"
    title_vi = "Thủ tục hành chính không có hoặc không có hiệu lực"
    title_en = "Unknown or not effective procedure"
    unknown_subject = True


# --- custody -------------------------------------------------------------------------------


class DossierExists(DomainError):
    code = "dossier-exists"
    title_vi = "Mã hồ sơ đã được sử dụng"
    title_en = "Dossier code already used"
    status = 409


class BadDossierCode(DomainError):
    """A dossier code given to the HTTP API for a new dossier that is not of the form the
    circular sets, <agency identifier>-<yymmdd>-<sequence of the day> (domain/identifier.py,
    `dossier_code_problem`). Its subclasses name the part that is wrong."""

    code = "bad-dossier-code"
    title_vi = "Mã hồ sơ không theo quy tắc: mã định danh cơ quan, ngày tiếp nhận, số thứ tự"
    title_en = "Dossier code not of the form: agency identifier, date of receipt, sequence"


class DossierCodeAgency(BadDossierCode):
    code = "dossier-code-agency"
    title_vi = "Mã hồ sơ không mang mã định danh của cơ quan tiếp nhận"
    title_en = "Dossier code does not carry the receiving office's agency identifier"


class DossierCodeDate(BadDossierCode):
    code = "dossier-code-date"
    title_vi = "Ngày trong mã hồ sơ không phải ngày tiếp nhận"
    title_en = "The date in the dossier code is not the date of receipt"


class DossierCodeSequence(BadDossierCode):
    code = "dossier-code-sequence"
    title_vi = "Số thứ tự trong mã hồ sơ phải có từ 4 đến 7 chữ số và khác 0"
    title_en = "The sequence in the dossier code must be 4 to 7 digits, not zero"


class UnknownDossier(DomainError):
    code = "unknown-dossier"
    title_vi = "Không tìm thấy hồ sơ"
    title_en = "Unknown dossier"
    unknown_subject = True


class NotCustodian(DomainError):
    code = "not-custodian"
    title_vi = "Cơ quan không giữ hồ sơ"
    title_en = "Acting without custody"


class AlreadyInTransit(DomainError):
    code = "already-in-transit"
    title_vi = "Hồ sơ đang được chuyển, chưa được tiếp nhận"
    title_en = "A dispatch is already in transit"


class NotInTransit(DomainError):
    code = "not-in-transit"
    title_vi = "Hồ sơ không ở trạng thái đang chuyển"
    title_en = "No dispatch in transit"


class NotAddressee(DomainError):
    code = "not-addressee"
    title_vi = "Cơ quan không phải nơi nhận của lần chuyển này"
    title_en = "Not the addressee of the dispatch"


class NotSender(DomainError):
    code = "not-sender"
    title_vi = "Cơ quan không phải nơi gửi của lần chuyển này"
    title_en = "Not the sender of the dispatch"


class DispatchAlreadySettled(DomainError):
    """The dispatch was already acknowledged, rejected or recalled. Its code, older than the
    name, says acknowledged: it is part of the HTTP API and stays."""

    code = "already-acknowledged"
    title_vi = "Lần chuyển này đã được xử lý (tiếp nhận, từ chối hoặc thu hồi)"
    title_en = "Dispatch already settled"


class DispatchMismatch(DomainError):
    code = "dispatch-mismatch"
    title_vi = "Mã băm lần chuyển không khớp"
    title_en = "Dispatch hash does not match"


class DispatchToSelf(DomainError):
    code = "dispatch-to-self"
    title_vi = "Không thể chuyển hồ sơ cho chính cơ quan đang giữ"
    title_en = "Dispatch to the custodian itself"


class DossierClosed(DomainError):
    code = "dossier-closed"
    title_vi = "Hồ sơ đã kết thúc"
    title_en = "Dossier closed"


class ClockSuspended(DomainError):
    code = "clock-suspended"
    title_vi = "Hồ sơ đang chờ bổ sung"
    title_en = "Dossier awaiting supplement"


class NotSuspended(DomainError):
    code = "not-suspended"
    title_vi = "Hồ sơ không ở trạng thái chờ bổ sung"
    title_en = "Dossier not awaiting supplement"


class DelayAlreadyNotified(DomainError):
    code = "delay-already-notified"
    title_vi = "Đã hẹn lại một lần; không được hẹn lại lần nữa"
    title_en = "Delay already notified once"


class BadAppointment(DomainError):
    code = "bad-appointment"
    title_vi = "Thời hạn hẹn trả không hợp lệ"
    title_en = "Invalid appointed time"


class AlreadyDecided(DomainError):
    code = "already-decided"
    title_vi = "Hồ sơ đã có kết quả giải quyết"
    title_en = "Dossier already decided"


class NotDecided(DomainError):
    code = "not-decided"
    title_vi = "Hồ sơ chưa có kết quả giải quyết"
    title_en = "Dossier not decided yet"


class NoAuthorityToDecide(DomainError):
    code = "no-authority-to-decide"
    title_vi = "Cơ quan không có thẩm quyền quyết định thủ tục này"
    title_en = "Office has no authority to decide this procedure"


class ReasonRequired(DomainError):
    code = "reason-required"
    title_vi = "Phải ghi rõ lý do"
    title_en = "A reason is required"


class NotAtReception(DomainError):
    code = "not-at-reception"
    title_vi = "Chỉ bộ phận tiếp nhận được từ chối khi hồ sơ chưa được chuyển đi"
    title_en = "Refusal only at reception, before any handover"
