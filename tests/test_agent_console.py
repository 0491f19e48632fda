"""`lienthong agent`'s console and its refusals, on a real agent process with a key on a real
SoftHSM2 token: a statement's text cannot print lines of its own nor hide characters; what was
typed before the prompt does not answer it; a refusal is never printed in the middle of a
confirmation; "Signed." is said only once the token has signed; an http origin of another computer
is refused at start; a request of no length is a bad request."""

from __future__ import annotations

import array
import fcntl
import http.client
import os
import pty
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pkcs11 import Attribute, ObjectClass

from api.cli.agent import origin_of, printable
from ledger.statements.signing import key_id
from tests.agent_process import LIENTHONG, WAIT, Agent
from tests.softhsm import SoftHSM, SoftToken
from tests.test_agent import (  # noqa: F401 (the fixtures `made` and `agent`)
    ORIGIN,
    Made,
    agent,
    asked,
    command,
    environment,
    made,
    run_agent,
    statement,
)

FORGED = "Loại / Kind: Giao hồ sơ"  # the start of the confirmation's own line for the kind


def test_a_note_cannot_print_lines_of_its_own_nor_hide_characters(
    agent: Agent,  # noqa: F811
    made: Made,  # noqa: F811
) -> None:
    note = f"Giao để thẩm định\n{FORGED}\n\u202eabc\u009b2J"
    future, shown = asked(agent, statement(key_id(made.ec), reason=note))
    text = "\n".join(shown)
    kinds = [line for line in shown if line.lstrip().startswith("Loại / Kind")]
    assert kinds == ["Loại / Kind: Giao hồ sơ / Handed over (dispatched) (handover.dispatched)"]
    assert f"Ghi chú / Note: Giao để thẩm định⏎{FORGED}⏎\\u202eabc\\u009b2J" in text
    assert "\u202e" not in text
    assert "\u009b" not in text
    agent.answer("n")
    assert future.result(timeout=WAIT).json()["refused"] == "declined"


def test_printable_shows_controls_bidi_c1_and_its_own_newline_mark_escaped() -> None:
    assert printable("a\nb") == "a⏎b"
    assert printable("a⏎b") == "a\\u23ceb"  # a ⏎ in the text is not taken for a line break
    assert printable("\u202e\u009b\t\r\u2066") == "\\u202e\\u009b\\u0009\\u000d\\u2066"
    assert printable("Thị trấn Càng Long") == "Thị trấn Càng Long"


def _pending(fd: int) -> int:
    """The bytes of complete lines waiting in a terminal's input."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def test_what_was_typed_before_the_prompt_does_not_answer_it(made: Made) -> None:  # noqa: F811
    controller, console = pty.openpty()
    modes = termios.tcgetattr(console)
    modes[3] &= ~termios.ECHO
    termios.tcsetattr(console, termios.TCSANOW, modes)
    process = subprocess.Popen(
        command(made, "--allow-origin", ORIGIN, "--port", "0"),
        env=environment(made),
        stdin=console,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        running = Agent(process)
        os.write(controller, b"y\n")  # typed ahead, before any request
        deadline = time.monotonic() + WAIT
        while _pending(console) < 2:
            assert time.monotonic() < deadline, "the typed line never reached the terminal"
        future, _ = asked(running, statement(key_id(made.ec)))
        os.write(controller, b"n\n")  # the answer to what is shown
        answer = future.result(timeout=WAIT)
        assert answer.status_code == 403, answer.text
        assert answer.json()["refused"] == "declined"
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
        os.close(controller)
        os.close(console)


def test_a_refusal_is_printed_after_the_confirmation_waiting_for_its_answer(
    agent: Agent,  # noqa: F811
    made: Made,  # noqa: F811
) -> None:
    future, _ = asked(agent, statement(key_id(made.ec)))
    other = httpx.get(f"{agent.url}/info", headers={"Origin": "https://evil.example"})
    assert other.status_code == 403  # answered at once, though the console is busy
    agent.answer("n")
    agent.until(lambda line: line == "Not signed.")
    assert not [line for line in agent.seen if line.startswith("Refused")]
    refused = agent.until(lambda line: line.startswith("Refused"))
    assert "https://evil.example" in refused
    assert future.result(timeout=WAIT).json()["refused"] == "declined"


# --- a token that fails to sign -------------------------------------------------------------------

FAILING = "se-hong"  # a token label


@pytest.fixture
def failing(tmp_path: Path) -> Iterator[tuple[SoftToken, bytes, Agent]]:
    hsm = SoftHSM.create(tmp_path / "hsm")
    token = hsm.token(FAILING)
    public = token.generate_ec("ky")
    process = subprocess.Popen(
        [
            *LIENTHONG,
            "--lang",
            "en",
            "agent",
            "--pkcs11",
            hsm.module,
            "--token-label",
            FAILING,
            "--key-label",
            "ky",
            "--allow-origin",
            ORIGIN,
            "--port",
            "0",
        ],
        env={**hsm.environment(), "LIENTHONG_TOKEN_PIN": token.pin},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield token, public, Agent(process)
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


def test_signed_is_said_only_once_the_token_has_signed(
    failing: tuple[SoftToken, bytes, Agent],
) -> None:
    token, public, running = failing
    future, _ = asked(running, statement(key_id(public)))
    # the key leaves the token while the officer reads: the token cannot sign with it
    token.hsm.activate()
    with token.session() as session:
        for found in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
            found.destroy()
    running.answer("y")
    answer = future.result(timeout=WAIT)
    assert answer.status_code == 500, answer.text
    assert answer.json()["refused"] == "token"
    said = running.until(lambda line: line.startswith("Not signed."))
    assert "Cannot use the key on the token" in said
    assert "Signed." not in running.seen


# --- starting and requests --------------------------------------------------------------------------


def test_an_http_origin_of_another_computer_is_refused(made: Made) -> None:  # noqa: F811
    result = run_agent(made, "--allow-origin", "http://remote.host", "--port", "0")
    assert result.returncode == 2
    assert "--allow-origin" in result.stderr
    assert "listening" not in result.stdout
    assert origin_of("http://remote.host") is None
    assert origin_of("https://remote.host") == "https://remote.host"
    for loopback in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        assert origin_of(loopback) == loopback


def _post_with_length(agent: Agent, length: str | None) -> tuple[int, str]:  # noqa: F811
    host, port = agent.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    try:
        connection.putrequest("POST", "/sign")
        connection.putheader("Origin", ORIGIN)
        connection.putheader("Content-Type", "application/json")
        if length is not None:
            connection.putheader("Content-Length", length)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_a_request_of_no_length_is_a_bad_request(agent: Agent) -> None:  # noqa: F811
    for length in ("0", "-5", "cinq"):
        status, body = _post_with_length(agent, length)
        assert status == 400, (length, body)
        assert '"length"' in body
    status, body = _post_with_length(agent, None)
    assert status == 411, body
