"""Commands of a witness, and of the log that keeps its cosignatures.

lienthong witness key --name NAME [-o FILE]            a witness key; prints its verifier key
lienthong witness cosign --key K --state S --log-key V  check the log only grew, and cosign:
  [--checkpoint NOTE --proof PROOF]                      … a checkpoint exported from the log
lienthong cosignature add NOTE --witness-key VKEY       keep cosignatures beside their checkpoint

A witness remembers (--state, JSON) the size and root it last cosigned for each log; it cosigns a
newer checkpoint only with a consistency proof from that size, so a log that forked is refused.

Exit codes: 0 cosigned or kept; 1 refused (a fork, a proof that does not hold, a bad note);
2 input errors (an unreadable key, state, note or proof file).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli.log import bad_input, cosigned_note, read_file
from api.cli.shell import Options, emit, err, fail, open_ledger, options_of, out
from api.texts import word
from ledger.errors import BadCheckpoint, BadKeyFile, LedgerError
from ledger.log import note, witness
from ledger.log.tlog import read_verifier

witness_app = typer.Typer(
    help="Làm nhân chứng cho sổ cái khác / act as a witness for another ledger.",
    no_args_is_help=True,
)
cosignature_app = typer.Typer(
    help="Chữ ký đồng ký của nhân chứng / witnesses' cosignatures.", no_args_is_help=True
)


@witness_app.command("key")
def witness_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="the witness's name, e.g. its host/path")],
    out_file: Annotated[Path, typer.Option("-o", "--out", help="key file to write (0600)")] = Path(
        "lienthong-witness.key"
    ),
) -> None:
    """Create a witness key; print its verifier key for logs to configure."""
    options = options_of(ctx)
    try:
        key = witness.WitnessKey.generate(name)
        key.save(out_file)
    except note.NoteError as problem:
        raise typer.BadParameter(str(problem)) from None
    except FileExistsError:
        bad_input(options, BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"))
    err.print(f"{word('witness_key_written', options.lang)} {out_file}")
    emit(key.verifier.line())


@witness_app.command("cosign")
def witness_cosign(
    ctx: typer.Context,
    key: Annotated[Path, typer.Option(help="the witness key file")],
    state: Annotated[Path, typer.Option(help="the witness's memory of what it cosigned (JSON)")],
    log_key: Annotated[str, typer.Option(help="the log's verifier key (text or file)")],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="a checkpoint note exported from the log; without it, the latest checkpoint of "
            "the ledger at --database-url is read, and the cosignature is stored there",
        ),
    ] = None,
    proof: Annotated[
        Path | None,
        typer.Option(
            help="with --checkpoint: the log's consistency proof from `consistency-proof`"
        ),
    ] = None,
) -> None:
    """Check that the log only grew since the last checkpoint this witness saw, and cosign."""
    options = options_of(ctx)
    try:
        signer = witness.WitnessKey.load(key)
        verifier = read_verifier(log_key)
        memory = witness.WitnessState(state)
    except BadKeyFile as problem:
        bad_input(options, problem)
    try:
        if checkpoint_file is None:
            _cosign_ledger(options, verifier, signer, memory)
            return
        text = read_file(options, checkpoint_file, "checkpoint").decode("utf-8", "replace")
        hashes = _proof_for(options, text, proof, memory.logs.get(verifier.name), verifier.name)
        line = witness.cosign(text, hashes, verifier, signer, memory, int(time.time()))
        emit(text + line, end="")
    except note.NoteError as problem:
        fail(BadCheckpoint(str(problem)), options.lang, 1)
    except LedgerError as problem:
        fail(problem, options.lang, 1)


def _proof_for(
    options: Options, text: str, proof: Path | None, seen: witness.Seen | None, origin: str
) -> list[bytes]:
    """The consistency proof a checkpoint read from a file is cosigned with: none the first time
    this witness sees the log; after that, the one --proof gives, which must go from the size it
    last cosigned to the checkpoint's. BadCheckpoint if it is missing or spans other sizes."""
    if proof is None:
        if seen is not None:
            raise BadCheckpoint(
                f"this witness last cosigned size {seen.size} of {origin}: give the "
                f"log's consistency proof from that size with --proof (made by `lienthong "
                f"consistency-proof {seen.size}` on the log)"
            )
        return []
    old, new, hashes = witness.decode_proof(
        read_file(options, proof, "proof").decode("utf-8", "replace")
    )
    size = note.Checkpoint.parse(note.parse_note(text).text).size
    if seen is not None and (old, new) != (seen.size, size):
        raise BadCheckpoint(
            f"the proof goes from size {old} to {new}; this witness needs one from "
            f"{seen.size} to {size}"
        )
    return hashes


def _cosign_ledger(
    options: Options,
    verifier: note.Verifier,
    signer: witness.WitnessKey,
    memory: witness.WitnessState,
) -> None:
    """Cosign the latest checkpoint of the ledger at --database-url, proving it extends what this
    witness saw from the ledger itself; keep the cosignature there and print the cosigned note."""
    seen = memory.logs.get(verifier.name)
    with open_ledger(options) as ledger:
        latest = ledger.checkpoint()
        if latest is None:
            raise BadCheckpoint("that ledger has issued no checkpoint yet")
        old_size = seen.size if seen is not None and seen.size <= latest.size else 0
        hashes = ledger.consistency_proof(old_size, latest.size) if seen else []
        line = witness.cosign(latest.note, hashes, verifier, signer, memory, int(time.time()))
        ledger.logstore.put_cosignature(latest.size, signer.name, line, ledger.clock.now())
        emit(cosigned_note(ledger, latest.size, latest.note), end="")


@cosignature_app.command("add")
def cosignature_add(
    ctx: typer.Context,
    cosigned: Annotated[Path, typer.Argument(help="the checkpoint note with cosignature lines")],
    witness_key: Annotated[
        list[str], typer.Option(help="a configured witness's verifier key (repeat for several)")
    ],
) -> None:
    """Keep the cosignatures of configured witnesses beside the checkpoint they cosign."""
    options = options_of(ctx)
    try:
        witnesses = [read_verifier(text) for text in witness_key]
    except BadKeyFile as problem:
        bad_input(options, problem)
    text = read_file(options, cosigned, "cosigned note").decode("utf-8", "replace")
    with open_ledger(options) as ledger:
        try:
            names = witness.accept_cosignatures(
                ledger.logstore, text, witnesses, ledger.clock.now()
            )
        except note.NoteError as problem:
            raise BadCheckpoint(str(problem)) from None
        out.print(f"{word('cosignature_kept', options.lang)}: {', '.join(names)}", markup=False)
