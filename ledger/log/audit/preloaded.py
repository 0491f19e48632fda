"""Imported by the audit's fork server (batches.PRELOAD) after the checks: the program's main
module, imported once here rather than again by every worker forked from the fork server.

Python 3.11's fork server is meant to preload `__main__` when asked, but is never told the main
module's path (it looks for a key the preparation data does not have), so each worker started
from it imports the program again — for the command line, the whole of it, ~0.1 s of CPU a
worker. The auditing process names the path in batches.MAIN_PATH (batches.forkserver) before the fork
server starts; this module imports it as multiprocessing itself would (`__mp_main__`, no process
started meanwhile), and a worker then finds it imported. Then the heap is frozen, so that a
worker's first garbage collection does not walk every preloaded object.
"""

from __future__ import annotations

import gc
import os
from multiprocessing import process, spawn

from ledger.log.audit.batches import MAIN_PATH


def _import_main() -> None:
    path = os.environ.get(MAIN_PATH)
    if not path:
        return
    current = process.current_process()
    setattr(current, "_inheriting", True)  # as multiprocessing's own preload: no process started  # noqa: B010
    try:
        spawn.import_main_path(path)
    finally:
        delattr(current, "_inheriting")


_import_main()
gc.freeze()
