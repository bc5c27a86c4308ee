"""`new NAME --template layer`: a layer whose forward returns (out, cache) and whose backward takes the
cache back, kept in the student's process. Graded through Gradescope's flow, its bundle, and check
--all, in a copy of the project with hw2 beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.engine.commands import gradescope as simulate

from .project_copy import copy_project, env_for, run

NAME = "layer4"

# The same layer, its cache another kind of object each time: each must score full marks.
CACHES = {
    "namedtuple": '''
import collections
import numpy as np
Cache = collections.namedtuple("Cache", "x w mask")
def relu_layer_forward(x, w, b):
    z = x @ w + b
    return np.maximum(z, 0.0), Cache(x, w, z > 0)
def relu_layer_backward(dout, cache):
    dz = dout * cache.mask
    return dz @ cache.w.T, cache.x.T @ dz, dz.sum(axis=0)
''',
    "object": '''
import numpy as np
class Cache:
    def __init__(self, x, w, out):
        self.x, self.w, self.out = x, w, out
def relu_layer_forward(x, w, b):
    out = np.maximum(x @ w + b, 0.0)
    return out, Cache(x, w, out)
def relu_layer_backward(dout, cache):
    dz = np.where(cache.out > 0, dout, 0.0)
    return dz @ cache.w.T, cache.x.T @ dz, dz.sum(axis=0)
''',
    "dict": '''
import numpy as np
def relu_layer_forward(x, w, b):
    z = np.dot(x, w) + b
    return z * (z > 0), {"x": x, "w": w, "z": z}
def relu_layer_backward(dout, cache):
    dz = dout.copy()
    dz[cache["z"] <= 0] = 0
    return np.dot(dz, cache["w"].T), np.dot(cache["x"].T, dz), np.sum(dz, axis=0)
''',
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("project"), homeworks=True)
    run(root, "new", NAME, "--template", "layer")
    return root


@pytest.fixture(scope="module")
def built(project) -> Path:
    run(project, "--homework", NAME, "build", "--out", "dist")
    return project / "dist"


def solution(project) -> Path:
    return project / "homeworks" / NAME / "solution"


def test_it_validates_with_hw2_beside_it(project):
    done = run(project, "--homework", NAME, "validate", "--jobs", "2")
    assert "All checks pass." in done.stdout
    assert "2 of 2 hints right" in done.stdout
    assert "the student bundle's visible" in done.stdout


def test_gradescope_flow_full_marks_and_zero(built, project, tmp_path):
    root = tmp_path / "root"
    simulate.unpack(built / "autograder.zip", root)
    simulate.setup(root)
    assert simulate.run(root, solution(project)).score == 20
    handout = simulate.run(root, project / "homeworks" / NAME / "handout")
    assert handout.score == 0 and len(handout.tests) == 4


@pytest.mark.parametrize("kind", sorted(CACHES))
def test_any_cache_goes_back_to_backward_as_itself(project, tmp_path, kind):
    folder = tmp_path / kind
    folder.mkdir()
    (folder / "layer.py").write_text(CACHES[kind])
    done = run(project, "--homework", NAME, "check", str(folder), "--all", "--json", str(tmp_path / "r.json"))
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["score"] == 20, done.stdout


DOES_NOTHING = """
import numpy as np
def relu_layer_forward(x, w, b):
    return np.zeros((x.shape[0], w.shape[1])), (x, w)
def relu_layer_backward(dout, cache):
    x, w = cache
    return np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[1])
"""


def test_a_layer_that_does_nothing_earns_nothing(project, tmp_path):
    """Zeros of the right shapes out of forward, zero gradients out of backward: 0 of 20."""
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "layer.py").write_text(DOES_NOTHING)
    run(project, "--homework", NAME, "check", str(folder), "--all", "--json", str(tmp_path / "r.json"),
        check=False)
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def test_a_forward_without_a_cache_fails_saying_what_came_back(project, tmp_path):
    folder = tmp_path / "nocache"
    folder.mkdir()
    (folder / "layer.py").write_text(CACHES["dict"].replace('return z * (z > 0), {"x": x, "w": w, "z": z}',
                                                            'return z * (z > 0)'))
    run(project, "--homework", NAME, "check", str(folder), "--all", "--json", str(tmp_path / "r.json"),
        check=False)
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["score"] == 0
    first = next(t for t in results["tests"] if t["number"] == "1.1")
    assert "relu_layer_forward" in first["output"] and "2" in first["output"], first["output"]


def test_the_bundle_checks_as_check_all_does(built, project, tmp_path):
    """A catalogued bug: the student's self-check in the bundle gives each visible test the score and
    the message the staff's check --all gives it."""
    bug = tmp_path / "bug"
    bug.mkdir()
    text = (solution(project) / "layer.py").read_text()
    (bug / "layer.py").write_text(text.replace("dz = dout * (z > 0)", "dz = dout"))
    run(project, "--homework", NAME, "check", str(bug), "--all", "--json", str(tmp_path / "staff.json"),
        check=False)
    student = tmp_path / "student"
    with zipfile.ZipFile(built / "handout.zip") as archive:
        archive.extractall(student)
    (student / "layer.py").write_text((bug / "layer.py").read_text())
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "--json", "mine.json"], cwd=student,
                          env=dict(env_for(project), PYTHONPATH=""), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "ReLU's derivative is missing" in done.stdout, done.stdout + done.stderr
    staff = json.loads((tmp_path / "staff.json").read_text())
    mine = json.loads((student / "mine.json").read_text())
    visible = {t["number"]: (t["score"], t["status"]) for t in staff["tests"] if t["visibility"] == "visible"}
    assert {t["number"]: (t["score"], t["status"]) for t in mine["tests"]} == visible
    assert visible == {"1.1": (5, "passed"), "2.1": (0, "failed")}


def test_its_mutants_are_all_caught_in_their_own_stage(project, tmp_path):
    """validate --mutants on the layer template: every live mutant of forward and backward loses
    points in its own stage (a mutant that only changes the cache shows in backward's probe)."""
    done = run(project, "--homework", NAME, "validate", "--mutants", "--jobs", "2", "--report",
               str(tmp_path / "report"))
    assert "The sweep passes." in done.stdout
    report = json.loads((tmp_path / "report" / "mutants.json").read_text())
    kinds = [kind for m in report["mutants"] for kind in m["kinds"]]
    assert report["ok"] and len(report["mutants"]) >= 15 and set(kinds) <= {"fair", "caught"}, kinds
    assert {m["stage"] for m in report["mutants"] if "caught" in m["kinds"]} == {"forward", "backward"}
