"""Imported by the audit's fork server (batches.PRELOAD) after the checks: the heap is frozen
there, so that a worker's first garbage collection does not walk every preloaded object.

The program's own main module is not preloaded: Python 3.11's fork server is meant to preload
`__main__` when asked, but is never told the main module's path (it looks for a key the
preparation data does not have), so each worker imports the program again. The pool starts in
the background while the main process checks the first ranges itself (batches.StartingPool).
"""

from __future__ import annotations

import gc

gc.freeze()
