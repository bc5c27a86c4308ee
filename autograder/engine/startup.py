"""The start of a process that grades one submission: what overlaps, what is shared, what is paused.

``grading_start()`` wraps a command's heavy imports (pytest, pydantic, the
suite's helpers). First it imports NumPy and the sandbox, one BLAS thread
set as in every worker, and forks this process into the fork server
(launch.fork_template): nothing of any homework is loaded yet, and the server
is ready at once instead of after a second interpreter's start. During the
imports Python's cyclic garbage collector is paused: imports allocate
hundreds of thousands of objects and free almost none, yet each burst of
allocations would trigger a collection (about 0.08 s of a grading run,
measured). After them the imported objects are frozen out of every later
collection, which then scans only what the tests allocate.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager


@contextmanager
def grading_start():
    from autograder.engine.sandbox.launch import ONE_THREAD
    os.environ.update(ONE_THREAD)  # before NumPy loads its BLAS: the grader's and every worker's
    gc.disable()
    try:
        import numpy  # noqa: F401 - into the template the fork server is forked from

        from autograder.engine.sandbox import forkserver, isolation, worker  # noqa: F401 - likewise
        from autograder.engine.sandbox.launch import start_early
        start_early(template=True)
        yield
    finally:
        gc.freeze()
        gc.enable()
