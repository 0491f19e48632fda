"""The words of the citizen's rating of a decided dossier's handling, on the lookup's answer."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "rate_title": ("Đánh giá mức độ hài lòng", "Rate how your dossier was handled"),
    "rate_intro": (
        "Bạn hài lòng thế nào với việc giải quyết hồ sơ này? Mỗi hồ sơ được đánh giá một lần; "
        "đánh giá không ghi tên hay thông tin của bạn.",
        "How satisfied are you with how this dossier was handled? Each dossier is rated once; "
        "the rating keeps neither your name nor anything about you.",
    ),
    "rate_score": ("Mức độ hài lòng", "Satisfaction"),
    "rate_1": ("1 — Rất không hài lòng", "1 — Very dissatisfied"),
    "rate_2": ("2 — Không hài lòng", "2 — Dissatisfied"),
    "rate_3": ("3 — Bình thường", "3 — Neither"),
    "rate_4": ("4 — Hài lòng", "4 — Satisfied"),
    "rate_5": ("5 — Rất hài lòng", "5 — Very satisfied"),
    "rate_send": ("Gửi đánh giá", "Send the rating"),
    "rate_thanks": (
        "Cảm ơn bạn. Đánh giá của bạn đã được ghi nhận.",
        "Thank you. Your rating has been kept.",
    ),
    "rate_already": ("Hồ sơ này đã được đánh giá.", "This dossier has already been rated."),
    "rate_not_decided": (
        "Hồ sơ chưa có kết quả giải quyết nên chưa thể đánh giá.",
        "The dossier has no decision yet, so it cannot be rated.",
    ),
    "rate_bad_score": ("Hãy chọn một mức từ 1 đến 5.", "Choose a score from 1 to 5."),
    "rate_read_only": (
        "Máy chủ này chỉ đọc nên không nhận đánh giá.",
        "This server is read-only and keeps no ratings.",
    ),
}
