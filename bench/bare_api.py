"""The baseline of `bench/api.py`: a bare FastAPI app with one POST endpoint that takes the same
JSON body as `POST /v1/statements` (`api.http.schemas.SignedEnvelope`) and answers 201 with a small
receipt-like object, without verifying, recording or reading anything. Served by uvicorn exactly
like the real app, with as many worker processes:

    uvicorn bench.bare_api:create_app --factory [--workers N]
"""

from __future__ import annotations

import hashlib
import time

from fastapi import FastAPI
from pydantic import BaseModel

from api.http.schemas import SignedEnvelope


class BareReceipt(BaseModel):
    kind: str
    subject: str
    seq: int
    digest: str
    recorded_at: int
    duplicate: bool


def create_app() -> FastAPI:
    app = FastAPI(title="bare baseline")

    @app.post("/v1/statements", status_code=201, response_model=BareReceipt)
    async def submit(envelope: SignedEnvelope) -> BareReceipt:
        return BareReceipt(
            kind="handover.acknowledged",
            subject="-",
            seq=0,
            digest=hashlib.sha256(envelope.statement.encode()).hexdigest(),
            recorded_at=time.time_ns() // 1000,
            duplicate=False,
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
