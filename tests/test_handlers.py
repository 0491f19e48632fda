"""The statement handler table: one handler per statement kind, each a typed reference to the
aggregate's own method; a command on a subject with no history is refused as unknown."""

from __future__ import annotations

import pytest

from domain.statement import Entry, Statement, family
from ledger.handlers import UNKNOWN, Handlers
from ledger.statements.schema import BODIES

# Kinds whose subject must already exist, and whose handler asks nothing of the registry first.
ON_EXISTING = [
    "office.renamed",
    "office.dissolved",
    "officer.left",
    "key.revoked",
    "handover.acknowledged",
    "handover.rejected",
    "handover.recalled",
    "dossier.supplement_requested",
    "dossier.supplement_received",
    "dossier.delay_notified",
    "dossier.result_returned",
    "dossier.withdrawn",
    "dossier.refused",
    "dossier.extension_requested",
    "dossier.stopped",
]


def test_every_statement_kind_has_exactly_one_handler() -> None:
    assert set(Handlers().handler_table()) == set(BODIES)


@pytest.mark.parametrize("kind", ON_EXISTING)
def test_refuses_a_command_on_a_subject_with_no_history(kind: str) -> None:
    statement = Statement(kind, "S-1", 1, b"\0" * 32, "o", "p", "k", 0)
    entry = Entry(statement, b"", b"", b"\0" * 32, 0)
    subjects = family(kind)
    with pytest.raises(UNKNOWN[subjects], match=f"{subjects} S-1 has no history; {kind} needs"):
        Handlers().handler_table()[kind](entry, None)
