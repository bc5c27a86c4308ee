"""From one source to what ships: the student handout and Gradescope's autograder.zip.

The solution files carry ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers.
Inside a function the block becomes ``raise NotImplementedError``; at module
level (helpers) it is removed. The handout is generated, never edited by hand:
its stubs, and its README.md from the solution folder's README.md (markers
stripped too) or, when there is none, from the default below.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path
from string import Template

from autograder.engine import paths
from autograder.engine.grading.results import stage_of

BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
PROJECT = paths.PROJECT
EXCLUDE_DIRS = {"__pycache__", ".pytest_cache"}
README = "README.md"
DEFAULT_README = Template("""# $name

Fill in every function that raises `NotImplementedError` in $files; the docstrings say what
each must do and return.

## Check your work

From the folder holding $files:

    pip install -r requirements.txt
    python -m autograder check

`check` runs the visible tests on your files, in the same sandbox as Gradescope; Gradescope
also runs hidden tests. Then upload $files.
""")


class MarkerError(ValueError):
    pass


def strip_solution(source: str, filename: str = "<source>") -> str:
    out, inside, indent, start = [], False, "", 0
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        if not inside and BEGIN.match(line):
            inside, indent, start = True, BEGIN.match(line).group(1), number
            if indent:
                out.append(f"{indent}raise NotImplementedError  # your code here\n")
            continue
        if inside and END.match(line):
            inside = False
            continue
        if END.match(line):
            raise MarkerError(f"{filename}:{number}: END SOLUTION without BEGIN")
        if not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{filename}:{start}: BEGIN SOLUTION without END")
    text = "".join(out)
    return re.sub(r"\n{4,}", "\n\n\n", text)


def stub_files(homework) -> dict:
    """name -> generated text, for every file students submit."""
    return {name: strip_solution((homework.solution / name).read_text(), name) for name in homework.files}


def student_readme(homework) -> str:
    """The handout's README: the solution folder's own, or the default filled in for this homework."""
    source = homework.solution / README
    if source.is_file():
        return strip_solution(source.read_text(), README)
    files = ", ".join(f"`{name}`" for name in homework.files)
    return DEFAULT_README.substitute(name=homework.name, files=files)


def handout_files(homework) -> dict:
    """name -> generated text, for every file of the handout folder: the stubs and the README."""
    return {**stub_files(homework), README: student_readme(homework)}


def handout_drift(homework, files: dict | None = None) -> list:
    """Files of the committed handout that differ from what the solution generates (`files`)."""
    files = handout_files(homework) if files is None else files
    return [name for name, text in files.items()
            if not (homework.handout / name).exists() or (homework.handout / name).read_text() != text]


def write_handout(homework) -> list:
    """The handout's files generated anew; only those that changed are written (and returned)."""
    files = handout_files(homework)
    changed = handout_drift(homework, files)
    homework.handout.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (homework.handout / name).write_text(files[name])
    return [homework.handout / name for name in changed]


def _add_tree(archive: zipfile.ZipFile, folder: Path, arcroot: str, skip=()) -> None:
    """Every file under folder, but those under (or named) a path in `skip`, relative to folder."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDE_DIRS)
        for name in sorted(files):
            path = Path(root) / name
            rel = path.relative_to(folder)
            if any(rel.as_posix() == s or rel.as_posix().startswith(s + "/") for s in skip) or name.endswith(".pyc"):
                continue
            _add_file(archive, path, f"{arcroot}/{rel}" if arcroot else str(rel))


def _add_file(archive: zipfile.ZipFile, path: Path, arcname: str, data: bytes | None = None) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
    executable = data is None and os.access(path, os.X_OK)
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data if data is not None else path.read_bytes())


def _add_engine_and_homework(archive: zipfile.ZipFile, homework, skip=()) -> None:
    """The autograder package with the engine and this one homework: never another homework's files."""
    from autograder.engine.homeworks import RECORD
    package = PROJECT / "autograder"
    for name in ("__init__.py", "__main__.py", "cli.py"):
        _add_file(archive, package / name, f"autograder/{name}")
    _add_tree(archive, package / "engine", "autograder/engine", skip=("commands/templates",))  # new's, not grading's
    _add_tree(archive, homework.suite, f"autograder/{homework.suite.name}", skip=skip)
    _add_file(archive, package, f"autograder/{RECORD}", f"{homework.suite.name}\n".encode())


def collect_manifest(homework) -> list:
    """Every test with its number and max_score, collected without running anything."""
    import pytest

    from autograder.engine.grading.plugin import GradescopePlugin, manifest_of

    plugin = GradescopePlugin()
    with open(os.devnull, "w") as sink:
        import contextlib
        with contextlib.redirect_stdout(sink):
            code = pytest.main([str(homework.suite), "--collect-only", "-q", "-p", "no:cacheprovider",
                                "--rootdir", str(homework.suite), "-c", os.devnull], plugins=[plugin])
    if code != 0 or plugin.collection_errors:
        raise RuntimeError("the grading suite does not collect cleanly:\n" + "\n".join(plugin.collection_errors))
    return manifest_of(plugin.build())


def build_autograder_zip(homework, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "autograder.zip"
    manifest = collect_manifest(homework)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in ("setup.sh", "run_autograder", "requirements.txt"):
            _add_file(archive, PROJECT / name, name)
        _add_file(archive, PROJECT / "manifest.json", "manifest.json",
                  json.dumps(manifest, indent=1).encode())
        _add_engine_and_homework(archive, homework)
        _add_tree(archive, homework.solution, homework.solution.relative_to(homework.project).as_posix())
    target.write_bytes(buf.getvalue())
    return target


def record_visible_expectations(homework, fresh_inputs: bool = False, full_marks: bool = True) -> dict:
    """Grade the solution on the visible tests while the reference's @recorded functions record: on
    their recorded inputs (the bundle's, see inputs.py) unless `fresh_inputs` (validate compares).
    Unless the solution passes them all (`full_marks`), nothing is recorded for a handout."""
    import numpy as np

    from autograder.engine.grading import replay
    from autograder.engine.grading.grade import run_suite

    replay.RECORDING = {}
    try:
        results = run_suite(homework, str(homework.solution), visible_only=True, fresh_inputs=fresh_inputs)
        table = replay.RECORDING
    finally:
        replay.RECORDING = None
    if full_marks and results.score < results.max_score:
        failed = [t.number for t in results.tests if t.status != "passed"]
        raise RuntimeError(f"the solution fails visible tests {failed}: not building a handout")
    table["__numpy__"] = np.__version__
    return table


def withheld_summary(manifest: list) -> dict:
    """Per stage, how many tests are not visible and their points: never names or inputs."""
    summary: dict = {}
    for entry in manifest:
        if entry["visibility"] != "visible":
            stage = stage_of(entry)
            item = summary.setdefault(stage, {"tests": 0, "points": 0.0})
            item["tests"] += 1
            item["points"] += entry["max_score"]
    return summary


def build_handout_zip(homework, out: Path) -> Path:
    """The student bundle: stubs, README, and the visible tests with recorded expectations."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "handout.zip"
    exclude = set(homework.bundle.get("exclude", []))
    reference = homework.bundle.get("reference_module")
    table = record_visible_expectations(homework)
    manifest = collect_manifest(homework)
    suite = homework.suite.name
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in handout_files(homework).items():
            _add_file(archive, homework.handout / name, name, text.encode())
        _add_file(archive, PROJECT / "requirements.txt", "requirements.txt")
        skip = set(exclude) | ({reference} if reference else set())
        _add_engine_and_homework(archive, homework, skip=tuple(sorted(skip)))
        if reference:
            from autograder.engine.grading.replay import TABLE, replay_module_source
            names = [n for n in table if not n.startswith("__")]
            _add_file(archive, homework.suite / reference, f"autograder/{suite}/{reference}",
                      replay_module_source(names, TABLE).encode())
            _add_file(archive, homework.suite / reference, f"autograder/{suite}/{TABLE}",
                      json.dumps(table).encode())
        _add_file(archive, homework.suite, f"autograder/{suite}/withheld.json",
                  json.dumps(withheld_summary(manifest), indent=1).encode())
    target.write_bytes(buf.getvalue())
    return target


def build(homework, out: Path) -> list:
    written = write_handout(homework)
    return [*written, build_autograder_zip(homework, out), build_handout_zip(homework, out)]
