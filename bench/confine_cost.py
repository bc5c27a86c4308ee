"""What seccomp and Landlock cost a worker (sandbox/confine.py), printed; not a timed test.

    .venv/bin/python bench/confine_cost.py [--repeat 15]

- import: confine and pyseccomp (ctypes, libseccomp's lookup) in a fresh interpreter, once per fork server
- Confinement(): the filter built from DENIED, once per fork server (the first in a process also
  loads libseccomp's syscall tables)
- apply(): in a freshly forked child each time, as a worker pays it: Landlock alone, the filter's
  load alone, and both (every rule path opened and closed, the ruleset made, the filter compiled to
  BPF and loaded)
- a NumPy call after apply against one without: the filter runs on every system call, and
  Landlock on every open
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in a worker

from autograder.engine.sandbox import confine  # noqa: E402


def in_child(fn) -> float:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, json.dumps(fn()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def median_ms(values) -> str:
    values = sorted(values)
    return f"{1e3 * statistics.median(values):7.3f} ms  (min {1e3 * values[0]:.3f}, max {1e3 * values[-1]:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    code = ("import time; t = time.perf_counter(); from autograder.engine.sandbox import confine; "
            "u = time.perf_counter(); confine.Confinement(); print(u - t, time.perf_counter() - u)")
    fresh = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1]).stdout.split() for _ in range(7)]
    imports, firsts = [float(f[0]) for f in fresh], [float(f[1]) for f in fresh]
    builds = []
    for _ in range(repeat):
        start = time.perf_counter()
        confinement = confine.Confinement()
        builds.append(time.perf_counter() - start)
    read_only = sorted({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})
    scratch = tempfile.mkdtemp(prefix="confine-bench-")

    def timed(step):
        def run():
            start = time.perf_counter()
            step()
            return time.perf_counter() - start
        return [in_child(run) for _ in range(repeat)]

    import numpy as np
    a = np.random.default_rng(0).normal(size=(64, 64))

    def work():
        start = time.perf_counter()
        for _ in range(1000):
            np.linalg.inv(a)
            with open(os.path.join(scratch, "out.txt"), "w") as fh:
                fh.write("x")
        return time.perf_counter() - start

    def confined_work():
        confinement.apply(read_only, [scratch])
        return work()

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Landlock ABI {confinement.abi}, "
          f"seccomp {'yes' if confinement.filter is not None else confinement.seccomp_missing}, "
          f"{len(confine.DENIED)} rules, {len(read_only)} read-only paths + {len(confine.DEVICES)} devices")
    print(f"import confine (+ pyseccomp), fresh interpreter: {median_ms(imports)}")
    print(f"the first Confinement() there                  : {median_ms(firsts)}")
    print(f"Confinement() again                            : {median_ms(builds)}")
    if isinstance(confinement.abi, int):
        print(f"apply: Landlock alone                          : "
              f"{median_ms(timed(lambda: confine.restrict(confinement.abi, read_only, [scratch])))}")
    if confinement.filter is not None:
        print(f"apply: seccomp filter load alone               : {median_ms(timed(confinement.filter.load))}")
    print(f"apply: both                                    : "
          f"{median_ms(timed(lambda: confinement.apply(read_only, [scratch])))}")
    plain, confined = [], []
    for _ in range(7):  # interleaved: the machine's load falls on both alike
        plain.append(in_child(work))
        confined.append(in_child(confined_work))
    print(f"1000 x (inv 64x64 + write a file), plain      : {median_ms(plain)}")
    print(f"the same after apply                           : {median_ms(confined)}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
