"""A signing agent (`lienthong agent`) run as a process of its own, for the tests: the command line
that starts it, the lines it prints (read in a thread, waited for, never slept on), its console's
input, and certificates written as the PEM files its --chain takes."""

from __future__ import annotations

import base64
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable

LIENTHONG = [sys.executable, "-c", "from api.cli.main import main; main()"]
WAIT = 60  # seconds at most for a line the agent is expected to print


def pem(der: bytes) -> str:
    text = base64.b64encode(der).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


class Agent:
    """A running agent: its address, the lines it prints, and its console's input."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        listening = self.until(lambda line: "http://127.0.0.1:" in line)
        found = re.search(r"http://127\.0\.0\.1:(\d+)", listening)
        assert found is not None, listening
        self.url = f"http://127.0.0.1:{found.group(1)}"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, wanted: Callable[[str], bool]) -> str:
        """The next printed line that `wanted` (a predicate) accepts; the lines before it are kept
        in `seen`."""
        self.seen: list[str] = []
        while True:
            line = self.lines.get(timeout=WAIT)
            if line is None:
                stderr = self.process.stderr.read() if self.process.stderr else ""
                raise AssertionError("the agent stopped:\n" + "\n".join(self.seen) + stderr)
            if wanted(line):
                return line
            self.seen.append(line)

    def answer(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
