"""One warm grader process for bench.py's section 0: grades the reference solution of the build at
ROOT once per line read on stdin and prints the seconds each grading took, so two builds' graders
(each with its own interpreter and pins) can be timed in turn, pair by pair, in one run.

    python warm_child.py ROOT sandbox|inproc
"""

import os
import sys
import time
from pathlib import Path


def main() -> None:
    root, mode = Path(sys.argv[1]).resolve(), sys.argv[2]
    os.chdir(root)
    sys.path[:0] = [str(root), str(root / "bench")]
    from inprocess import InProcessStudent

    from autograder.engine.grading.grade import run_suite, shared_sandbox
    from autograder.engine.homework import Homework
    homework = Homework.load(root / "autograder" / "hw2")
    sandbox = shared_sandbox(homework) if mode == "sandbox" else None
    options = {"sandbox": sandbox} if sandbox else {"student_class": InProcessStudent}
    try:
        for _ in range(2):  # imports, caches
            run_suite(homework, str(homework.solution), **options)
        print("ready", flush=True)
        for _ in sys.stdin:
            started = time.perf_counter()
            score = run_suite(homework, str(homework.solution), **options).score
            print(time.perf_counter() - started if score == homework.total_points else f"score {score}", flush=True)
    finally:
        if sandbox:
            sandbox.shutdown()


if __name__ == "__main__":
    main()
