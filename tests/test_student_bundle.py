"""The student's journey: unzip handout.zip, put in network.py and attack.py, run the self-check."""

import re
import subprocess
import sys
import zipfile

import pytest

from autograder.engine.commands.build import build_handout_zip
from autograder.engine.grading.results import load
from autograder.hw2.known_bugs import by_name

from .helpers import HW2_CLI, solution_files


@pytest.fixture(scope="session")
def handout_zip(homework, tmp_path_factory):
    return build_handout_zip(homework, tmp_path_factory.mktemp("dist"))


@pytest.fixture
def unpacked(handout_zip, tmp_path):
    folder = tmp_path / "hw2"
    with zipfile.ZipFile(handout_zip) as archive:
        archive.extractall(folder)
    return folder


def run_check(folder, *args):
    return subprocess.run([sys.executable, "-m", "autograder", "check", *args], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def test_bundle_has_no_hidden_test_and_no_solution(handout_zip, homework):
    with zipfile.ZipFile(handout_zip) as archive:
        names = archive.namelist()
        texts = {n: archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".py", ".json", ".md"))}
    assert "network.py" in names and "attack.py" in names and "README.md" in names
    assert not [n for n in names if "/hidden/" in n or n.startswith("solution")]
    assert not [n for n in names if "known_bugs" in n]
    # no test that is not visible, anywhere
    for name, text in texts.items():
        assert "after_published" not in text or name.endswith(("plugin.py", "results.py")), name
        assert not re.search(r"^\s*# BEGIN SOLUTION\s*$", text, re.M), name
    # no line of the solution's bodies made it in
    solution_lines = set()
    for source in solution_files(homework).values():
        inside = False
        for line in source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 25 and "default_rng(seed)" not in line:
                solution_lines.add(line.strip())  # (seeding a generator is advice, not the solution)
    leaked = [(n, l) for n, t in texts.items() for l in solution_lines if l in t]
    assert not leaked, leaked[:5]
    reference = texts["autograder/hw2/reference.py"]
    assert "Replay" in reference and "def loss" not in reference


def test_self_check_passes_the_solution(unpacked, homework):
    for name, text in solution_files(homework).items():
        (unpacked / name).write_text(text)
    done = run_check(unpacked, "--json", "out.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Total: 60 / 60" in done.stdout
    assert re.search(r"Gradescope also runs \d+ hidden tests worth 40 points", done.stdout)
    assert homework.hidden_tests in " ".join(done.stdout.split())  # its homework.json's words, not the engine's
    results = load(str(unpacked / "out.json"))
    assert results.score == 60 and all(t.visibility == "visible" for t in results.tests)


def test_self_check_on_the_stubs_fails_and_says_not_implemented(unpacked):
    done = run_check(unpacked)
    assert done.returncode == 1
    assert "Total: 0 / 60" in done.stdout
    assert "Network.forward still raises NotImplementedError" in done.stdout


def test_self_check_names_a_bug(unpacked, homework):
    for name, text in by_name("backward_sigmoid_derivative").apply(homework.solution).items():
        (unpacked / name).write_text(text)
    done = run_check(unpacked)
    assert done.returncode == 1
    assert "sigmoid" in done.stdout


def test_check_all_equals_gradescope(gradescope, homework, make_submission, tmp_path):
    """The same submission, the same score: check --all, grade (run_autograder) and the in-process engine."""
    folder = make_submission(by_name("attack_no_clipping").apply(homework.solution))
    out = tmp_path / "all.json"
    done = subprocess.run([*HW2_CLI, "check", str(folder), "--all", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    mine = load(str(out))
    theirs = gradescope(folder)
    assert [(t.number, t.score) for t in mine.tests] == [(t.number, t.score) for t in theirs.tests]
    assert mine.score == theirs.score < 100
