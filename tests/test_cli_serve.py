"""`lienthong serve` end to end: a real uvicorn server on a fresh demo database, the command line
signing locally against it, and the refusals of serve, data-key and the remote mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.cli.main import app
from ledger.simulation.demo import demo_key
from ledger.statements.signing import SigningKey

runner = CliRunner()
LIENTHONG = [sys.executable, "-c", "from api.cli.main import main; main()"]


def clean_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("LIENTHONG_")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    demo: dict[str, Any]
    directory: Path
    stdout: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("serve")
    port = free_port()
    process = subprocess.Popen(
        [*LIENTHONG, "serve", "--demo", "--port", str(port)],
        cwd=directory,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:  # blocks until the server says it is up (or exits)
            lines.append(line)
            if "Uvicorn running on" in line:  # listening: its startup completes before the bind
                break
        else:
            raise AssertionError("the server stopped before serving:\n" + "".join(lines))
        assert process.poll() is None, "".join(lines)
        demo = json.loads((directory / "lienthong-demo" / "demo.json").read_text())
        yield Server(f"http://127.0.0.1:{port}", demo, directory, "".join(lines))
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_demo_prints_the_addresses_a_token_for_every_role_and_a_lookup(
    server: Server,
) -> None:
    assert f"{server.url}/docs" in server.stdout
    for role, token in server.demo["tokens"].items():
        assert token in server.stdout, role
    assert server.demo["lookup"]["secret"] in server.stdout
    for token in server.demo["tokens"].values():
        me = httpx.get(f"{server.url}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    lookup = httpx.post(f"{server.url}/v1/public/lookup", json=server.demo["lookup"])
    assert (lookup.status_code, lookup.json()["status"]) == (200, "held")
    for page in ("/tra-cuu", "/can-bo", "/giam-sat", "/xac-minh"):  # the pages it names
        assert f"{server.url}{page}" in server.stdout
    found = httpx.post(f"{server.url}/tra-cuu", data=server.demo["lookup"])
    assert found.status_code == 200
    assert f"Hồ sơ {server.demo['lookup']['code']}" in found.text  # the result, not the form again
    assert "Đang được xử lý" in found.text


def officer_key(directory: Path, officer: str, office: str) -> Path:
    path = directory / f"{officer}.key"
    if not path.exists():
        SigningKey(demo_key(officer).private, officer, office).save(path)
    return path


def test_sign_and_submit_against_the_server_record_a_handover(server: Server) -> None:
    code = server.demo["lookup"]["code"]
    token = server.demo["tokens"]["officer (Xã Càng Long)"]
    key = officer_key(server.directory, "cb-29266-vhxh", "29266/2025")
    body = json.dumps({"to": "86", "purpose": "process", "documents": []})
    remote = ["--server", server.url, "--token", token]

    signed = runner.invoke(
        app, ["sign", "handover.dispatched", code, "--key", str(key), "--body", body, *remote]
    )
    assert signed.exit_code == 0, signed.output
    submitted = runner.invoke(app, ["--lang", "en", "submit", *remote], input=signed.output)

    assert submitted.exit_code == 0, submitted.output
    assert f"Recorded: handover.dispatched {code} seq 2" in submitted.output
    where = httpx.get(
        f"{server.url}/v1/dossiers/{code}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert (where["status"], where["transit_to"]) == ("in_transit", "86")
    again = runner.invoke(app, ["--lang", "en", "submit", *remote], input=signed.output)
    assert "Already recorded" in again.output


def test_submit_with_an_unknown_token_exits_2_naming_the_problem(server: Server) -> None:
    key = officer_key(server.directory, "cb-29266-vhxh", "29266/2025")
    result = runner.invoke(
        app,
        [
            "--lang",
            "en",
            "sign",
            "dossier.withdrawn",
            server.demo["lookup"]["code"],
            "--key",
            str(key),
            "--body",
            '{"reason": "x"}',
            "--server",
            server.url,
            "--token",
            "lt1_00000000_" + "A" * 43,
        ],
    )
    assert result.exit_code == 2
    assert "token-unknown" in result.output


def test_a_statement_the_ledger_refuses_exits_1(server: Server) -> None:
    token = server.demo["tokens"]["officer (Sở Nội vụ)"]
    key = officer_key(server.directory, "cv-84-ldtbxh", "86")
    result = runner.invoke(
        app,
        [
            "--lang",
            "en",
            "sign",
            "handover.dispatched",
            "NEVER-RECEIVED",
            "--key",
            str(key),
            "--body",
            '{"to": "29266/2025", "purpose": "process", "documents": []}',
            "--server",
            server.url,
            "--token",
            token,
        ],
    )
    signed = result.output
    assert result.exit_code == 0, signed
    submitted = runner.invoke(
        app, ["--lang", "en", "submit", "--server", server.url, "--token", token], input=signed
    )
    assert submitted.exit_code == 1
    assert "unknown-dossier" in submitted.output


def test_remote_mode_against_no_server_exits_2(tmp_path: Path) -> None:
    key = officer_key(tmp_path, "cb-29266-vhxh", "29266/2025")
    result = runner.invoke(
        app,
        [
            *("sign", "dossier.withdrawn", "X", "--key", str(key), "--body", '{"reason": "x"}'),
            *("--server", f"http://127.0.0.1:{free_port()}", "--token", "t"),
        ],
    )
    assert result.exit_code == 2


def run_serve(directory: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIENTHONG, "--lang", "en", *args],
        cwd=directory,
        env={**clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_refuses_to_start_without_a_data_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run_serve(tmp_path, "--database-url", db, "demo").returncode == 0
    assert run_serve(tmp_path, "log-key", "create", "--origin", "test/log").returncode == 0

    result = run_serve(
        tmp_path, "--database-url", db, "serve", LIENTHONG_LOG_KEY="lienthong-log.key"
    )

    assert result.returncode == 2
    assert "LIENTHONG_DATA_KEY" in result.stderr


def test_serve_refuses_a_database_with_no_ledger(tmp_path: Path) -> None:
    assert run_serve(tmp_path, "data-key", "create", "data.key").returncode == 0
    assert run_serve(tmp_path, "log-key", "create", "--origin", "test/log").returncode == 0
    result = run_serve(
        tmp_path,
        "--database-url",
        f"sqlite:///{tmp_path / 'empty.db'}",
        "serve",
        LIENTHONG_DATA_KEY="data.key",
        LIENTHONG_LOG_KEY="lienthong-log.key",
    )
    assert result.returncode == 1
    assert "not-initialised" in result.stderr


def test_data_key_create_never_overwrites_a_key(tmp_path: Path) -> None:
    first = runner.invoke(app, ["data-key", "create", str(tmp_path / "data.key")])
    content = (tmp_path / "data.key").read_bytes()
    second = runner.invoke(app, ["data-key", "create", str(tmp_path / "data.key")])

    assert first.exit_code == 0
    assert second.exit_code == 2
    assert (tmp_path / "data.key").read_bytes() == content
    assert (tmp_path / "data.key").stat().st_mode & 0o777 == 0o600
