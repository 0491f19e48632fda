"""`lienthong agent`, the local signing agent, as a real process on loopback with a key on a real
SoftHSM2 token: a page of an allowed origin gets a signature only after the officer answers "y"
at the agent's console, which shows what is signed; every other request is refused."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from domain.statement import Statement
from ledger.statements import schema
from ledger.statements.signing import key_id, verify
from tests.agent_process import LIENTHONG, WAIT, Agent, pem
from tests.pki import Hierarchy
from tests.pki_token import chain_for, issue_for_public_key
from tests.softhsm import SoftHSM, SoftToken

TOKEN = "phan-mem-ky"  # noqa: S105 (a token label, not a secret)
ORIGIN = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Made:
    hsm: SoftHSM
    token: SoftToken
    ec: bytes
    rsa: bytes
    chain: list[Path]  # the certificate of the EC key, then the subordinate CA's (PEM)
    other_chain: list[Path]  # a certificate of another key


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    directory = tmp_path_factory.mktemp("agent")
    hsm = SoftHSM.create(directory / "hsm")
    token = hsm.token(TOKEN)
    ec, rsa = token.generate_ec("ky-ec"), token.generate_rsa("ky-rsa")
    hierarchy = Hierarchy.build()
    issued = issue_for_public_key(hierarchy, "cb-agent", office="Thị trấn Càng Long", spki=ec)
    other = issue_for_public_key(hierarchy, "cb-other", office="Thị trấn Càng Long", spki=rsa)

    def written(name: str, ders: list[bytes]) -> list[Path]:
        paths = []
        for number, der in enumerate(ders):
            path = directory / f"{name}-{number}.pem"
            path.write_text(pem(der), encoding="ascii")
            paths.append(path)
        return paths

    return Made(
        hsm,
        token,
        ec,
        rsa,
        written("chain", chain_for(hierarchy, issued)),
        written("other", chain_for(hierarchy, other)),
    )


def environment(made: Made) -> dict[str, str]:
    clean = {k: v for k, v in made.hsm.environment().items() if not k.startswith("LIENTHONG_")}
    return {**clean, "LIENTHONG_TOKEN_PIN": made.token.pin}


def command(made: Made, *extra: str, label: str = "ky-ec") -> list[str]:
    return [
        *LIENTHONG,
        "--lang",
        "en",
        "agent",
        "--pkcs11",
        made.hsm.module,
        "--token-label",
        TOKEN,
        "--key-label",
        label,
        *extra,
    ]


@pytest.fixture
def agent(made: Made) -> Iterator[Agent]:
    args = ["--allow-origin", ORIGIN, "--port", "0"]
    for path in made.chain:
        args += ["--chain", str(path)]
    process = subprocess.Popen(
        command(made, *args),
        env=environment(made),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Agent(process)
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


def statement(key: str, *, reason: str = "Giao để thẩm định") -> bytes:
    return schema.build(
        Statement(
            kind="handover.dispatched",
            subject="000.00.01.H59-250303-0001",
            seq=2,
            prev=hashlib.sha256(b"received").digest(),
            office="29266",
            officer="cb-agent",
            key=key,
            at=1740963600000000,
            body={
                "to": "844",
                "purpose": "process",
                "documents": [{"name": "Đơn đề nghị", "sha256": hashlib.sha256(b"don").digest()}],
                "note": reason,
            },
        )
    )


def post_sign(agent: Agent, raw: bytes, origin: str = ORIGIN) -> httpx.Response:
    return httpx.post(
        f"{agent.url}/sign",
        json={"statement": base64.b64encode(raw).decode()},
        headers={"Origin": origin},
        timeout=WAIT,
    )


def asked(agent: Agent, raw: bytes) -> tuple[Future[httpx.Response], list[str]]:
    """Send the request from a thread; once the agent asks, the confirmation it showed."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(post_sign, agent, raw)
    pool.shutdown(wait=False)
    agent.until(lambda line: "Signature request" in line)
    agent.until(lambda line: line.endswith("[y/N]"))
    return future, agent.seen


# --- signing --------------------------------------------------------------------------------------


def test_info_gives_the_key_its_public_key_and_its_chain_to_an_allowed_page(
    agent: Agent, made: Made
) -> None:
    answer = httpx.get(f"{agent.url}/info", headers={"Origin": ORIGIN})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    info = answer.json()
    assert info["key"] == key_id(made.ec)
    assert base64.b64decode(info["public_key"]) == made.ec
    assert info["algorithm"] == "ECDSA-P256-SHA256"
    # the officer's certificate first, then the subordinate CA's
    assert info["chain"] == [base64.b64encode(_der(path)).decode() for path in made.chain]


def _der(path: Path) -> bytes:
    body = "".join(line for line in path.read_text().splitlines() if "CERTIFICATE" not in line)
    return base64.b64decode(body)


def test_an_allowed_page_gets_a_signature_after_the_officer_answers_y(
    agent: Agent, made: Made
) -> None:
    raw = statement(key_id(made.ec))
    future, shown = asked(agent, raw)
    text = "\n".join(shown)
    # what is signed, Vietnamese first: kind, dossier, office, officer, the body's fields
    assert "Loại / Kind: Giao hồ sơ / Handed over (dispatched) (handover.dispatched)" in text
    assert "Hồ sơ / đối tượng / Dossier / subject: 000.00.01.H59-250303-0001" in text
    assert "Cơ quan / Office: 29266" in text
    assert "Cán bộ / Officer: cb-agent" in text
    assert "Giao cho cơ quan / To office: 844" in text
    assert "Đơn đề nghị" in text
    assert "Ghi chú / Note: Giao để thẩm định" in text
    assert f"Từ trang / From page: {ORIGIN}" in text
    assert not future.done()  # nothing is answered before the officer is
    agent.answer("y")
    answer = future.result(timeout=WAIT)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    signature = base64.b64decode(answer.json()["signature"])
    verify(made.ec, raw, signature)
    assert answer.json()["key"] == key_id(made.ec)
    agent.until(lambda line: line == "Signed.")


def test_n_at_the_console_refuses(agent: Agent, made: Made) -> None:
    future, _ = asked(agent, statement(key_id(made.ec)))
    agent.answer("n")
    answer = future.result(timeout=WAIT)
    assert answer.status_code == 403
    assert answer.json()["refused"] == "declined"
    assert "signature" not in answer.json()
    agent.until(lambda line: line == "Not signed.")
    # anything but "y" is no
    future, _ = asked(agent, statement(key_id(made.ec)))
    agent.answer("")
    assert future.result(timeout=WAIT).json()["refused"] == "declined"


def test_a_statement_naming_another_key_is_refused_without_asking(agent: Agent, made: Made) -> None:
    answer = post_sign(agent, statement(key_id(made.rsa)))
    assert answer.status_code == 403
    assert answer.json()["refused"] == "other-key"
    line = agent.until(lambda line: line.startswith("Refused"))
    assert agent.seen == []  # no confirmation was shown before the refusal
    assert key_id(made.rsa) in line


def test_bytes_that_are_not_a_statement_are_refused_without_asking(agent: Agent) -> None:
    answer = post_sign(agent, b"\x81\xa1v\x01")
    assert answer.status_code == 400
    assert answer.json()["refused"] == "malformed"
    not_json = httpx.post(
        f"{agent.url}/sign", content=b"statement", headers={"Origin": ORIGIN}, timeout=WAIT
    )
    assert not_json.status_code == 400


# --- origins and addresses ------------------------------------------------------------------------


def test_another_origin_is_refused_without_cors_headers(agent: Agent, made: Made) -> None:
    for origin in ("http://127.0.0.1:8001", "https://evil.example", "null"):
        answer = post_sign(agent, statement(key_id(made.ec)), origin=origin)
        assert answer.status_code == 403
        assert answer.json()["refused"] == "origin"
        assert "access-control-allow-origin" not in answer.headers
        info = httpx.get(f"{agent.url}/info", headers={"Origin": origin})
        assert info.status_code == 403
    no_origin = httpx.get(f"{agent.url}/info")
    assert no_origin.status_code == 403


def test_a_preflight_is_answered_for_the_allowed_origin_only(agent: Agent) -> None:
    asking = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true",
    }
    allowed = httpx.options(f"{agent.url}/sign", headers={"Origin": ORIGIN, **asking})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-private-network"] == "true"
    other = httpx.options(f"{agent.url}/sign", headers={"Origin": "https://evil.example", **asking})
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers


def test_a_request_to_another_host_name_is_refused(agent: Agent) -> None:
    # a name another site's DNS points at 127.0.0.1 reaches the agent with its own Host, on the
    # agent's own port
    port = agent.url.rsplit(":", 1)[1]
    answer = httpx.get(
        f"{agent.url}/info", headers={"Origin": ORIGIN, "Host": f"rebound.example:{port}"}
    )
    assert answer.status_code == 403
    assert answer.json()["refused"] == "host"
    assert "access-control-allow-origin" not in answer.headers


def test_a_request_to_localhost_at_the_agents_port_is_answered(agent: Agent, made: Made) -> None:
    port = agent.url.rsplit(":", 1)[1]
    answer = httpx.get(f"{agent.url}/info", headers={"Origin": ORIGIN, "Host": f"localhost:{port}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["key"] == key_id(made.ec)


# --- refusals to start --------------------------------------------------------------------------


def run_agent(made: Made, *args: str, label: str = "ky-ec") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(made, *args, label=label),
        env=environment(made),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )


def test_an_origin_that_is_not_one_is_refused(made: Made) -> None:
    for origin in ("*", "https://lienthong.example/can-bo"):
        result = run_agent(made, "--allow-origin", origin, "--port", "0")
        assert result.returncode == 2, origin
        assert "--allow-origin" in result.stderr


def test_a_chain_whose_certificate_holds_another_key_is_refused(made: Made) -> None:
    chain = [arg for path in made.other_chain for arg in ("--chain", str(path))]
    result = run_agent(made, "--allow-origin", ORIGIN, "--port", "0", *chain)
    assert result.returncode == 2
    assert "does not hold the token's key" in result.stderr


def test_a_wrong_pin_stops_the_agent_before_it_listens(made: Made) -> None:
    result = subprocess.run(
        command(made, "--allow-origin", ORIGIN, "--port", "0"),
        env={**environment(made), "LIENTHONG_TOKEN_PIN": "0000"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 2
    assert "wrong PIN" in result.stderr
    assert "listening" not in result.stdout
