"""Every instant a statement carries lies in the range the ledger's date arithmetic can follow
(domain.instant.EARLIEST – LATEST): one signed far beyond it would be recorded and then break
every read of the dossier (the deadline, the slip, the stall query)."""

from __future__ import annotations

import pytest

from domain.instant import LATEST
from domain.statement import ZERO_HASH
from ledger.errors import BadField
from ledger.statements import canonical, schema
from tests.world import CODE, World


def _received_fields(appointed: int) -> dict[str, object]:
    return {
        "v": 1,
        "kind": "dossier.received",
        "subject": CODE,
        "seq": 1,
        "prev": ZERO_HASH,
        "office": "29266",
        "officer": "cb-1",
        "key": "k1",
        "at": 1_750_000_000_000_000,
        "body": {
            "procedure": "1.001776",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [],
            "appointed": appointed,
        },
    }


def test_refuses_to_decode_a_statement_whose_appointed_time_is_past_the_range() -> None:
    raw = canonical.encode(_received_fields(2**63 - 1))
    with pytest.raises(BadField, match=r"body\.appointed .* between 0 and "):
        schema.parse(raw)


def test_decodes_a_statement_whose_appointed_time_is_the_last_of_the_range() -> None:
    assert schema.parse(canonical.encode(_received_fields(LATEST))).body["appointed"] == LATEST


def test_refuses_to_record_a_receipt_appointed_past_the_range(world: World) -> None:
    with pytest.raises(BadField, match="appointed"):
        world.receive(appointed=LATEST + 1)
    assert list(world.ledger.history("dossier", CODE)) == []
