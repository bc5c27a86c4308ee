"""The benchmark's baseline only, never a grading mode: the same checks with student code in-process.

``InProcessStudent`` keeps everything the real ``Student`` does (requests,
encoding, decoding, every check) except the process boundary: the worker's
``Server`` runs in the grader's own thread behind a channel made of two
queues. The ratio of the real run to this one is the cost of isolation.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the project, when run as a script

from autograder.engine.sandbox.student import Student  # noqa: E402
from autograder.engine.sandbox.worker import Server  # noqa: E402


class _End:
    """One end of an in-memory channel; `peer` is the other end."""

    def __init__(self):
        self.inbox = deque()
        self.peer = None
        self.deadline = None
        self.on_request = None      # grader end: runs the server on a new request
        self.on_empty = None        # server end: lets the grader answer a callback

    def send_raw(self, message, frames):
        if self.on_request is not None and not self.on_request.busy:
            self.on_request(message, frames)
        else:
            self.peer.inbox.append((message, list(frames)))

    def receive_raw(self):
        if not self.inbox and self.on_empty is not None:
            self.on_empty()
        return self.inbox.popleft()


class _InProcessWorker:
    pid = -1

    def __init__(self, student, files):
        self.scratch = tempfile.mkdtemp(prefix="inproc-")
        for name, source in files.items():
            shutil.copyfile(source, os.path.join(self.scratch, name))
        for name in [n[:-3] for n in files]:
            sys.modules.pop(name, None)
        sys.path.insert(0, self.scratch)
        grader, server_end = _End(), _End()
        grader.peer, server_end.peer = server_end, grader
        self.channel = grader
        self.server = Server(server_end, self.scratch)

        def run(message, frames):
            run.busy = True
            try:
                self.server.frames = frames
                self.server.handle(message)
            finally:
                run.busy = False
        run.busy = False
        grader.on_request = run

        def answer_callback():
            raw, frames = grader.inbox.popleft()
            student._answer_callback(grader, raw, frames)
        server_end.on_empty = answer_callback

        class _Output:
            def text(self):
                return ""

            def cut(self):
                return ""

            def finish(self):
                pass
        self.output = _Output()

    def stop(self):
        if self.scratch in sys.path:
            sys.path.remove(self.scratch)
        shutil.rmtree(self.scratch, ignore_errors=True)


class InProcessStudent(Student):
    needs_sandbox = False

    def _worker(self):
        if self.worker is None:
            self.worker = _InProcessWorker(self, self.files)
            self.generation += 1
            self.imported = set()
        return self.worker

    def _retire(self):
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


def main(argv=None) -> int:
    """python bench/inprocess.py SUBMISSION --results FILE: grade with isolation off (baseline only)."""
    import argparse
    from pathlib import Path

    from autograder.engine.grading.grade import run_suite
    from autograder.engine.homework import Homework
    from autograder.engine.grading.results import write_atomically

    parser = argparse.ArgumentParser()
    parser.add_argument("submission")
    parser.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    homework = Homework.load(Path(__file__).resolve().parents[1] / "autograder" / "hw2")
    write_atomically(run_suite(homework, args.submission, student_class=InProcessStudent), args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
