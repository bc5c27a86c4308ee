"""Find the files a homework asks for in whatever folder a student uploaded."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field

SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules", ".venv", "venv"}
MAX_FILES = 5000


@dataclass
class Located:
    found: dict = field(default_factory=dict)     # required name -> path to grade
    missing: dict = field(default_factory=dict)   # required name -> what to fix
    notes: list = field(default_factory=list)     # said once at the top of the results


def _walk(root: str):
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            count += 1
            if count > MAX_FILES:
                return
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                yield os.path.relpath(path, root), path


def locate(submission: str, required: list) -> Located:
    out = Located()
    if not os.path.isdir(submission):
        for name in required:
            out.missing[name] = f"{name} was not submitted (the submission folder is missing)."
        return out
    files = list(_walk(submission))
    if not files:
        out.notes.append("Your submission is empty: upload " + " and ".join(required) + ".")
    by_name: dict = {}
    for rel, path in files:
        by_name.setdefault(os.path.basename(rel), []).append((rel, path))
    notebooks = [rel for rel, _ in files if rel.endswith(".ipynb")]
    for name in required:
        exact = sorted(by_name.get(name, []), key=lambda rp: (rp[0].count(os.sep), rp[0]))
        if exact:
            rel, path = exact[0]
            out.found[name] = path
            if os.sep in rel:
                out.notes.append(f"{name} was found in the folder {os.path.dirname(rel)}/ and graded from there; "
                                 f"next time upload it at the top level.")
            if len(exact) > 1:
                out.notes.append(f"Several files are named {name}; graded {rel}.")
            continue
        message = f"{name} was not found in your submission."
        lower = [rel for rel, _ in files if os.path.basename(rel).lower() == name.lower()]
        close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.75)
        if lower:
            message += f" You uploaded {lower[0]}: rename it to exactly {name} (names are case-sensitive)."
        elif close and close[0].endswith(".py"):
            message += f" You uploaded {close[0]}: rename it to {name}."
        elif notebooks:
            message += (f" You uploaded a notebook ({notebooks[0]}); the grader needs the Python file {name}: "
                        f"export it (File > Download as > Python .py) or copy your code into {name}.")
        else:
            message += f" Upload {name} with your code."
        out.missing[name] = message
    return out
