"""Opening a key on a PKCS#11 token for the commands that sign with one (`sign --pkcs11`,
`agent`). The PIN comes from LIENTHONG_TOKEN_PIN, else it is asked for on the terminal, never
given as an option (it would stay in the shell's history and show in the list of processes)."""

from __future__ import annotations

import getpass

from api.cli.shell import Options, fail, refuse
from api.texts import word
from ledger.statements.pkcs11 import TokenError, TokenKey


def token_pin(options: Options) -> str:
    if options.environment.token_pin:
        return options.environment.token_pin
    try:
        pin = getpass.getpass(word("token_pin", options.lang))
    except (EOFError, KeyboardInterrupt):
        pin = ""
    if not pin:
        refuse(options, word("token_pin_missing", options.lang))
    return pin


def open_token_key(
    options: Options,
    module: str,
    token_label: str | None,
    key_label: str | None,
    *,
    officer: str = "",
    office: str = "",
) -> TokenKey:
    """The key, logged in; exit 2 with the token's refusal (module, token, PIN, key)."""
    if not token_label or not key_label:
        refuse(options, word("token_labels", options.lang))
    try:
        return TokenKey.open(
            module,
            token_label=token_label,
            key_label=key_label,
            pin=token_pin(options),
            officer=officer,
            office=office,
        )
    except TokenError as problem:
        fail(problem, options.lang, 2)
