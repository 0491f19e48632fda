"""What the ledger calls its signatures, in every text a user reads: an officer's Ed25519 signature
is an integrity and audit record, not a legal digital signature ("chữ ký số", which under the Law on
Electronic Transactions 2023 and Decree 68/2024/NĐ-CP needs an official-duty certificate; see
docs/law.md, "Signatures"). No word of the command line, the web pages or the problems may say it
is one: the term appears only in a text that names the certificate ("chứng thư") it is made with."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

import api
import api.http.app  # imports every route, so every refusal class is defined
from api.cli.main import app
from api.http.web.words import BROWSER_WORDS, PAGE_WORDS
from api.texts import KINDS, WORDS
from domain.errors import Refusal

LEGAL_TERM = "chữ ký số"
CERTIFICATE = "chứng thư"  # certificate: a text about a certificate signature names it
TEMPLATES = Path(api.http.app.__file__).parent / "templates"


def _refusals(cls: type[Refusal]) -> Iterator[type[Refusal]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _refusals(sub)


def _word_tables() -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """Every table of words in the api package: WORDS and *_WORDS of each module."""
    yield "texts", WORDS
    yield "kinds", KINDS
    yield "page", PAGE_WORDS
    for found in pkgutil.walk_packages(api.__path__, "api."):
        module = importlib.import_module(found.name)
        for name, value in vars(module).items():
            if name.endswith("WORDS") and isinstance(value, dict):
                yield f"{found.name}.{name}", value


def _texts() -> Iterator[tuple[str, str]]:
    for table, words in _word_tables():
        for key, pair in words.items():
            for text in pair if isinstance(pair, tuple) else ():
                yield f"{table}:{key}", text
    for key, pair in BROWSER_WORDS.items():
        for text in pair:
            yield f"browser:{key}", text
    for refusal in _refusals(Refusal):
        yield f"problem:{refusal.__name__}", f"{refusal.title_vi} {refusal.title_en}"
    for template in sorted(TEMPLATES.glob("*.html")):
        yield f"template:{template.name}", template.read_text(encoding="utf-8")


def test_no_word_calls_the_ed25519_signature_a_legal_digital_signature() -> None:
    found = [
        where
        for where, text in _texts()
        if LEGAL_TERM in text.lower() and CERTIFICATE not in text.lower()
    ]
    assert found == []


def test_the_word_tables_of_the_command_line_and_the_signed_slip_are_read_too() -> None:
    tables = {table for table, _words in _word_tables()}
    assert {"api.cli.certificates.WORDS", "api.cli.dossier.SEAL_WORDS", "api.slip_pdf.WORDS"} <= tables


def test_the_rule_finds_a_text_that_calls_an_ed25519_signature_a_legal_one() -> None:
    texts = ["Đã ký bằng chữ ký số (Ed25519)", "chữ ký số theo chứng thư số công vụ"]
    assert [t for t in texts if LEGAL_TERM in t.lower() and CERTIFICATE not in t.lower()] == [
        texts[0]
    ]


def test_the_command_line_help_does_not_call_it_a_legal_digital_signature() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert LEGAL_TERM not in result.output.lower()  # the list of commands names no certificate
    assert "chữ ký điện tử (Ed25519)" in result.output
