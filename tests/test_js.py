"""The browser's JavaScript under node's own test runner (tests/js/): the canonical msgpack codec
the officer's page signs with, and the check of audit bundles the verification page runs, against
the golden vectors the Python ledger is tested with.
Without node these tests skip with the reason, except in CI (CI=true), where they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_browser_codec_passes_its_node_tests_on_the_golden_vectors() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required in CI (apt-get install nodejs)")
        pytest.skip("no node on PATH (apt-get install nodejs) to run tests/js/")
    files = sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / "tests" / "js").glob("*.test.mjs")
    )
    assert files, "no JavaScript tests found in tests/js/"
    done = subprocess.run(  # the files named: node's test runner reads a directory differently by version
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout
    passed = int(done.stdout.split("# pass ")[1].split()[0])
    assert passed >= 40, done.stdout  # every vector, refusal and bundle check: none dropped
