"""Tiny ASGI app factories for tests/test_serving_workers.py, served by api/serving.py.

`create_app`: every HTTP request is answered with the pid of the process serving it; when its
lifespan ends (a graceful shutdown), it appends its pid to the file SERVING_TEST_STOPPED names.
`failing_app`: the factory raises, as an app whose configuration is wrong does at startup."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]
App = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def create_app() -> App:
    async def app(
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    stopped = os.environ.get("SERVING_TEST_STOPPED")
                    if stopped:
                        with Path(stopped).open("a") as file:
                            file.write(f"{os.getpid()}\n")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "http":
            body = str(os.getpid()).encode()
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    return app


def failing_app() -> App:
    raise RuntimeError("this app refuses to start")
