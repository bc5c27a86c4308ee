"""A submission's worker over its life: started on first use, its modules imported once, replaced
after a crash or timeout (objects built in the old one are lost), its output kept (its start and
end, however many workers the submission went through)."""

from __future__ import annotations

import os

from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.output import HeadTail


class WorkerLifecycle:
    """Part of Student: which worker serves the calls, and what it has imported."""

    def prepare(self) -> None:
        """Ask for this submission's worker now: its fork and namespaces overlap the grader's own
        work until the first call (see Sandbox.spawn_begin)."""
        if self.worker is None and self.pending is None and self.files and hasattr(self.sandbox, "spawn_begin"):
            self.pending = self.sandbox.spawn_begin(self.files)

    def _worker(self):
        if self.worker is None:
            pending, self.pending = self.pending, None
            try:
                self.worker = self.sandbox.spawn_end(pending) if pending else None
            except (OSError, RuntimeError, ValueError):  # the fork server went away meanwhile: ask again
                self.worker = None
            if self.worker is None:
                self.worker = self.sandbox.spawn(self.files)
            self.generation += 1
            self.imported = set()
            for name, source in self.provided.items():
                self._round_trip({"op": "module", "name": name, "source": source}, [], f"installing {name}")
        return self.worker

    def provide(self, name: str, source: str) -> None:
        """A grader module every worker gets (before student code can touch it, it is plain code:
        treat whatever it computes there as the student's output)."""
        if name not in self.provided:
            self.provided[name] = source
            if self.worker is not None:
                self._round_trip({"op": "module", "name": name, "source": source}, [], f"installing {name}")

    def _import(self, target) -> None:
        """Import the target's module first, so a slow or broken import is told apart and costs once."""
        if not isinstance(target, str):
            return
        module = target.split(":", 1)[0]
        if module in self.provided:
            self._worker()
            return
        file = module + ".py"
        if file in self.missing:
            raise F.MissingFile(self.missing[file])
        if module in self.import_failures:
            # a fresh copy each time: re-raising one instance would grow its traceback test after test
            raise F.fresh(self.import_failures[module]) from None
        self._worker()
        if module in self.imported:
            return
        try:
            self._round_trip({"op": "import", "module": module}, [], f"importing {file}")
        except F.NotImplementedYet as exc:
            failure = F.StudentException(f"importing {file}", {"type": "NotImplementedError", "message": str(exc)})
            self.import_failures[module] = F.fresh(failure)
            raise failure from None
        except F.StudentFailure as exc:
            self.import_failures[module] = F.fresh(exc)  # kept without the frames it went through
            raise
        self.imported.add(module)

    def _retire(self):
        status = None
        if self.pending is not None:  # asked for, never used: collected, then stopped like any other
            pending, self.pending = self.pending, None
            try:
                self.worker = self.sandbox.spawn_end(pending)
            except (OSError, RuntimeError, ValueError):
                pass
        if self.worker is not None:
            status = self.worker.stop()
            self._keep_output(self.worker)
            self.worker = None
        return status

    def _keep_output(self, worker) -> None:
        """What the worker printed since the last cut joins the test it was printed in; its scratch
        folder's path (random, as in a warning's "/tmp/.../network.py:95") is left out, so the same
        submission shows the same output each time it is graded."""
        text = worker.output.cut()
        scratch = getattr(worker, "scratch", None)
        self._printed(text.replace(os.path.join(scratch, ""), "") if scratch else text)

    def _printed(self, text: str) -> None:
        """What student code printed joins the output of the test it was printed in (see begin_test)."""
        if text:
            bucket = self.printed.setdefault(self.printing_to, HeadTail(self.sandbox.limits.output_bytes, ""))
            bucket.add("\n" + text if bucket and not (bucket.tail or bucket.head).endswith("\n") else text)

    def begin_test(self, test: str, hidden: bool) -> None:
        """A test starts: what the worker printed so far belongs to the test before it.

        Printing goes to the top-level output (key None) until the first hidden test starts; from
        then on, to the hidden test running (or, should a visible test come after a hidden one, to
        the last hidden test): a thread a hidden test set off cannot reach a visible place either.
        """
        if self.worker is not None:
            self._keep_output(self.worker)
        if hidden:
            self.printing_to = test
        if self.watch is not None:
            self.watch.begin_test(test)

    def close(self) -> None:
        self._retire()

    def output(self, test: str | None = None) -> str:
        """What student code printed: at the top level (None) or during the hidden test `test`."""
        if self.worker is not None:
            self._keep_output(self.worker)
        bucket = self.printed.get(test)
        if not bucket:
            return ""
        middle = f"\n[... {bucket.dropped} characters of output cut ...]\n" if bucket.dropped else ""
        return bucket.head + middle + bucket.tail
