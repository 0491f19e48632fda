"""No page shows an internal id or an English sentence in Vietnamese mode (issue "a day at the
desk"): every page each role reaches on the demo is fetched in Vietnamese, its visible text read
(not its URLs, attributes, scripts, nor a passage marked lang="en", which a page may quote as the
data or the server said it) and searched for the registry's ids — office ids, officer ids, key
ids, procedure keys — and for the common words of an English sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.http.services import Services
from tests.apiworld import COMMUNE, COMMUNE_OFFICER, PROVINCE, Api, open_api
from tests.websession import sign_in

# the common words of an English sentence, as whole words (Vietnamese uses none of them)
ENGLISH = re.compile(r"\b(the|and|of|is|are|was|not|this|with|from|for|to|by|no)\b")
SKIPPED = {"script", "style", "title", "svg"}


class Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts, nor what is marked lang="en"."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"):
            return
        if self.skipping or tag in SKIPPED or dict(attrs).get("lang") == "en":
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("no-ids")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


def internal_ids(services: Services) -> set[str]:
    """The registry's ids a person should never have to read: offices with a letter, a slash or
    five digits (the short numeric ones, 84 or 844, read as numbers and are left out), officers,
    procedure keys."""
    view = services.projector
    offices = [o for o in view.subjects("office") if not o.isdigit() or len(o) >= 5]
    officers = view.subjects("officer")
    procedures = view.subjects("procedure")
    return {*offices, *officers, *procedures}


def pages_of(api: Api) -> dict[str, list[str]]:
    demo = api.demo.dossiers
    held = [
        code
        for code in demo
        if (found := api.services.projector.location(code)) is not None
        and found.custodian == COMMUNE
        and found.status in ("held", "suspended")
    ]
    return {
        "officer": [
            "/can-bo",
            "/can-bo/tiep-nhan",
            "/can-bo/khoa",
            *(f"/can-bo/xu-ly/{code}" for code in held),
            *(f"/can-bo/giao/{code}" for code in held),
            *(f"/ho-so/{code}" for code in demo),
        ],
        "inspector": [
            "/giam-sat",
            "/giam-sat/ban-do",
            f"/giam-sat?office={PROVINCE}",
            *(f"/ho-so/{code}" for code in demo),
        ],
        "registrar": ["/quan-tri/khoa"],
        "citizen": ["/tra-cuu", "/xac-minh", *(f"/xac-minh/{code}" for code in demo)],
    }


def signed_in(api: Api, role: str) -> object:
    from fastapi.testclient import TestClient

    client = TestClient(api.http.app)
    if role == "citizen":
        return client
    token = {
        "officer": api.token("officer", office=COMMUNE, officer=COMMUNE_OFFICER),
        "inspector": api.token("inspector", office=PROVINCE),
        "registrar": api.token("registrar"),
    }[role]
    assert sign_in(client, token, "/tra-cuu", follow_redirects=False).status_code == 303
    return client


@pytest.mark.parametrize("role", ["officer", "inspector", "registrar", "citizen"])
def test_no_page_shows_an_internal_id_or_an_english_sentence_in_vietnamese(
    api: Api, role: str
) -> None:
    client = signed_in(api, role)
    ids = internal_ids(api.services)
    found: list[str] = []
    for path in pages_of(api)[role]:
        response = client.get(path, params={"lang": "vi"})  # type: ignore[attr-defined]
        assert response.status_code == 200, (path, response.text[:300])
        text = visible(response.text)
        for identifier in sorted(ids):
            if re.search(rf"(?<![\w/.-]){re.escape(identifier)}(?![\w/-])", text):
                found.append(f"{path}: id {identifier!r}")
        for match in ENGLISH.finditer(text):
            around = text[max(0, match.start() - 40) : match.end() + 40]
            found.append(f"{path}: English {match.group(0)!r} in …{around}…")
    assert not found, "\n".join(found[:40])
