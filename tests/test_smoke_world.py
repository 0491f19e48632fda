from tests.world import CODE, World


def test_a_dossier_handed_over_twice_is_held_by_the_last_addressee(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")

    dossier = world.ledger.dossier(CODE)
    assert dossier.custodian == "84"
    assert dossier.transit is None
    assert [e.statement.kind for e in world.ledger.history("dossier", CODE)] == [
        "dossier.received",
        "handover.dispatched",
        "handover.acknowledged",
        "handover.dispatched",
        "handover.acknowledged",
    ]
