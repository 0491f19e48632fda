"""A dossier's files: upload (raw body or multipart), list, download, and the download log.

Uploads stream into the file store (ledger/stores/files/) a piece at a time: the server never holds a
whole file. A download is checked whole before its first byte is sent, and every download, served
or not, is written to the access log an inspector reads.

Every route holds the dossier code in its path to the identifier rule before anything else, the
token included: a code that breaks it (a NUL, a byte that is not UTF-8, markup, a path) is a 422
problem, and never reaches the database. Only an officer of the office that holds the dossier, or
of an office receiving a code not recorded yet, uploads; within its office's quota of uploads no
recorded statement names yet. A multipart body must end with its closing boundary. A client
that goes away mid-upload leaves nothing, and one line in the log."""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from python_multipart.exceptions import FormParserError, ParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool

from api.http.access import Caller, ServicesDep, may_read_dossier, require
from api.http.downloads import in_steps, may_read, open_file
from api.http.problems import BadRequest
from api.http.routes.params import Limit, NumericCursor, position
from api.http.schemas.common import Page, iso
from api.http.schemas.dossiers import AccessOut, FileOut, Listing
from api.http.services import Services
from api.http.writing import pump, receive_raw, start_upload
from domain.identifier import MAX_LENGTH, PATTERN, check_identifier
from ledger.errors import FileIncomplete
from ledger.stores.files import StoredFile, Upload

router = APIRouter(prefix="/dossiers", tags=["files"])


def dossier_code(
    code: Annotated[
        str,
        Path(
            description="the dossier code (mã hồ sơ): letters, digits and . _ : / @ + -, "
            "starting with a letter or digit",
            examples=["000.00.01.H59-250602-0001"],
            json_schema_extra={"pattern": PATTERN, "maxLength": MAX_LENGTH},
        ),
    ],
) -> str:
    """The path's dossier code, held to the identifier rule here rather than by a `pattern`:
    a dependency listed before the token's is solved first, so a bad code is a 422 problem
    (bad-identifier) with or without a token."""
    return check_identifier(code, "dossier code")


Code = Annotated[str, Depends(dossier_code)]
Sha256 = Annotated[
    str,
    Path(
        pattern="^[0-9a-f]{64}$",
        description="SHA-256 of the file's bytes, 64 lowercase hex digits",
        examples=["5c1d0b8a0b5e4f2d3c6a7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"],
    ),
]


def listings(services: Services, code: str) -> dict[bytes, list[Listing]]:
    """For each file hash, the statements of the dossier that list it, oldest first."""
    found_by: dict[bytes, list[Listing]] = {}
    for entry in services.ledger.history("dossier", code):
        statement = entry.statement
        for document in statement.body.get("documents") or ():
            found_by.setdefault(document["sha256"], []).append(
                Listing(
                    seq=statement.seq,
                    kind=statement.kind,
                    office=statement.office,
                    officer=statement.officer,
                    name=document["name"],
                    at=statement.at,
                    at_iso=iso(statement.at),
                )
            )
    return found_by


def file_out(stored: StoredFile, listed: list[Listing], new: bool | None = None) -> FileOut:
    return FileOut(
        sha256=stored.sha256.hex(),
        size=stored.size,
        uploaded_at=stored.uploaded_at,
        uploaded_at_iso=iso(stored.uploaded_at),
        uploaded_by_office=stored.office,
        uploaded_by_officer=stored.officer,
        erased=stored.erased,
        listed_in=listed,
        new=new,
    )


@router.put(
    "/{code:path}/files/{sha256}",
    status_code=201,
    response_model=FileOut,
    summary="Upload one file of the dossier as the raw request body, under its SHA-256",
    responses={200: {"description": "these bytes were held already: the file kept"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_raw(
    code: Code,
    sha256: Sha256,
    request: Request,
    response: Response,
    services: ServicesDep,
    token: Caller,
) -> FileOut:
    stored, new = await receive_raw(request, services, token, code, bytes.fromhex(sha256))
    if not new:
        response.status_code = 200
    return file_out(stored, listings(services, code).get(stored.sha256, []), new)


class _Form:
    """A multipart/form-data body read as it streams: the part named `file` goes to the upload,
    a part named `sha256` (hex), if any, is the declared hash; other parts are refused."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.field = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: bytes | None = None
        self.files = 0
        self.declared = bytearray()
        self.declares = 0  # parts named sha256: one at most, and never empty
        self.problem: str | None = None

    def callbacks(self) -> dict[str, object]:
        return {
            "on_header_field": lambda data, start, end: setattr(
                self, "field", self.field + data[start:end]
            ),
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
        }

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        key = self.field.lower()
        self.headers[key] = self.headers.get(key, b"") + data[start:end]

    def _header_end(self) -> None:
        self.field = b""

    def _headers_finished(self) -> None:
        _kind, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name")
        self.headers = {}
        if self.name == b"file":
            self.files += 1
        elif self.name == b"sha256":
            self.declares += 1
        else:
            self.problem = (
                f"a file upload has a part 'file' and perhaps 'sha256', not {self.name!r}"
            )

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.name == b"file" and self.files == 1:
            self.upload.write(data[start:end])
        elif self.name == b"sha256" and len(self.declared) < 128:
            self.declared += data[start:end]


@router.post(
    "/{code:path}/files",
    status_code=201,
    response_model=FileOut,
    summary="Upload one file of the dossier as multipart/form-data: a part 'file', and "
    "optionally a part 'sha256' (hex) that the bytes must match",
    responses={200: {"description": "these bytes were held already: the file kept"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_form(
    code: Code, request: Request, response: Response, services: ServicesDep, token: Caller
) -> FileOut:
    kind, options = parse_options_header(request.headers.get("content-type", ""))  # lowercased
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest("send the file as multipart/form-data with a boundary, or PUT it raw")
    upload = await run_in_threadpool(start_upload, services, token, code, None, None)
    try:
        await _read_form(request, boundary, upload)
    except BaseException:
        upload.abort()
        raise
    stored, new = await run_in_threadpool(upload.finish, services.clock.now())
    if not new:
        response.status_code = 200
    return file_out(stored, listings(services, code).get(stored.sha256, []), new)


async def _read_form(request: Request, boundary: bytes, upload: Upload) -> None:
    """Stream the form's parts into `upload` and check the form: one part `file`, perhaps a
    `sha256` (set on the upload as its declared hash), nothing else, and the closing boundary —
    a body cut off before it is refused (FileIncomplete), however whole its file part looks."""
    form = _Form(upload)
    parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
    try:
        await pump(request, parser.write, upload)
        parser.finalize()
    except (FormParserError, ParseError) as unparsed:
        raise BadRequest(f"the multipart body does not parse: {unparsed}") from None
    problem = form.problem or (
        None if form.files == 1 else f"{form.files} parts named 'file'; send one"
    )
    declared = form.declared.decode("ascii", "replace").strip().lower()
    if form.declares > 1:
        problem = problem or f"{form.declares} parts named 'sha256'; send one at most"
    elif form.declares and (
        len(declared) != 64 or not all(c in "0123456789abcdef" for c in declared)
    ):
        problem = problem or f"sha256 {declared!r} is not 64 hex digits"
    if problem is not None:
        raise BadRequest(problem)
    if parser.state != MultipartState.END:
        raise FileIncomplete(
            f"the multipart body ended before its closing boundary (--{boundary.decode('latin-1')}"
            f"--) after {upload.size:,} bytes of the file: it may be cut short; nothing was kept"
        )
    upload.declared = bytes.fromhex(declared) if declared else None


@router.get(
    "/{code:path}/file-access",
    response_model=Page[AccessOut],
    summary="Who downloaded which of the dossier's files, and when (inspectors, registrars)",
)
def access_log(
    code: Code,
    services: ServicesDep,
    token: Caller,
    cursor: NumericCursor = None,
    limit: Limit = 100,
) -> Page[AccessOut]:
    require(token, "inspector", "registrar")
    services.ledger.dossier(code)
    may_read_dossier(token, code, services.inspector(), services.clock.now())
    rows = services.files.accesses(code, after=position(cursor), limit=limit + 1)
    page = rows[:limit]
    items = [
        AccessOut(
            id=a.id,
            sha256=a.sha256.hex(),
            at=a.at,
            at_iso=iso(a.at),
            office=a.office,
            officer=a.officer,
            token=a.token,
            outcome=a.outcome,
        )
        for a in page
    ]
    return Page(items=items, next=str(page[-1].id) if len(rows) > limit else None)


@router.get(
    "/{code:path}/files/{sha256}",
    summary="Download one file: checked whole (every chunk, the size, the SHA-256) before a "
    "byte is sent; the download is logged",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the bytes"}},
)
def download(code: Code, sha256: Sha256, services: ServicesDep, token: Caller) -> StreamingResponse:
    opened = open_file(services, token, code, bytes.fromhex(sha256))
    return StreamingResponse(
        in_steps(opened.download),
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(opened.download.size),
            "ETag": f'"{sha256}"',
            "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(opened.name)}",
        },
    )


@router.get(
    "/{code:path}/files",
    response_model=list[FileOut],
    summary="The dossier's files: hash, size, who uploaded each, and the statements that list it",
)
def file_list(code: Code, services: ServicesDep, token: Caller) -> list[FileOut]:
    held = services.files.files(code)
    if not may_read(services, token, code, {stored.office for stored in held}):
        held = [stored for stored in held if stored.office == token.office]
    listed = listings(services, code)
    return [file_out(stored, listed.get(stored.sha256, [])) for stored in held]
