"""A dossier's files between this computer and a server: uploaded, fetched, and written to disk
so that a partial file never lies under its final name.

lienthong attach CODE FILE… --server URL --token T          upload files, streamed from disk
lienthong fetch-file CODE SHA256 [--out PATH] [--force] …   download, kept only if it hashes right

A file written by the command line (fetched here, or beside a bundle by `export --with-files`)
goes to a temporary file beside its target first (mode 0600: scans hold personal data) and is
renamed into place only once every byte has arrived and been checked, so a refused or interrupted
transfer never leaves a partial file under the final name. The file store the server keeps, as
`verify --files` and `files clean` open it, is api/cli/filestore.py.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from api.cli.args import identifier
from api.cli.serve import server_answers
from api.cli.shell import Options, given, options_of, out, refuse
from api.client import Client
from api.texts import word

PIECE = 256 * 1024  # bytes read from disk (or written) at a time: no file is held whole

ServerOption = Annotated[
    str | None,
    typer.Option(help="the API's address, e.g. http://127.0.0.1:8000; or set LIENTHONG_SERVER"),
]
TokenOption = Annotated[
    str | None,
    typer.Option(help="bearer token (an officer's, to upload); or set LIENTHONG_TOKEN"),
]


def connect(server: str, token: str, lang: str) -> Client:
    """The client the remote commands use (the one place tests point at an in-process app)."""
    return Client(server, token, lang=lang)


def _remote(options: Options, server: str | None, token: str | None) -> tuple[str, str]:
    """--server and --token, or the settings that stand for them (both required)."""
    defaults = options.environment
    return (
        given(server, defaults.server, "--server", "LIENTHONG_SERVER"),
        given(token, defaults.token, "--token", "LIENTHONG_TOKEN"),
    )


# --- attach and fetch-file ------------------------------------------------------------------------


def attach(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    paths: Annotated[list[Path], typer.Argument(metavar="FILE…", help="the files to upload")],
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Upload files of a dossier, each under its SHA-256 (read once to hash, then streamed).
    Every file is checked to be readable before anything is sent; stops at the first refusal."""
    options = options_of(ctx)
    server, token = _remote(options, server, token)
    hashed = [(path, *_hash_file(options, path)) for path in paths]
    client = connect(server, token, options.lang)
    try:
        with server_answers(options, server):
            for path, sha256, size in hashed:
                kept = client.attach(code, _pieces(path), sha256)
                status = "file_new" if kept.get("new") else "file_held"
                out.print(
                    word(status, options.lang, name=path.name, size=size, sha256=sha256.hex()),
                    markup=False,
                )
    except OSError as problem:  # the file went away between hashing and sending
        refuse(options, word("cannot_read", options.lang, path=path, reason=problem.strerror))
    finally:
        client.close()


def fetch_file(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    sha256: Annotated[str, typer.Argument(help="the file's SHA-256, 64 hex digits")],
    server: ServerOption = None,
    token: TokenOption = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="where to write it (default: ./<sha256>; a directory: <sha256> in it)",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Download one file of a dossier. It is kept only if its bytes hash to SHA256; otherwise
    nothing is left behind and the exit code is 1."""
    options = options_of(ctx)
    server, token = _remote(options, server, token)
    digest = _sha256_argument(options, sha256)
    target = out_path or Path(digest.hex())
    if target.is_dir():
        target = target / digest.hex()
    if target.exists() and not force:
        refuse(options, word("file_exists", options.lang, path=target))
    client = connect(server, token, options.lang)
    try:
        with server_answers(options, server):
            size = write_atomically(target, client.fetch_file(code, digest))
    except ValueError:
        refuse(options, word("fetched_bad_hash", options.lang, sha256=digest.hex()), 1)
    except OSError as problem:
        refuse(options, word("cannot_write", options.lang, path=target, reason=problem.strerror))
    finally:
        client.close()
    out.print(word("file_fetched", options.lang, path=target, size=size), markup=False)


def _sha256_argument(options: Options, text: str) -> bytes:
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        refuse(options, word("not_a_sha256", options.lang, text=text))
    return digest


# --- files on this computer -----------------------------------------------------------------------


def _hash_file(options: Options, path: Path) -> tuple[bytes, int]:
    """(SHA-256, size) of a local file, read once in pieces; refuses a file it cannot read."""
    digest, size = hashlib.sha256(), 0
    try:
        for piece in _pieces(path):
            digest.update(piece)
            size += len(piece)
    except OSError as problem:
        refuse(options, word("cannot_read", options.lang, path=path, reason=problem.strerror))
    return digest.digest(), size


def sha256_of(path: Path) -> bytes | None:
    """The SHA-256 of a file's bytes, or None if there is no file to read there."""
    digest = hashlib.sha256()
    try:
        for piece in _pieces(path):
            digest.update(piece)
    except OSError:
        return None
    return digest.digest()


def _pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece


def write_atomically(target: Path, pieces: Iterable[bytes]) -> int:
    """Write `pieces` to a temporary file beside `target`, synced, then renamed over it; any
    exception while they come (a bad hash, a dropped connection) removes the temporary file and
    is raised again, leaving `target` as it was. Returns the number of bytes written."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 — closed before the rename below
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    size = 0
    try:
        with handle:
            for piece in pieces:
                handle.write(piece)
                size += len(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return size
