"""Every guard of domain/ is tested: disable each in turn and some test must fail.

A guard is an `if <condition>:` whose block raises (`if appointed <= statement.at: raise
BadAppointment(...)`). For each guard the condition is made never true (`if False:`) in a copy of
the source tree — never in the working tree — and the domain-level tests are run on the memory
backend against that copy. A mutant that every test lets through "survives": a rule the suite would
not notice losing. Any survivor, or a run that could not be judged, makes the exit status 1 (a
mutant that makes the tests run past the time limit counts as noticed).

    python -m tests.mutation.guards            # every guard of domain/
    python -m tests.mutation.guards --list     # the guards found, nothing run
    python -m tests.mutation.guards --jobs 2   # two mutants at a time (one tree copy each)
    python -m tests.mutation.guards dossier.py:191   # only the guards at these places
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "domain"
# What the tests import: copied once per worker, then only the mutated domain file is rewritten.
COPIED = ("domain", "ledger", "api", "tests", "pyproject.toml")
# The domain-level tests, in two stages: the unit tier drives the aggregates directly and, with
# nothing else to import, notices a mutant in a few seconds; only a mutant it lets through meets the
# ledger-level files, on memory. Between them they reach every rule of domain/.
STAGES = (
    (  # the aggregates' own tests first (-x stops at the first failure), then the rest of the tier
        "tests/unit/test_dossier.py",
        "tests/unit/test_office.py",
        "tests/unit/test_officer.py",
        "tests/unit/test_procedure.py",
        "tests/unit",
    ),
    (
        "tests/test_domain_refusals.py",
        "tests/test_custody.py",
        "tests/test_registry.py",
        "tests/test_cli_due.py",
        "tests/test_sla.py",
        "tests/test_recording.py",
        "tests/test_record_many.py",
        "tests/test_log.py",
    ),
)
TESTS = tuple(path for stage in STAGES for path in stage)
# Memory only: the domain does not depend on the store, and the other backends are slower.
SELECT = ("-m", "not postgres", "-k", "not sqlite")
PYTEST = (
    sys.executable,
    "-m",
    "pytest",
    "-q",
    "-x",
    "-p",
    "no:cacheprovider",
    "--no-header",
    "-rfE",
)


@dataclass(frozen=True)
class Guard:
    path: str  # relative to the repository, e.g. domain/dossier.py
    line: int
    condition: str
    raises: str
    # the condition's span in the source, to be replaced by `False`
    start: tuple[int, int]
    end: tuple[int, int]

    @property
    def place(self) -> str:
        return f"{self.path}:{self.line}"

    def mutate(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        (first, col), (last, end_col) = self.start, self.end
        head = lines[first - 1][:col]
        tail = lines[last - 1][end_col:]
        return "".join([*lines[: first - 1], head + "False" + tail, *lines[last:]])


def _raised(node: ast.Raise) -> str:
    exc = node.exc
    if exc is None:
        return "raise"
    return ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)


def find_guards(root: Path = ROOT) -> list[Guard]:
    """Every `if` of domain/*.py whose own block raises, in file and line order."""
    guards: list[Guard] = []
    for path in sorted((root / DOMAIN).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if not isinstance(node, ast.If):
                continue
            raises = [statement for statement in node.body if isinstance(statement, ast.Raise)]
            if not raises:
                continue
            test = node.test
            assert test.end_lineno is not None
            assert test.end_col_offset is not None
            guards.append(
                Guard(
                    path=path.relative_to(root).as_posix(),
                    line=node.lineno,
                    condition=ast.unparse(test),
                    raises=_raised(raises[0]),
                    start=(test.lineno, _char_offset(source, test.lineno, test.col_offset)),
                    end=(
                        test.end_lineno,
                        _char_offset(source, test.end_lineno, test.end_col_offset),
                    ),
                )
            )
    return sorted(guards, key=lambda guard: (guard.path, guard.line))


def _char_offset(source: str, line: int, byte_offset: int) -> int:
    """ast's column offsets count UTF-8 bytes; str slicing counts characters."""
    text = source.splitlines(keepends=True)[line - 1]
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8"))


@dataclass(frozen=True)
class Outcome:
    guard: Guard | None  # None: the unmutated baseline
    verdict: str  # killed, survived, timeout, error
    detail: str
    seconds: float


class Workspace:
    """A copy of the source tree for one worker; a mutant is written into it and taken out again."""

    def __init__(self, base: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="guards-", dir=base))
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source, self.root / name, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(source, self.root / name)

    def run(self, guard: Guard | None, timeout: float) -> Outcome:
        original = None
        if guard is not None:
            target = self.root / guard.path
            original = target.read_text(encoding="utf-8")
            target.write_text(guard.mutate(original), encoding="utf-8")
        env = {
            **os.environ,
            # the copy first: the editable install would otherwise import the working tree
            "PYTHONPATH": str(self.root),
            "PYTHONDONTWRITEBYTECODE": "1",  # no stale bytecode of a mutant for the next one
            "PYTHONHASHSEED": "0",
        }
        started = time.monotonic()
        try:
            for stage in STAGES:  # the next stage only if every test of this one passed
                left = timeout - (time.monotonic() - started)
                done = subprocess.run(
                    [*PYTEST, *SELECT, *stage],
                    cwd=self.root,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=max(left, 1.0),
                    check=False,
                )
                if done.returncode != 0:
                    break
        except subprocess.TimeoutExpired:
            return Outcome(guard, "timeout", f"no answer in {timeout:.0f} s", timeout)
        finally:
            if guard is not None and original is not None:
                (self.root / guard.path).write_text(original, encoding="utf-8")
        seconds = time.monotonic() - started
        if done.returncode == 0:
            return Outcome(guard, "survived", "every test passed", seconds)
        if done.returncode == 1:
            return Outcome(guard, "killed", _first_failure(done.stdout), seconds)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        return Outcome(guard, "error", f"pytest exit status {done.returncode}:\n{tail}", seconds)

    def check_isolated(self) -> None:
        """The tests must import the copy, or every mutant would be judged on the working tree."""
        probe = "import domain, sys; sys.stdout.write(domain.__file__)"
        found = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=self.root,
            env={**os.environ, "PYTHONPATH": str(self.root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if not Path(found).resolve().is_relative_to(self.root.resolve()):
            raise SystemExit(f"the copy's domain/ is not the one imported ({found}): stopped")


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ", 1)[0]
    return "a test failed"


def run_all(guards: Sequence[Guard], jobs: int, timeout: float | None) -> Iterator[Outcome]:
    base = Path(tempfile.mkdtemp(prefix="lienthong-mutation-"))
    try:
        first = Workspace(base)
        first.check_isolated()
        baseline = first.run(None, timeout or 600)
        yield baseline
        if baseline.verdict != "survived":  # the unmutated tree must pass
            return
        limit = timeout or max(60.0, 5 * baseline.seconds)
        workspaces = [first] + [Workspace(base) for _ in range(max(1, jobs) - 1)]
        todo: queue.Queue[Guard] = queue.Queue()
        for guard in guards:
            todo.put(guard)
        results: queue.Queue[Outcome] = queue.Queue()

        def work(space: Workspace) -> None:
            while True:
                try:
                    guard = todo.get_nowait()
                except queue.Empty:
                    return
                results.put(space.run(guard, limit))

        threads = [threading.Thread(target=work, args=(space,)) for space in workspaces]
        for thread in threads:
            thread.start()
        for _ in guards:
            yield results.get()
        for thread in threads:
            thread.join()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "places", nargs="*", help="only the guards at FILE:LINE (e.g. dossier.py:191)"
    )
    parser.add_argument("--list", action="store_true", help="list the guards found, run nothing")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at a time (default 1)")
    parser.add_argument(
        "--timeout", type=float, help="seconds per mutant (default 5× the baseline)"
    )
    args = parser.parse_args(argv)

    guards = find_guards()
    if args.places:
        wanted = {place.removeprefix(f"{DOMAIN}/") for place in args.places}
        guards = [g for g in guards if g.place.removeprefix(f"{DOMAIN}/") in wanted]
        missing = wanted - {g.place.removeprefix(f"{DOMAIN}/") for g in guards}
        if missing:
            print(f"no guard at {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    if args.list:
        for guard in guards:
            print(f"{guard.place}  if {guard.condition}  → {guard.raises}")
        print(f"{len(guards)} guards")
        return 0

    if not guards:
        print(f"no guard found in {DOMAIN}/: nothing to judge, which is not a pass")
        return 1
    print(f"{len(guards)} guards of {DOMAIN}/; tests: {' '.join(TESTS)} (memory backend)")
    started = time.monotonic()
    outcomes: list[Outcome] = []
    for outcome in run_all(guards, args.jobs, args.timeout):
        if outcome.guard is None:
            if outcome.verdict != "survived":
                print(f"the tests fail without any mutation ({outcome.detail}): nothing judged")
                return 1
            print(f"baseline: the tests pass unmutated in {outcome.seconds:.1f} s")
            continue
        outcomes.append(outcome)
        guard = outcome.guard
        print(
            f"{outcome.verdict:8} {guard.place:24} {guard.raises:22} {outcome.seconds:5.1f} s  "
            f"{outcome.detail.splitlines()[0] if outcome.detail else ''}",
            flush=True,
        )
        if outcome.verdict == "error":
            print(outcome.detail)
    bad = [o for o in outcomes if o.verdict in ("survived", "error")]
    print(
        f"{len(outcomes) - len(bad)} of {len(outcomes)} guards killed in "
        f"{time.monotonic() - started:.0f} s"
    )
    for outcome in bad:
        assert outcome.guard is not None
        print(
            f"  {outcome.verdict}: {outcome.guard.place} if {outcome.guard.condition} "
            f"→ {outcome.guard.raises} — no test notices this rule missing"
            if outcome.verdict == "survived"
            else f"  {outcome.verdict}: {outcome.guard.place} could not be judged"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
