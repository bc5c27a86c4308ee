"""Gradescope's flow, run here: unzip autograder.zip, setup.sh, run_autograder, read results.json.

Used by the README's first command and by the project's end-to-end tests, so
what is tested is exactly what gets uploaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.engine.grading.results import Results, load


def unpack(zip_path: Path, root: Path) -> Path:
    source = root / "source"
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(source / info.filename, mode)
    (root / "results").mkdir(parents=True, exist_ok=True)
    return source


def setup(root: Path, python: str = sys.executable, timeout: float = 600) -> None:
    env = dict(os.environ, PYTHON=python)
    subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                   check=True, timeout=timeout)


def run(root: Path, submission: Path, python: str = sys.executable, timeout: float = 600) -> Results:
    target = root / "submission"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(submission, target, symlinks=True)
    results = root / "results" / "results.json"
    if results.exists():
        results.unlink()
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHON=python)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    with open(root / "results" / "stdout", "wb") as log:
        subprocess.run([str(root / "run_autograder")], cwd=root, env=env, stdout=log,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return load(str(results))


def simulate(zip_path: Path, submission: Path, root: Path | None = None) -> Results:
    root = Path(root or tempfile.mkdtemp(prefix="autograder-root-"))
    unpack(zip_path, root)
    setup(root)
    return run(root, submission)


def gradescope_flow(homework, submission: Path, root: Path | None = None) -> Results:
    """Build the zip, then unzip, setup.sh and run_autograder in AUTOGRADER_ROOT (new if not given)."""
    from autograder.engine.commands.build import build_autograder_zip
    zip_path = build_autograder_zip(homework, Path(tempfile.mkdtemp(prefix="autograder-dist-")))
    root = Path(root or tempfile.mkdtemp(prefix="autograder-root-"))
    print(f"built {zip_path}; grading {submission} in AUTOGRADER_ROOT={root}", file=sys.stderr)
    results = simulate(zip_path, submission, root)
    print(f"results.json: {root / 'results' / 'results.json'}", file=sys.stderr)
    return results
