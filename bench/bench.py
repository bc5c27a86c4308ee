"""The grader's benchmark: prints medians over several repetitions, measured in one run.

    ./dev bench            (or: .venv/bin/python bench/bench.py --repeat 5 --class-size 100)

1. run_autograder end to end on the reference solution (all tests, isolation on):
   wall time, and peak memory of all its processes together (PSS, shared pages once)
2. the same checks with isolation off (a baseline, never a grading mode): fresh processes and warm
3. `check` on the unzipped handout bundle (the student's self-check), wall time
4. batch throughput on a generated class with --jobs 2, submissions per minute
5. the gradient checks and an attack as the network grows (M0 = 64, 784, 3072)
"""

from __future__ import annotations

import argparse
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
from autograder.engine.grading.grade import run_suite  # noqa: E402
from autograder.engine.homework import Homework  # noqa: E402
from autograder.engine.sandbox.limits import descendants  # noqa: E402

TARGETS = {"wall": 1.5, "pss_mb": 200.0, "ratio": 1.5, "per_minute": 200.0}


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


def timed_run_autograder(root: Path) -> tuple:
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHON=sys.executable)
    (root / "results" / "results.json").unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen([str(root / "run_autograder")], cwd=root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    sampler = PeakPss(proc.pid)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - started
    sampler.done = True
    sampler.join()
    score = simulate.load(str(root / "results" / "results.json")).score
    return wall, sampler.peak_kb / 1024, score


def median(values) -> float:
    return statistics.median(values)


def row(label, value, unit, target=None, better="lower"):
    mark = ""
    if target is not None:
        ok = value <= target if better == "lower" else value >= target
        mark = f"  target {'<' if better == 'lower' else '>='} {target:g}: {'met' if ok else 'MISSED'}"
    print(f"  {label:<58} {value:10.3f} {unit}{mark}")


def bench_end_to_end(homework, repeat, work: Path):
    zip_path = build_autograder_zip(homework, work / "dist")
    root = work / "root"
    simulate.unpack(zip_path, root)
    simulate.setup(root)
    simulate.run(root, homework.solution)  # warm the file cache once
    runs = [timed_run_autograder(root) for _ in range(repeat)]
    assert all(score == homework.total_points for _, _, score in runs), runs
    return median([w for w, _, _ in runs]), median([m for _, m, _ in runs])


def _timed(command, results: Path) -> float:
    results.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    assert simulate.load(str(results)).score == 100, command
    return wall


def bench_in_process(homework, repeat, work: Path):
    """Fresh processes both: `grade` (sandboxed) against the same suite with student code in-process;
    then the same pair inside one warm grader process. Interleaved, so noise hits both alike."""
    from inprocess import InProcessStudent
    results = work / "r.json"
    isolated_cmd = [sys.executable, "-m", "autograder", "grade", str(homework.solution), "--results",
                    str(results), "--quiet"]
    baseline_cmd = [sys.executable, str(HERE / "inprocess.py"), str(homework.solution), "--results", str(results)]
    cold_isolated, cold_baseline, warm_isolated, warm_baseline = [], [], [], []
    for _ in range(repeat):
        cold_isolated.append(_timed(isolated_cmd, results))
        cold_baseline.append(_timed(baseline_cmd, results))
    run_suite(homework, str(homework.solution))  # imports, caches
    for _ in range(repeat):
        started = time.perf_counter()
        assert run_suite(homework, str(homework.solution)).score == homework.total_points
        warm_isolated.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert run_suite(homework, str(homework.solution), student_class=InProcessStudent).score == \
            homework.total_points
        warm_baseline.append(time.perf_counter() - started)
    return [median(v) for v in (cold_isolated, cold_baseline, warm_isolated, warm_baseline)]


def bench_check(homework, repeat, work: Path):
    bundle = build_handout_zip(homework, work / "dist")
    folder = work / "student"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    for name in homework.files:
        shutil.copy(homework.solution / name, folder / name)
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "autograder", "check"], cwd=folder, capture_output=True)
        walls.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stdout[-2000:]
    return median(walls)


def bench_batch(homework, size, work: Path):
    from autograder.hw2.sample_class import make_export
    export = make_export(work / "class", homework.solution, homework.handout, count=size)
    out = work / "class_out"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, cwd=PROJECT)
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return size / wall * 60, wall


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--class-size", type=int, default=100)
    args = parser.parse_args()
    homework = Homework.load(PROJECT / "autograder" / "hw2")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}, medians of {args.repeat} (isolation: "
          f"{'user switch' if os.geteuid() == 0 else 'no user switch (not root)'})")
    try:
        wall, pss = bench_end_to_end(homework, args.repeat, work)
        print("1. run_autograder, reference solution, all tests, isolation on")
        row("wall time", wall, "s", TARGETS["wall"])
        row("peak memory, all processes (PSS)", pss, "MB", TARGETS["pss_mb"])
        cold_iso, cold_base, warm_iso, warm_base = bench_in_process(homework, args.repeat, work)
        print("2. isolation on against off (student code in the grader's process), the same checks")
        row("fresh process: `grade` with the sandbox", cold_iso, "s")
        row("fresh process: in-process baseline, isolation off", cold_base, "s")
        row("isolation overhead, fresh processes (ratio)", cold_iso / cold_base, "x", TARGETS["ratio"])
        row("warm grader process: with the sandbox", warm_iso, "s")
        row("warm grader process: isolation off", warm_base, "s")
        row("isolation overhead, warm (ratio)", warm_iso / warm_base, "x", TARGETS["ratio"])
        print("3. check on the unzipped handout bundle (visible tests)")
        row("wall time", bench_check(homework, args.repeat, work), "s")
        per_minute, batch_wall = bench_batch(homework, args.class_size, work)
        print(f"4. batch, {args.class_size} generated submissions, --jobs 2 ({batch_wall:.1f} s)")
        row("throughput", per_minute, "per min", TARGETS["per_minute"], better="higher")
        print("5. scaling with M0 (M1 = 32, N = 10), through the sandbox")
        for m0, grads, attack in bench_scaling(args.repeat):
            row(f"M0 = {m0:>4}: nine gradient checks / one 10-step attack", grads, "s")
            row("           attack", attack, "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
