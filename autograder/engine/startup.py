"""The start of a process that grades one submission: what overlaps, what is paused.

``grading_start()`` wraps a command's heavy imports (NumPy, pytest, pydantic,
the suite's helpers). First it starts the fork server (launch.start_early): a
fresh interpreter, in its built world where the kernel allows, whose own start
and NumPy import then overlap the grader's imports instead of following them.
During the imports Python's cyclic garbage collector is paused: imports
allocate hundreds of thousands of objects and free almost none, yet each burst
of allocations would trigger a collection (about 0.08 s of a grading run,
measured). After them the imported objects are frozen out of every later
collection, which then scans only what the tests allocate.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager


@contextmanager
def grading_start():
    from autograder.engine.sandbox.launch import ONE_THREAD, start_early
    os.environ.update(ONE_THREAD)  # before NumPy loads its BLAS: one thread in the grader, as in every worker
    gc.disable()
    try:
        start_early()
        yield
    finally:
        gc.freeze()
        gc.enable()
