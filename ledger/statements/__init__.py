"""The bytes: canonical msgpack, the v1 statement schema, Ed25519 signatures and key files, the
event transcoder, and building statements on a subject's current head. Stored and signed bytes are
pinned by the golden vectors (docs/log-format.md)."""
