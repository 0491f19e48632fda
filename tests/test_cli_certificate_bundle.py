"""The done-when of certificate signing on the command line: a dossier received and handed over by
an officer with an official-duty certificate, acknowledged with an Ed25519 key, then `verify` and
`export` / `verify-bundle` offline — with the deployment's trust anchors, and refused without them
or with another root."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from ledger.log.tlog import LogKey
from tests.pki import Hierarchy
from tests.test_certificates import COMMUNE, COMMUNE_NAME, DISTRICT, enrol_certificate, receive
from tests.world import CODE, World

runner = CliRunner()
LOG_KEY = LogKey.from_seed("lienthong.test/log", hashlib.sha256(b"cli-cert-log").digest())


def run(db: str, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", db, "--lang", "en", *args])


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIENTHONG_LOG_KEY", "LIENTHONG_TRUST_ANCHORS", "LIENTHONG_TSA_ROOTS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[str, Path, Path]:
    """(database URL, anchors directory, exported bundle) of the certificate officer's dossier."""
    hierarchy = Hierarchy.build()
    anchors = hierarchy.anchors(tmp_path / "anchors")
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(db, trust_anchors=str(anchors))
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.officers[COMMUNE] = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, world.officers[COMMUNE])
    world.acknowledge(DISTRICT, world.dispatch(COMMUNE, DISTRICT))
    world.ledger.issue_checkpoint(LOG_KEY)
    world.ledger.close()
    bundle = tmp_path / "bundle.lt"
    exported = run(db, "export", CODE, "-o", str(bundle))
    assert exported.exit_code == 0, exported.output
    return db, anchors, bundle


def test_verify_and_verify_bundle_pass_offline_with_the_trust_anchors(
    recorded: tuple[str, Path, Path],
) -> None:
    db, anchors, bundle = recorded
    vkey = LOG_KEY.verifier.line()
    audited = run(db, "verify", "--log-key", vkey, "--anchors", str(anchors), "--workers", "1")
    assert audited.exit_code == 0, audited.output
    verified = run("memory:", "verify-bundle", str(bundle), "--log-key", vkey, "--anchors", str(anchors))
    assert verified.exit_code == 0, verified.output
    assert "VERIFIED" in verified.output
    assert "signed with the official-duty certificate of CN=Cán bộ thử nghiệm cb-cert" in verified.output
    assert "issued by CN=Cục Chứng thực số và BMTT (Test)" in verified.output


def test_without_the_anchors_neither_takes_a_certificate_on_trust(
    recorded: tuple[str, Path, Path], tmp_path: Path
) -> None:
    db, _anchors, bundle = recorded
    vkey = LOG_KEY.verifier.line()
    audited = run(db, "verify", "--log-key", vkey, "--workers", "1")
    assert audited.exit_code == 1
    assert "trust anchors" in audited.output
    other = Hierarchy.build(label="Khác").anchors(tmp_path / "other")
    verified = run("memory:", "verify-bundle", str(bundle), "--log-key", vkey, "--anchors", str(other))
    assert verified.exit_code == 1
    assert "trust anchors" in verified.output
