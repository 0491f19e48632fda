"""The citizen lookup's limits slow a guesser and never lock a dossier's owner out.

Every lookup counts against the client (an IPv4 address, an IPv6 /64: 30 a minute), and every
wrong secret against the client and the code (10 a minute); nothing counts against a code alone,
so wrong secrets from anywhere else never stop the owner's right one. The client is the socket's
peer: `X-Forwarded-For` is believed only from a peer in LIENTHONG_TRUSTED_PROXIES, in the app and
on the real server. The clock is the app's simulated one: a minute passes when a test says.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.lookup import LookupLimiter
from api.settings import Settings, SettingsError
from ledger.clock import SimulatedClock
from tests.apiworld import APPLICANT, COMMUNE_OFFICER, RECEIVED_BODY, Api, demo_code, open_api

CODE = demo_code(601)
OWNER = ("203.0.113.7", 50000)
GUESSER = ("198.51.100.9", 50000)
PROXY = ("10.0.0.2", 443)
LIENTHONG = [sys.executable, "-c", "from api.cli.main import main; main()"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Api, str]]:
    """The app with one dossier received with an applicant; its receipt secret."""
    with open_api(
        f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, trusted_proxies=("10.0.0.0/8",)
    ) as api:
        receipt = api.client("officer").record(
            api.key(COMMUNE_OFFICER), "dossier.received", CODE, RECEIVED_BODY, applicant=APPLICANT
        )
        yield api, receipt["receipt_secret"]


def wrong(secret: str, n: int = 0) -> str:
    """A well-formed secret that is not `secret`."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(alphabet[(alphabet.index(c) + 1 + n) % 32] for c in secret)


def look_up(
    api: Api, peer: tuple[str, int], code: str, secret: str, forwarded: str | None = None
) -> httpx.Response:
    http = TestClient(api.http.app, client=peer)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response: httpx.Response = http.post(
        "/v1/public/lookup", json={"code": code, "secret": secret}, headers=headers
    )
    return response


def test_wrong_secrets_from_elsewhere_never_stop_the_owners_lookup(
    world: tuple[Api, str],
) -> None:
    api, secret = world
    guesses = [look_up(api, GUESSER, CODE, wrong(secret, n)).status_code for n in range(12)]
    assert guesses == [404] * 10 + [429] * 2  # the guesser is slowed
    for n in range(3):  # and from more addresses still
        peer = (f"198.51.100.{20 + n}", 50000)
        assert {look_up(api, peer, CODE, wrong(secret, m)).status_code for m in range(10)} == {404}
    owner = look_up(api, OWNER, CODE, secret)
    assert owner.status_code == 200, owner.text
    assert owner.json()["code"] == CODE


def test_a_guesser_gets_ten_wrong_secrets_a_minute_per_dossier_then_waits(
    world: tuple[Api, str],
) -> None:
    api, secret = world
    for n in range(10):
        assert look_up(api, GUESSER, CODE, wrong(secret, n)).status_code == 404
    refused = look_up(api, GUESSER, CODE, secret)  # even the right one: the answer tells nothing
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "60"
    assert "10 wrong secrets a minute" in refused.json()["detail"]
    assert look_up(api, GUESSER, "000.66.29.H59-250708-0699", secret).status_code == 404
    api.clock.advance(30)
    assert look_up(api, GUESSER, CODE, secret).headers["retry-after"] == "30"
    api.clock.advance(30)  # a minute after the first wrong secret
    assert look_up(api, GUESSER, CODE, secret).status_code == 200


def test_a_client_gets_thirty_lookups_a_minute_whatever_the_codes(
    world: tuple[Api, str],
) -> None:
    api, secret = world
    answers = [
        look_up(api, GUESSER, f"000.66.29.H59-250708-{n:04d}", secret).status_code
        for n in range(700, 731)
    ]
    assert answers == [404] * 30 + [429]
    assert look_up(api, OWNER, CODE, secret).status_code == 200  # another client is not slowed


def test_an_ipv6_client_is_counted_by_its_64(world: tuple[Api, str]) -> None:
    api, secret = world
    for n in range(10):  # a fresh address of the same /64 for every guess
        peer = (f"2001:db8:1:2::{n + 1:x}", 0)
        assert look_up(api, peer, CODE, wrong(secret, n)).status_code == 404
    assert look_up(api, ("2001:db8:1:2::ff", 0), CODE, secret).status_code == 429
    assert look_up(api, ("2001:db8:1:3::1", 0), CODE, secret).status_code == 200  # another /64


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    world: tuple[Api, str],
) -> None:
    api, secret = world
    answers = [
        look_up(api, GUESSER, CODE, wrong(secret, n), forwarded=f"192.0.2.{n}").status_code
        for n in range(11)
    ]
    assert answers == [404] * 10 + [429]  # all counted against the peer itself


def test_a_trusted_proxys_forwarded_for_is_used(world: tuple[Api, str]) -> None:
    api, secret = world
    for n in range(10):  # one client behind the proxy guesses
        answer = look_up(api, PROXY, CODE, wrong(secret, n), forwarded="192.0.2.50")
        assert answer.status_code == 404
    assert look_up(api, PROXY, CODE, secret, forwarded="192.0.2.50").status_code == 429
    # what the client wrote itself, left of the address the proxy appended, is not believed
    spoofed = look_up(api, PROXY, CODE, secret, forwarded="203.0.113.99, 192.0.2.50")
    assert spoofed.status_code == 429
    # another client behind the same proxy looks up as before; proxies in the chain are passed
    owner = look_up(api, PROXY, CODE, secret, forwarded="203.0.113.7, 10.0.0.9")
    assert owner.status_code == 200


def test_the_limiter_forgets_the_least_recently_seen_beyond_its_size() -> None:
    clock = SimulatedClock(0)
    limiter = LookupLimiter(per_client=2, per_code=1, clock=clock, size=4)
    for n in range(100):
        limiter.admit(f"192.0.2.{n}", "x")
        limiter.missed(f"192.0.2.{n}", "x")
    assert len(limiter._seen) <= 4


def test_trusted_proxies_that_are_not_addresses_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"LIENTHONG_TRUSTED_PROXIES: 'proxy\.example'"):
        Settings.from_env(
            {
                "LIENTHONG_DATA_KEY": str(tmp_path / "data.key"),
                "LIENTHONG_LOG_KEY": str(tmp_path / "log.key"),
                "LIENTHONG_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example",
            }
        )
    settings = Settings.from_env(
        {
            "LIENTHONG_DATA_KEY": str(tmp_path / "data.key"),
            "LIENTHONG_LOG_KEY": str(tmp_path / "log.key"),
            "LIENTHONG_TRUSTED_PROXIES": " 10.0.0.0/8, 2001:db8::1 ",
        }
    )
    assert settings.trusted_proxies == ("10.0.0.0/8", "2001:db8::1")


# --- the real server: `lienthong serve`, uvicorn and all -------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """`lienthong serve --demo` with no trusted proxy, on a port of its own; its URL and demo."""
    directory = tmp_path_factory.mktemp("served")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIENTHONG_", "FORWARDED"))}
    process = subprocess.Popen(
        [*LIENTHONG, "serve", "--demo", "--port", str(port)],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:  # blocks until the server says it is up (or exits)
            lines.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            raise AssertionError("the server stopped before serving:\n" + "".join(lines))
        demo = json.loads((directory / "lienthong-demo" / "demo.json").read_text())
        yield f"http://127.0.0.1:{port}", demo
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_server_believes_no_forwarded_for_from_a_peer_it_was_not_told_to_trust(
    served: tuple[str, dict[str, Any]],
) -> None:
    """uvicorn's own default believed X-Forwarded-For from 127.0.0.1: a client there could take a
    fresh address for every lookup."""
    url, demo = served
    answers = [
        httpx.post(
            f"{url}/v1/public/lookup",
            json={"code": f"000.66.29.H59-250708-{n:04d}", "secret": demo["lookup"]["secret"]},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        ).status_code
        for n in range(31)
    ]
    assert answers == [404] * 30 + [429]


def test_a_trusted_proxys_forwarded_proto_is_the_pages_scheme(world: tuple[Api, str]) -> None:
    """Behind a TLS proxy the session cookie is Secure and the pages' origin is https; the same
    header from any other peer changes nothing."""
    api, _secret = world
    for peer, scheme in ((PROXY, "https"), (GUESSER, "http")):
        http = TestClient(api.http.app, client=peer)
        headers = {"X-Forwarded-Proto": "https", "Origin": f"{scheme}://testserver"}
        form = http.get("/dang-nhap", headers=headers)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        # the sign-in form's cookie, sent back as the browser on https would (it is Secure there)
        cookie = form.headers["set-cookie"].split(";")[0]
        answer = http.post(
            "/dang-nhap",
            data={"token": api.tokens["inspector"], "csrf": csrf.group(1)},
            headers={**headers, "Cookie": cookie},
            follow_redirects=False,
        )
        assert answer.status_code == 303, (peer, answer.text)
        (session,) = [h for h in answer.headers.get_list("set-cookie") if "lienthong_session" in h]
        assert ("Secure" in session) is (scheme == "https"), peer
