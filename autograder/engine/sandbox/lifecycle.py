"""A submission's worker over its life: started on first use, its modules imported once, replaced
after a crash or timeout (objects built in the old one are lost), its output kept (its start and
end, however many workers the submission went through)."""

from __future__ import annotations

from autograder.engine.sandbox import failures as F


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
        self.output_log.add(worker.output.text())  # its start and end only, however many workers

    def close(self) -> None:
        self._retire()

    def output(self) -> str:
        parts = [self.output_log.text()]
        if self.worker is not None:
            parts.append(self.worker.output.text())
        return "\n".join(p for p in parts if p)
