"""The grader's benchmark: every figure a median over several repetitions, measured in one run.

    ./dev bench            (or: .venv/bin/python bench/bench.py --repeat 7 --class-size 100)

1. run_autograder end to end on the reference solution (all tests, isolation on), run in turn
   with the in-process grader of ../shared/anchors/inprocess-gradescope (Gradescope's own way:
   unittest, student code imported into the grader), each as Gradescope runs it; the ratio is taken
   pair by pair. Peak memory of all our processes together (PSS, shared pages counted once). Then
   ours on the handout's stubs, where every test fails and writes its feedback.
2. isolation on against off, the same checks: in fresh processes, and in a warm grader process
   (batch's: its fork server running); off is bench/inprocess.py, a baseline, never a grading mode
3. `check` on the unzipped handout bundle (the student's self-check, at a terminal), wall time
4. batch throughput on a generated class with --jobs 2, submissions per minute; beside it, the same
   class graded with isolation off in one warm process (what the checks alone cost)
5. what a fresh interpreter pays for each import, alone (what `check` and run_autograder cannot skip)
6. the gradient checks and an attack as the network grows (M0 = 64, 784, 3072)
7. `validate --mutants`: every mutant of hw2's solution graded and probed, --jobs 2, once
0. with --baseline DIR (a checkout of an earlier build, with its own .venv): that build's
   run_autograder and batch run in turn with ours on the same submission and class, then a warm
   grader process of each (bench/warm_child.py, with the sandbox and with isolation off) asked in
   turn; ratios pair by pair, so a change's cost is measured in one run (issue 18 allows its new
   checks 10% on every figure)

Each target of the speed issue is printed with met or MISSED. Every command runs without
PYTHONDONTWRITEBYTECODE, as on Gradescope (setup.sh compiles the grader) and a student's machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))

from autograder.engine.commands import gradescope as simulate  # noqa: E402
from autograder.engine.commands.build import build_autograder_zip, build_handout_zip  # noqa: E402
from autograder.engine.grading.grade import run_suite, shared_sandbox  # noqa: E402
from autograder.engine.homework import Homework  # noqa: E402
from autograder.engine.sandbox.limits import descendants  # noqa: E402

ANCHOR = Path(os.environ.get("AUTOGRADER_ANCHOR") or PROJECT.parent / "shared" / "anchors" / "inprocess-gradescope")
TARGETS = {"anchor_ratio": 2.0, "pss_mb": 100.0, "warm_ratio": 1.3, "check": 0.5, "per_minute": 600.0,
           # against --baseline: issue 18 allows new checks to cost at most 10% on every figure
           "baseline_end_to_end": 1.1, "baseline_batch": 0.9, "baseline_warm": 1.1,
           "mutants": 600.0}  # issue 19: the full sweep within 10 minutes at --jobs 2
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{ENV.get('PATH', '')}"  # python3: this one


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakPss(threading.Thread):
    """Samples the PSS of a process and all its descendants every few milliseconds; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.005):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb, self.done = pid, every, 0, False

    def run(self):
        while not self.done:
            pids = [self.pid, *descendants(self.pid)]
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in pids))
            time.sleep(self.every)


def median(values) -> float:
    return statistics.median(values)


def row(label, value, unit, target=None, better="lower", why=""):
    mark = ""
    if target is not None:
        ok = value <= target if better == "lower" else value >= target
        mark = f"  target {'<=' if better == 'lower' else '>='} {target:g}: {'met' if ok else 'MISSED'}"
        if not ok and why:
            mark += f"\n  {'':<58} {'':10}      why: {why}"
    print(f"  {label:<58} {value:10.3f} {unit}{mark}")


# -- 1. run_autograder against the anchor ------------------------------------------------------

def run_autograder(root: Path, sample_memory: bool = False, python: str = sys.executable) -> tuple:
    """(wall seconds, peak PSS in MB or 0, score) of one `run_autograder` in a Gradescope-like root.
    Memory is sampled in runs of its own: the sampler reads /proc, which would slow the timed runs."""
    env = dict(ENV, AUTOGRADER_ROOT=str(root), PYTHON=python)
    (root / "results" / "results.json").unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], cwd=root / "source", env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = PeakPss(proc.pid) if sample_memory else None
    if sampler:
        sampler.start()
    proc.wait()
    wall = time.perf_counter() - started
    if sampler:
        sampler.done = True
        sampler.join()
    score = simulate.load(str(root / "results" / "results.json")).score
    return wall, (sampler.peak_kb / 1024 if sampler else 0.0), score


def anchor_root(submission: Path, work: Path, anchor: Path = ANCHOR) -> Path:
    """The anchor laid out as its README says: source/ (its files), submission/, results/."""
    root = work / "anchor"
    for name in ("submission", "results"):
        (root / name).mkdir(parents=True, exist_ok=True)
    shutil.copytree(anchor, root / "source")
    for path in [root / "source", *(root / "source").rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the anchor is read-only; its copy writes bytecode
    for name in ("network.py", "attack.py"):
        shutil.copy(submission / name, root / "submission" / name)
    return root


def run_anchor(root: Path) -> tuple:
    """(wall seconds, points) of the anchor's run_autograder, as its README runs it."""
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(["bash", "run_autograder"], cwd=root / "source", env=dict(ENV, AUTOGRADER_ROOT=str(root)),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    return wall, sum(t.get("score", 0) for t in json.loads(results.read_text())["tests"])


def bench_end_to_end(homework, repeat, work: Path, anchor_source: Path = ANCHOR):
    """Ours and the anchor in turn (A B A B ...), the ratio taken pair by pair, so drift hits both."""
    root = work / "root"
    simulate.unpack(build_autograder_zip(homework, work / "dist"), root)
    simulate.setup(root)
    simulate.run(root, homework.solution)  # the submission in place, the file cache warm
    anchor = anchor_root(homework.solution, work, anchor_source)
    run_anchor(anchor)
    ours, theirs = [], []
    for _ in range(repeat):
        wall, _, score = run_autograder(root)
        assert score == homework.total_points, score
        ours.append(wall)
        wall, points = run_anchor(anchor)
        assert points > 0, "the anchor did not grade the reference solution"
        theirs.append(wall)
    memory = [run_autograder(root, sample_memory=True)[1] for _ in range(max(2, repeat // 2))]
    failing = []
    simulate.run(root, homework.handout)  # every test fails: the most feedback to write
    for _ in range(repeat):
        wall, _, score = run_autograder(root)
        assert score == 0, score
        failing.append(wall)
    return (median(ours), median(theirs), median([a / b for a, b in zip(ours, theirs)]), median(memory),
            median(failing))


# -- 0. against an earlier build ---------------------------------------------------------------

BUILD_ROOT = """
import sys
from pathlib import Path
from autograder.engine.commands import gradescope as simulate
from autograder.engine.commands.build import build_autograder_zip
from autograder.engine.homework import Homework
root = Path(sys.argv[2])
simulate.unpack(build_autograder_zip(Homework.load(Path("autograder/hw2")), Path(sys.argv[1])), root)
simulate.setup(root)
"""


def baseline_python(baseline: Path) -> str:
    python = baseline / ".venv" / "bin" / "python"
    if not python.is_file():
        raise SystemExit(f"--baseline {baseline}: no .venv/bin/python there (run its ./dev example once)")
    return str(python)


def bench_baseline(homework, repeat: int, size: int, work: Path, baseline: Path) -> tuple:
    """(ours, theirs, ratio) end to end, then (ours, theirs, ratio) batch submissions per minute:
    run in turn, A B A B, each build with its own interpreter and pins."""
    python = baseline_python(baseline)
    root, theirs_root = work / "root0", work / "baseline-root"
    simulate.unpack(build_autograder_zip(homework, work / "dist0"), root)
    simulate.setup(root)
    subprocess.run([python, "-c", BUILD_ROOT, str(work / "baseline-dist"), str(theirs_root)], cwd=baseline,
                   check=True, env=ENV, stdout=subprocess.DEVNULL)
    for target in (root, theirs_root):
        simulate.run(target, homework.solution, python=python if target == theirs_root else sys.executable)
    ours, theirs = [], []
    for _ in range(repeat):
        wall, _, score = run_autograder(root)
        assert score == homework.total_points, score
        ours.append(wall)
        wall, _, score = run_autograder(theirs_root, python=python)
        assert score == homework.total_points, score
        theirs.append(wall)
    from autograder.engine.commands.sample_class import make_export
    export = make_export(work / "class0", homework, count=size)
    rates_ours, rates_theirs = [], []
    for _ in range(max(3, repeat // 2)):
        for rates, command, folder in ((rates_ours, [sys.executable], PROJECT), (rates_theirs, [python], baseline)):
            out = work / f"class0_out_{len(rates_ours)}_{len(rates_theirs)}"
            started = time.perf_counter()
            done = subprocess.run([*command, "-m", "autograder", "--homework", "hw2", "batch", str(export), "--out", str(out), "--jobs",
                                   "2"], capture_output=True, text=True, cwd=folder, env=ENV)
            assert done.returncode == 0, done.stderr[-2000:]
            rates.append(size / (time.perf_counter() - started) * 60)
    return ((median(ours), median(theirs), median([a / b for a, b in zip(ours, theirs)])),
            (median(rates_ours), median(rates_theirs), median([a / b for a, b in zip(rates_ours, rates_theirs)])))


def bench_baseline_warm(repeat: int, baseline: Path, mode: str) -> tuple:
    """(ours, theirs, ratio): the reference solution graded in a warm grader process of each build (as
    batch's graders grade), `mode` sandbox or inproc, the two processes asked in turn, A B B A."""
    child = str(HERE / "warm_child.py")
    graders = [subprocess.Popen([python, child, str(root), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=ENV, cwd=root)
               for python, root in ((sys.executable, PROJECT), (baseline_python(baseline), baseline))]
    times: list = [[], []]
    try:
        for grader in graders:
            if grader.stdout.readline().strip() != "ready":
                raise SystemExit(f"bench: the warm grader of {grader.args[2]} did not start")
        for i in range(3 * repeat):
            for which in ((0, 1) if i % 2 == 0 else (1, 0)):
                graders[which].stdin.write("go\n")
                graders[which].stdin.flush()
                answer = graders[which].stdout.readline().strip()
                try:
                    times[which].append(float(answer))
                except ValueError:
                    raise SystemExit(f"bench: the warm grader of {graders[which].args[2]}: {answer}") from None
    finally:
        for grader in graders:
            grader.stdin.close()
            grader.wait(timeout=60)
    ours, theirs = times
    return median(ours), median(theirs), median([a / b for a, b in zip(ours, theirs)])


# -- 2. isolation on and off ----------------------------------------------------------------

def _timed(command, results: Path) -> float:
    results.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - started
    assert simulate.load(str(results)).score == 100, command
    return wall


def bench_in_process(homework, repeat, work: Path):
    """Fresh processes both: `grade` (sandboxed) against the same suite with student code in-process;
    then the pair inside one warm grader process that keeps its fork server between submissions,
    as batch's graders do. Interleaved, so noise hits both alike; ratios taken pair by pair."""
    from inprocess import InProcessStudent
    results = work / "r.json"
    isolated_cmd = [sys.executable, "-m", "autograder", "--homework", "hw2", "grade", str(homework.solution), "--results",
                    str(results), "--quiet"]
    baseline_cmd = [sys.executable, str(HERE / "inprocess.py"), str(homework.solution), "--results", str(results)]
    cold_isolated, cold_baseline, warm_isolated, warm_baseline = [], [], [], []
    for _ in range(repeat):
        cold_isolated.append(_timed(isolated_cmd, results))
        cold_baseline.append(_timed(baseline_cmd, results))
    sandbox = shared_sandbox(homework)
    try:
        run_suite(homework, str(homework.solution), sandbox=sandbox)  # imports, caches
        run_suite(homework, str(homework.solution), student_class=InProcessStudent)
        for _ in range(repeat):
            started = time.perf_counter()
            assert run_suite(homework, str(homework.solution), sandbox=sandbox).score == homework.total_points
            warm_isolated.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert run_suite(homework, str(homework.solution), student_class=InProcessStudent).score == \
                homework.total_points
            warm_baseline.append(time.perf_counter() - started)
    finally:
        sandbox.shutdown()
    return (median(cold_isolated), median(cold_baseline), median([a / b for a, b in zip(cold_isolated, cold_baseline)]),
            median(warm_isolated), median(warm_baseline), median([a / b for a, b in zip(warm_isolated, warm_baseline)]))


# -- 3. check, 4. batch ------------------------------------------------------------------------

def bench_check(homework, repeat, work: Path):
    bundle = build_handout_zip(homework, work / "dist")
    folder = work / "student"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    for name in homework.files:
        shutil.copy(homework.solution / name, folder / name)
    at_terminal(folder)  # a first run writes bytecode
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        code, output = at_terminal(folder)
        walls.append(time.perf_counter() - started)
        assert code == 0, output[-2000:]
    return median(walls)


def at_terminal(folder: Path) -> tuple:
    """`check` as a student runs it: its output on a terminal (a pseudo-terminal read here), so the
    progress bar and the coloured table are drawn as they would be. (exit code, what it showed)"""
    import pty
    main_fd, sub_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "check"], cwd=folder, env=ENV,
                            stdin=subprocess.DEVNULL, stdout=sub_fd, stderr=sub_fd)
    os.close(sub_fd)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_fd)
    return proc.wait(), shown.decode(errors="replace")


def bench_batch(homework, size, work: Path):
    from autograder.engine.commands.sample_class import make_export
    export = make_export(work / "class", homework, count=size)
    out = work / "class_out"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "--homework", "hw2", "batch", str(export), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, cwd=PROJECT, env=ENV)
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return size / wall * 60, wall


# -- what the misses are made of, measured ---------------------------------------------------

IMPORTS = {"Python itself (start, site)": "pass", "NumPy": "import numpy", "pytest": "import pytest",
           "pydantic and the results' models": "import autograder.engine.grading.results",
           "rich (the student's table)": "import rich.console, rich.table"}


def import_costs(repeat: int) -> dict:
    """Seconds a fresh interpreter spends on each import, alone (median; Python's own start apart)."""
    out = {}
    for label, statement in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        if statement == "pass":
            walls = []
            for _ in range(repeat):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], cwd=PROJECT, env=ENV, check=True)
                walls.append(time.perf_counter() - started)
            out[label] = median(walls)
            continue
        out[label] = median([float(subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=ENV, check=True,
                                                  capture_output=True, text=True).stdout) for _ in range(repeat)])
    return out


def round_trips(homework) -> tuple:
    """(requests, callbacks) one grading of the reference solution exchanges with its worker."""
    from autograder.engine.sandbox.lending import Lending
    from autograder.engine.sandbox.round_trip import RoundTrips
    counts = {"requests": 0, "callbacks": 0}
    send, answer = RoundTrips._round_trip, Lending._answer_callback

    def counted_send(self, *args, **kwargs):
        counts["requests"] += 1
        return send(self, *args, **kwargs)

    def counted_answer(self, *args, **kwargs):
        counts["callbacks"] += 1
        return answer(self, *args, **kwargs)
    RoundTrips._round_trip, Lending._answer_callback = counted_send, counted_answer
    try:
        run_suite(homework, str(homework.solution))
    finally:
        RoundTrips._round_trip, Lending._answer_callback = send, answer
    return counts["requests"], counts["callbacks"]


def class_in_process(homework, size: int, work: Path) -> float:
    """Seconds per submission to grade the same generated class with isolation off, in one warm process."""
    from inprocess import InProcessStudent

    from autograder.engine.commands.sample_class import make_export
    folders = sorted(p for p in make_export(work / "class_in_process", homework, count=size, as_zip=False).iterdir()
                     if p.is_dir())
    run_suite(homework, str(folders[0]), student_class=InProcessStudent, log=lambda text: None)
    started = time.perf_counter()
    for folder in folders:
        run_suite(homework, str(folder), student_class=InProcessStudent, log=lambda text: None)
    return (time.perf_counter() - started) / len(folders)


# -- 5. scaling ----------------------------------------------------------------------------

def bench_scaling(repeat):
    """Gradient checks (all nine variables) and one 10-step L_inf attack, through the sandbox."""
    import numpy as np

    from autograder.engine.sandbox.student import Sandbox, Student
    from autograder.hw2 import reference
    from autograder.hw2.gradients import ORDER, Backward
    from autograder.hw2.models import lend
    from autograder.hw2.support import random_input, random_weights

    sandbox = Sandbox()
    files = {n: str(PROJECT / "solution" / n) for n in ("network.py", "attack.py")}
    out = []
    try:
        for m0 in (64, 784, 3072):
            sizes = (m0, 32, 10)
            grads, attacks = [], []
            for _ in range(repeat):
                student = Student(sandbox, files, call_seconds=120)
                weights = random_weights(sizes, 1, scale=1 / np.sqrt(m0))
                started = time.perf_counter()
                case = Backward(student, sizes, weights, random_input(sizes, 2), 3)
                for name in ORDER:
                    case.judge(name)
                grads.append(time.perf_counter() - started)
                lent, proxy = lend(student, reference.ReferenceModel(weights))
                started = time.perf_counter()
                student.call("attack:untargeted_attack", None, proxy, random_input(sizes, 3), 3, 0.1,
                             label="untargeted_attack", seconds=120)
                attacks.append(time.perf_counter() - started)
                student.close()
            out.append((m0, median(grads), median(attacks)))
    finally:
        sandbox.shutdown()
    return out


def bench_mutants(work: Path) -> tuple:
    """(seconds, the report's data) of the whole mutation sweep of hw2, as staff run it."""
    report = work / "mutants"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "--homework", "hw2", "validate", "--mutants", "--jobs", "2", "--report",
                    str(report)], cwd=PROJECT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, json.loads((report / "mutants.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--class-size", type=int, default=100)
    parser.add_argument("--anchor", type=Path, default=ANCHOR,
                        help="the in-process grader to compare with (default: $AUTOGRADER_ANCHOR, else "
                             "../shared/anchors/inprocess-gradescope beside the project)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout of an earlier build (with its .venv): its run_autograder and batch in "
                             "turn with ours (section 0)")
    parser.add_argument("--only-baseline", action="store_true", help="section 0 alone")
    parser.add_argument("--skip-mutants", action="store_true", help="leave out section 7 (a minute or so)")
    args = parser.parse_args()
    if not (args.anchor / "run_autograder").is_file():
        parser.error(f"no in-process anchor at {args.anchor} (a folder holding run_autograder): give --anchor PATH")
    homework = Homework.load(PROJECT / "autograder" / "hw2")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}, medians of {args.repeat} (isolation: "
          f"{'user switch' if os.geteuid() == 0 else 'no user switch (not root)'})")
    try:
        if args.baseline is not None:
            (ours, theirs, ratio), (rate, their_rate, rate_ratio) = bench_baseline(
                homework, args.repeat, args.class_size, work, args.baseline.resolve())
            print(f"0. this build against {args.baseline} (run in turn)")
            row("run_autograder, reference solution: this build", ours, "s")
            row("run_autograder, reference solution: the baseline", theirs, "s")
            row("this build / the baseline (pair by pair)", ratio, "x", TARGETS["baseline_end_to_end"])
            row(f"batch, {args.class_size} submissions, --jobs 2: this build", rate, "per min")
            row(f"batch, {args.class_size} submissions, --jobs 2: the baseline", their_rate, "per min")
            row("batch throughput, this build / the baseline (pair by pair)", rate_ratio, "x",
                TARGETS["baseline_batch"], better="higher")
            for mode, what in (("sandbox", "with the sandbox"), ("inproc", "isolation off")):
                ours, theirs, ratio = bench_baseline_warm(args.repeat, args.baseline.resolve(), mode)
                row(f"warm grader, {what}: this build", ours, "s")
                row(f"warm grader, {what}: the baseline", theirs, "s")
                row("this build / the baseline (pair by pair)", ratio, "x", TARGETS["baseline_warm"])
            if args.only_baseline:
                return 0
        ours, anchor, ratio, pss, failing = bench_end_to_end(homework, args.repeat, work, args.anchor)
        cold_iso, cold_base, cold_ratio, warm_iso, warm_base, warm_ratio = bench_in_process(homework, args.repeat, work)
        costs = import_costs(args.repeat)
        frameworks = sum(v for k, v in costs.items() if k.startswith(("pytest", "pydantic")))
        print("1. run_autograder, reference solution, all tests, isolation on; the anchor beside it")
        row("ours: wall time", ours, "s")
        row("in-process anchor (unittest + gradescope-utils): wall time", anchor, "s")
        row("ours / anchor (pair by pair)", ratio, "x", TARGETS["anchor_ratio"],
            why=f"isolation is not it: the same checks with isolation off take {cold_base:.2f} s in a fresh "
                f"process ({cold_base / anchor:.2f}x the anchor; section 2). pytest and pydantic cost "
                f"{frameworks:.2f} s of imports (section 5) that unittest does not, and our suite runs more checks")
        row("peak memory, all processes (PSS)", pss, "MB", TARGETS["pss_mb"])
        row("ours on the handout's stubs (every test fails): wall time", failing, "s")
        print("2. isolation on against off (student code in the grader's process), the same checks")
        row("fresh process: `grade` with the sandbox", cold_iso, "s")
        row("fresh process: in-process baseline, isolation off", cold_base, "s")
        row("isolation overhead, fresh processes (pair by pair)", cold_ratio, "x")
        row("warm grader process: with the sandbox", warm_iso, "s")
        row("warm grader process: isolation off", warm_base, "s")
        row("isolation overhead, warm (ratio of the medians)", warm_iso / warm_base, "x")
        requests, callbacks = round_trips(homework)
        row("isolation overhead, warm (pair by pair)", warm_ratio, "x", TARGETS["warm_ratio"],
            why=f"one grading exchanges {requests + callbacks} round trips with its worker ({requests} calls, "
                f"{callbacks} callbacks of the lent networks, one per attack step): "
                f"{1000 * (warm_iso - warm_base) / (requests + callbacks):.2f} ms each, the difference")
        print("3. check on the unzipped handout bundle (visible tests), at a terminal")
        row("wall time", bench_check(homework, args.repeat, work), "s", TARGETS["check"],
            why=f"a fresh interpreter's start and imports alone take {sum(costs.values()):.2f} s (section 5)")
        per_minute, batch_wall = bench_batch(homework, args.class_size, work)
        in_process = class_in_process(homework, min(args.class_size, 32), work)
        print(f"4. batch, {args.class_size} generated submissions, --jobs 2 ({batch_wall:.1f} s)")
        row("throughput", per_minute, "per min", TARGETS["per_minute"], better="higher",
            why=f"this class with isolation off takes {in_process:.2f} s a submission in a warm process: at most "
                f"{2 * 60 / in_process:.0f} a minute on 2 cores before any isolation")
        print("5. what a fresh process pays before any check (each import alone, median)")
        for label, seconds in costs.items():
            row(label, seconds, "s")
        print("6. scaling with M0 (M1 = 32, N = 10), through the sandbox")
        for m0, grads, attack in bench_scaling(args.repeat):
            row(f"M0 = {m0:>4}: nine gradient checks / one 10-step attack", grads, "s")
            row("           attack", attack, "s")
        if not args.skip_mutants:
            wall, data = bench_mutants(work)
            print(f"7. validate --mutants, every mutant of hw2's solution ({data['swept']}), --jobs 2, once")
            row("wall time", wall, "s", TARGETS["mutants"],
                why="" if data["ok"] else "the sweep itself failed: see its report")
            row("per mutant (graded and probed)", wall / max(1, data["swept"]), "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
