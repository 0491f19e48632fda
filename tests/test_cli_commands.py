"""The command line's commands: every one registered once, listed by `lienthong --help` in the
order the documentation follows. The commands live in modules by concern; api/cli/main.py adds
them to the app, and a command a module defines but main forgets would vanish from the tool."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from api.cli.main import app

COMMANDS = [
    "init",
    "keygen",
    "sign",
    "submit",
    "agent",
    "history",
    "demo",
    "checkpoint",
    "consistency-proof",
    "export",
    "verify-bundle",
    "verify",
    "due",
    "serve",
    "where",
    "inbox",
    "stalls",
    "report",
    "slip",
    "rebuild",
    "project",
    "import",
    "attach",
    "fetch-file",
]
GROUPS = {
    "seed": ["travinh"],
    "log-key": ["create", "show"],
    "witness": ["key", "cosign"],
    "cosignature": ["add"],
    "token": ["create", "list", "revoke"],
    "data-key": ["create"],
    "files": ["clean"],
    "certificate": ["enrol", "show"],
    "revocation": ["add", "fetch"],
    "timestamps": ["catch-up"],
}


def names(command: typer.core.TyperGroup) -> list[str]:
    return command.list_commands(typer.Context(command))


def test_the_help_lists_every_command_then_every_group_in_their_order() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    assert names(root) == COMMANDS + list(GROUPS)
    for group, commands in GROUPS.items():
        found = root.get_command(typer.Context(root), group)
        assert isinstance(found, typer.core.TyperGroup)
        assert names(found) == commands


def test_every_command_answers_its_help() -> None:
    runner = CliRunner()
    for path in [[name] for name in COMMANDS] + [
        [group, name] for group, commands in GROUPS.items() for name in commands
    ]:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
