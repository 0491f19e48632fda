"""The transparency log: checkpoints (C2SP signed notes, text/plain) and Merkle proofs (RFC 9162)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from api.http.access import Caller, ServicesDep
from api.http.problems import BadRequest, NotFound
from api.http.schemas.registry import CheckpointOut, ConsistencyOut, InclusionOut
from domain.identifier import MAX_LENGTH, PATTERN

router = APIRouter(prefix="/log", tags=["log"])
NOTE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {}}, "description": "the signed note"}
}


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses=NOTE,
    summary="The latest checkpoint, as its signed note",
)
def latest(services: ServicesDep, _token: Caller) -> PlainTextResponse:
    kept = services.ledger.checkpoint()
    if kept is None:
        raise NotFound("no checkpoint has been issued yet")
    return PlainTextResponse(kept.note)


@router.get(
    "/checkpoints/{size}",
    response_model=CheckpointOut,
    summary="The checkpoint kept for one log size",
)
def at_size(
    size: Annotated[int, Path(ge=0, le=2**62)], services: ServicesDep, _token: Caller
) -> CheckpointOut:
    kept = services.ledger.checkpoint(size)
    if kept is None:
        raise NotFound(f"no checkpoint was issued at size {size}")
    return CheckpointOut(size=kept.size, issued_at=kept.issued_at, note=kept.note)


@router.get(
    "/proofs/inclusion",
    response_model=InclusionOut,
    summary="Proof that an entry is in the log at a size: by `index`, or by dossier `code` and `seq`",
)
def inclusion(
    services: ServicesDep,
    _token: Caller,
    index: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    code: Annotated[
        str | None, Query(max_length=MAX_LENGTH, pattern=PATTERN, description="dossier code")
    ] = None,
    seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    size: Annotated[int | None, Query(ge=1, le=2**62, description="latest if omitted")] = None,
) -> InclusionOut:
    if index is None:
        if code is None or seq is None:
            raise BadRequest("give either index, or both code and seq")
        services.ledger.dossier(code)  # UnknownDossier → 404, as for every read naming a dossier
        index = services.ledger.leaf_index("dossier", code, seq)
    elif code is not None or seq is not None:
        raise BadRequest("give either index, or both code and seq, not both ways")
    tree_size = size if size is not None else services.ledger.log_size()
    proof = services.ledger.inclusion_proof(index, tree_size)
    leaf = services.ledger.logstore.leaf_refs(index, 1)[0]
    return InclusionOut(
        index=index,
        size=tree_size,
        leaf_hash=leaf.leaf_hash.hex(),
        root=services.ledger.root(tree_size).hex(),
        proof=[node.hex() for node in proof],
    )


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyOut,
    summary="Proof that the log at `old` is a prefix of the log at `new`",
)
def consistency(
    services: ServicesDep,
    _token: Caller,
    old: Annotated[int, Query(ge=0, le=2**62)],
    new: Annotated[int | None, Query(ge=0, le=2**62, description="latest if omitted")] = None,
) -> ConsistencyOut:
    new_size = new if new is not None else services.ledger.log_size()
    proof = services.ledger.consistency_proof(old, new_size)
    return ConsistencyOut(
        old_size=old,
        new_size=new_size,
        old_root=services.ledger.root(old).hex(),
        new_root=services.ledger.root(new_size).hex(),
        proof=[node.hex() for node in proof],
    )


@router.get(
    "/verifier",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "C2SP vkey"}},
    summary="The log's public verifier key, to check checkpoints with",
)
def verifier(services: ServicesDep) -> PlainTextResponse:
    key = services.ledger.checkpointer.log_key if services.ledger.checkpointer else None
    if key is None:
        raise NotFound("this server signs no checkpoints")
    return PlainTextResponse(key.verifier.line() + "\n")
