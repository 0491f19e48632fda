"""GET /can-bo/khoa-ky: the server tells the officer's pages which of the officer's keys carry an
official-duty certificate and are in force — the pages sign with those through the signing agent on
the officer's computer, and with the key made in the browser otherwise. Another officer's key, a
bare Ed25519 key, a revoked one and one not yet in force are not named."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.headers import POLICY
from api.http.services import Services
from ledger.statements.authoring import register_certificate_key
from ledger.statements.signing import CertificateSigningKey, key_id
from tests.apiworld import settings_for
from tests.pki import Hierarchy, ec_key, rsa_key
from tests.websession import sign_in
from tests.world import DAY, World, seeded_key

COMMUNE, NAME = "29266", "Thị trấn Càng Long"


@dataclass
class Site:
    http: TestClient
    services: Services
    world: World
    hierarchy: Hierarchy

    def officer(self, officer: str) -> TestClient:
        token = self.services.tokens.create(
            "officer",
            office=COMMUNE,
            officer=officer,
            now=self.world.clock.now(),
            valid_seconds=86400,
        )[1]
        self.http.cookies.clear()
        sign_in(self.http, token, back="/can-bo")
        return self.http

    def enrol(self, officer: str) -> None:
        self.world.authority.record(
            "officer.enrolled",
            officer,
            {"office": COMMUNE, "title": "Công chức", "effective": self.world.clock.now()},
        )

    def certify(self, officer: str, label: str, effective: int | None = None) -> str:
        private = ec_key(label) if label != "rsa" else rsa_key("officer-rsa")
        leaf = self.hierarchy.issue(label, office=NAME, private=private)
        chain = self.hierarchy.chain(leaf)
        register_certificate_key(self.world.authority, officer, chain, effective=effective)
        return key_id(CertificateSigningKey(private).public_key)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    hierarchy = Hierarchy.build()
    anchors = str(hierarchy.anchors(tmp_path / "anchors"))
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(database, trust_anchors=anchors)
    settings = settings_for(database, tmp_path)
    settings = replace(settings, ledger=replace(settings.ledger, trust_anchors=anchors))
    world.ledger.close()
    app = create_app(settings, clock=world.clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        world.ledger = services.ledger
        world.authority = replace(world.authority, ledger=services.ledger)
        yield Site(http, services, world, hierarchy)


def keys(site: Site, officer: str) -> list[str]:
    site.services.projector.catch_up()
    answer = site.officer(officer).get("/can-bo/khoa-ky")
    assert answer.status_code == 200, answer.text
    assert "agent" not in answer.json()  # the pages keep the agent's address (officer.js)
    return list(answer.json()["certificate_keys"])


def test_the_officers_certificate_keys_in_force_are_named_and_no_other(site: Site) -> None:
    site.enrol("cb-cert")
    site.enrol("cb-other")
    assert keys(site, "cb-cert") == []  # no key yet: the pages use the browser's key
    bare = seeded_key("cb-cert-ed25519")
    site.world.authority.record(
        "key.registered",
        bare.key_id,
        {
            "officer": "cb-cert",
            "public_key": bare.public_key,
            "role": "officer",
            "effective": site.world.clock.now(),
        },
    )
    assert keys(site, "cb-cert") == []  # an Ed25519 key is the browser's
    ecdsa = site.certify("cb-cert", "cb-cert-ec")
    rsa = site.certify("cb-cert", "rsa")
    assert sorted(keys(site, "cb-cert")) == sorted([ecdsa, rsa])
    assert keys(site, "cb-other") == []  # another officer's keys are not theirs
    later = site.certify("cb-other", "cb-other-ec", effective=site.world.clock.now() + DAY)
    assert keys(site, "cb-other") == []  # not yet in force
    site.world.clock.advance(2 * 86400)
    assert keys(site, "cb-other") == [later]
    site.world.authority.record(
        "key.revoked", rsa, {"reason": "Mất thiết bị ký", "effective": site.world.clock.now()}
    )
    assert keys(site, "cb-cert") == [ecdsa]  # a revoked key signs nothing


def test_only_an_officer_is_told(site: Site) -> None:
    token = site.services.tokens.create(
        "inspector", office=COMMUNE, now=site.world.clock.now(), valid_seconds=86400
    )[1]
    sign_in(site.http, token, back="/giam-sat")
    assert site.http.get("/can-bo/khoa-ky").status_code == 403


def test_the_pages_may_fetch_from_the_agent_on_this_computer_and_nowhere_else() -> None:
    directives = dict(part.strip().split(" ", 1) for part in POLICY.split(";"))
    assert directives["connect-src"] == "'self' http://127.0.0.1:*"
