"""A copy of the project in a temporary folder, so a test can add homeworks without touching this one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .helpers import PROJECT

ENGINE_ONLY = ("autograder/__init__.py", "autograder/__main__.py", "autograder/cli.py", "autograder/engine",
               "setup.sh", "run_autograder", "requirements.txt", "pyproject.toml")


def copy_project(dest: Path, homeworks: bool = False) -> Path:
    """The engine and the Gradescope scripts (and, with homeworks=True, hw2 with its solution/handout)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    parts = list(ENGINE_ONLY) + (["autograder/hw2", "solution", "handout"] if homeworks else [])
    for rel in parts:
        source, target = PROJECT / rel, dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    return dest


def env_for(project: Path) -> dict:
    """The venv's python and pytest first on PATH; the copy's autograder package first on sys.path."""
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(project),
                COLUMNS="200", PYTHONDONTWRITEBYTECODE="1")


def run(project: Path, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """python -m autograder ARGS in the copy."""
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=project, env=env_for(project),
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"autograder {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done
