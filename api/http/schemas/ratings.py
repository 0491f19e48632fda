"""The citizen's rating of a dossier's handling: asked with the dossier code and the receipt
secret, as the lookup is; answered with the score kept, and nothing else."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.common import Identifier, StorableText


class RatingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "000.00.01.H59-250602-0001", "secret": "7KQ4-M2X9-PA", "score": 5}
            ]
        },
    )
    code: Identifier
    secret: StorableText = Field(
        ..., min_length=1, max_length=64, description="printed on the receipt"
    )
    score: int = Field(..., ge=1, le=5, description="1: very dissatisfied … 5: very satisfied")


class RatingOut(BaseModel):
    """The rating kept: once per dossier, anonymous."""

    code: str
    score: int
    rated_at: int
    rated_at_iso: str | None
