"""A class's submissions graded in parallel: isolated, time-limited, resumable, sharded.

Each submission is graded by the same ``run_suite`` as Gradescope, in a pool
of grader processes (each keeps pytest and NumPy imported between
submissions; every submission still gets its own sandbox). Results land in
``OUT/results/<id>.json`` with a record of the autograder build that made
them, so a rerun skips what is already graded unless asked to regrade.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path

from autograder.engine import paths
from autograder.engine.grading.results import Results, fallback, write_atomically
from autograder.engine.commands.exports import Submission, discover_export, shard

STATE = "state.json"


def build_id(homework) -> str:
    """A hash of everything that decides a grade: the engine, the suite, the solution."""
    h = hashlib.sha256()
    roots = [paths.ENGINE, Path(homework.suite), Path(homework.solution)]
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".json", ".npz"):
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


_SANDBOX = None  # one fork server per pool process, reset between submissions


def _grade_one(args) -> tuple:
    """In a pool process: grade one submission, never raise. Options after the fourth item: "trace" (the
    calls' digests in the results, run_suite's trace), "probe" (validate --mutants), "as_bundle"
    (the visible tests on the recorded inputs, as the student bundle grades them)."""
    global _SANDBOX
    homework_dir, submission_id, folder, results_path, *options = args
    from autograder.engine.grading.grade import run_suite, shared_sandbox
    from autograder.engine.homework import Homework
    started = time.monotonic()
    try:
        homework = Homework.load(homework_dir)
        if _SANDBOX is None:
            _SANDBOX = shared_sandbox(homework)
        as_bundle = "as_bundle" in options  # the visible tests on the bundle's recorded inputs (validate)
        results = run_suite(homework, folder, log=lambda text: None, sandbox=_SANDBOX, trace="trace" in options,
                            visible_only=as_bundle, fresh_inputs=not as_bundle)
    except BaseException as exc:  # noqa: BLE001 - one submission never stops the batch
        results = fallback(f"The grader failed on this submission: {type(exc).__name__}: {exc}",
                           time.monotonic() - started)
    if "probe" in options:  # validate --mutants: the homework's probe scenario on it too
        _probe_one(homework_dir, folder, results_path)
    write_atomically(results, results_path)
    return submission_id, results.score, time.monotonic() - started


def _probe_one(homework_dir: str, folder: str, results_path: str) -> None:
    """The probe's outputs (engine/mutation/probe.py) beside the results, as RESULTS.probe.json; an
    error of the probe itself is recorded as {"__error__": ...}."""
    from autograder.engine.homework import Homework
    from autograder.engine.mutation.probe import run_probe
    try:
        outputs = run_probe(Homework.load(homework_dir), folder, _SANDBOX)
    except BaseException as exc:  # noqa: BLE001 - reported as an engine error of this mutant
        outputs = {"__error__": f"{type(exc).__name__}: {exc}"}
    Path(f"{results_path}.probe.json").write_text(json.dumps(outputs))


def run_pool(tasks: list, jobs: int, record, scratch: str | None = None) -> list:
    """Grade `tasks` ((suite, id, folder, results path)) in a pool of warm grader processes;
    record(id, score, seconds) as each ends; returns the tasks lost because a grader process died.
    `scratch`: the temporary folder of every grader process (see grade_tasks)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    if not tasks:
        return []
    lost = []
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context, initializer=_warm,
                             initargs=(tasks[0][0], scratch)) as pool:
        futures = {pool.submit(_grade_one, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                record(*future.result())
            except BrokenProcessPool:
                lost.append(futures[future])
    return lost


def grade_tasks(tasks: list, jobs: int, record) -> None:
    """run_pool, then once more alone for each task a dying grader process took along; a task lost
    twice gets a fallback result (score 0, saying why).

    Every grader process keeps its temporary files (its sandbox's scratch folders, the copies of
    the submissions its workers ran) in one folder made here and removed at the end, whatever
    happened: a grader process killed mid-way leaves nothing in the machine's temporary folder."""
    scratch = tempfile.mkdtemp(prefix="autograder-batch-")
    os.chmod(scratch, 0o711)  # as a sandbox's scratch root: each worker's account reaches its own folder
    try:
        for task in run_pool(tasks, jobs, record, scratch):
            if run_pool([task], 1, record, scratch):
                results = fallback("The grader's own process died twice while grading this submission; "
                                   "course staff will look at it.")
                write_atomically(results, task[3])
                record(task[1], 0.0, 0.0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_folders(homework, folders: list, jobs: int, trace: bool = False, probe: bool = False,
                  progress=None, as_bundle: bool = False) -> list:
    """[(Results, seconds)] for each folder, in order, graded by the same pool as a batch (`trace`: with
    the digests of the calls each test made, see run_suite). With `probe`, [(Results, seconds, the
    probe's outputs)] (validate --mutants). With `as_bundle`, only the visible tests, on the inputs the
    student bundle replays. `progress(index, score)` as each one ends."""
    out = Path(tempfile.mkdtemp(prefix="graded-"))
    options = [*(["trace"] if trace else []), *(["probe"] if probe else []), *(["as_bundle"] if as_bundle else [])]
    try:
        tasks = [(str(homework.suite), str(i), str(f), str(out / f"{i}.json"), *options)
                 for i, f in enumerate(folders)]
        seconds: dict = {}

        def record(sid, score, elapsed):
            seconds[sid] = elapsed
            if progress:
                progress(int(sid), score)
        grade_tasks(tasks, max(1, jobs), record)
        graded = []
        for i in range(len(folders)):
            results = Results.model_validate_json((out / f"{i}.json").read_text())
            if probe:
                found = out / f"{i}.json.probe.json"
                outputs = json.loads(found.read_text()) if found.exists() else {"__error__": "no probe ran"}
                graded.append((results, seconds[str(i)], outputs))
            else:
                graded.append((results, seconds[str(i)]))
        return graded
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _warm(homework_dir: str, scratch: str | None = None) -> None:
    import gc
    import signal
    from multiprocessing.util import Finalize
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if scratch:
        tempfile.tempdir = scratch  # this process's temporary files: where the batch removes them
    Finalize(None, _close_sandbox, exitpriority=10)  # run as the pool's process ends
    gc.freeze()  # the imports inherited from the parent: out of every collection (see startup.py)


def _close_sandbox() -> None:
    """At a grader process's end: its fork server and whatever is left of its workers, killed; its
    scratch folder removed."""
    global _SANDBOX
    if _SANDBOX is not None:
        sandbox, _SANDBOX = _SANDBOX, None
        sandbox.shutdown()


class Batch:
    def __init__(self, homework, out: Path):
        self.homework = homework
        self.out = Path(out)
        self.results_dir = self.out / "results"
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.build = build_id(homework)
        self.state = self._load_state()

    def _load_state(self) -> dict:
        path = self.out / STATE
        if path.exists():
            return json.loads(path.read_text())
        return {"submissions": {}, "graded": {}}

    def _save_state(self) -> None:
        tmp = self.out / (STATE + ".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(tmp, self.out / STATE)

    def results_path(self, submission_id: str) -> Path:
        return self.results_dir / f"{submission_id}.json"

    def todo(self, submissions: list, regrade) -> list:
        """What needs grading: new, graded by another build, or named for a regrade."""
        out = []
        for s in submissions:
            previous = self.state["graded"].get(s.id)
            fresh = previous and previous.get("build") == self.build and self.results_path(s.id).exists()
            if regrade is True or (regrade and s.id in regrade) or not fresh:
                out.append(s)
        return out

    def run(self, source, jobs: int | None = None, shard_spec: str | None = None, regrade=None,
            progress=None) -> dict:
        """Grade; returns {"graded": [...], "skipped": [...], "old": {id: Results before this run},
        "submissions": [...], "flagged": [Flag]}."""
        from autograder.engine.grading.grade import keep_secret
        keep_secret(self.out, source)  # the class's files and results: no worker may read them (pool forks inherit)
        submissions, flags = discover_export(source, self.out / "_export")
        submissions = shard(submissions, shard_spec)
        self.state["flagged"] = [vars(f) for f in flags]  # left out of grading: reported in summary.md
        for s in submissions:
            self.state["submissions"][s.id] = s.as_dict()
        todo = self.todo(submissions, regrade)
        old = {s.id: Results.model_validate_json(self.results_path(s.id).read_text())
               for s in todo if self.results_path(s.id).exists()}
        jobs = max(1, jobs or os.cpu_count() or 1)
        tasks = [(str(self.homework.suite), s.id, str(s.folder), str(self.results_path(s.id))) for s in todo]
        if progress:
            progress.start(len(tasks))
        from autograder.engine.grading import grade  # noqa: F401 - imported once here, inherited warm by every pool process

        def record(submission_id, score, seconds=None):
            self.state["graded"][submission_id] = {"build": self.build, "score": score,
                                                   "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
            self._save_state()
            if progress:
                progress.advance(submission_id, score)

        grade_tasks(tasks, jobs, record)
        if progress:
            progress.stop()
        self._save_state()
        skipped = [s.id for s in submissions if s not in todo]
        return {"graded": [s.id for s in todo], "skipped": skipped, "old": old, "submissions": submissions,
                "flagged": flags}

    def names(self) -> dict:
        return names_in(self.state)

    def collected(self) -> list:
        """(Submission, Results) for every graded submission in this folder."""
        out = []
        for sid, info in sorted(self.state["submissions"].items()):
            path = self.results_path(sid)
            if path.exists():
                from autograder.engine.commands.exports import Submitter
                people = [Submitter(**p) for p in info.get("submitters", [])]
                out.append((Submission(sid, Path(), people), Results.model_validate_json(path.read_text())))
        return out


def names_in(state: dict) -> dict:
    """submission id -> its submitters' names, from a batch's state."""
    return {sid: "; ".join(p.get("name", "") for p in info.get("submitters", []))
            for sid, info in state.get("submissions", {}).items()}


def merge(folders: list, out: Path) -> "Batch":
    """Combine the folders of several shards into one."""
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    state = {"submissions": {}, "graded": {}}
    for folder in map(Path, folders):
        part = json.loads((folder / STATE).read_text())
        for key in ("submissions", "graded"):
            clash = set(state[key]) & set(part[key])
            if key == "graded" and clash:
                raise ValueError(f"{folder}: submissions {sorted(clash)[:3]} are in two shards")
            state[key].update(part[key])
        state.setdefault("flagged", [])
        state["flagged"] += [f for f in part.get("flagged", []) if f not in state["flagged"]]
        for path in (folder / "results").glob("*.json"):
            shutil.copy2(path, out / "results" / path.name)
    (out / STATE).write_text(json.dumps(state, indent=1, sort_keys=True))
    return out
