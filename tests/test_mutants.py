"""`validate --mutants`: the suite measured by mutants of the solution (engine/mutation/, commands/mutants.py).

On the scaffold `new` makes (small and fast): it passes; a weakened test lets mutants escape and an
over-strict one fails an equivalent mutant, and the sweep reports both; an accepted survivor needs a
reason. On hw2: a fixed seeded sample of 40 mutants passes (the whole sweep is in ./dev bench)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.engine.mutation.generate import Mutant, mutants, sample, solution_lines
from autograder.engine.mutation.probe import changed_stages, differs, plain

from .project_copy import copy_project, run

NAME = "tiny"


@pytest.fixture
def project(tmp_path) -> Path:
    root = copy_project(tmp_path / "project")
    run(root, "new", NAME)
    return root


def sweep(project: Path, *extra: str) -> tuple:
    """(exit code, the report's JSON, the Markdown report) of validate --mutants on the scaffold."""
    report = project / "report"
    done = run(project, "validate", "--mutants", *extra, "--jobs", "2", "--report", str(report), check=False)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads((report / "mutants.json").read_text()), (report / "mutants.md").read_text()


def kinds(data) -> dict:
    return {m["id"]: m["kinds"] for m in data["mutants"]}


def test_the_scaffold_passes_the_sweep(project):
    code, data, markdown = sweep(project)
    assert code == 0 and data["ok"] and data["swept"] == data["mutants in all"] >= 5
    found = [k for ks in kinds(data).values() for k in ks]
    assert "caught" in found and not {"false negative", "escaped", "collateral", "engine error"} & set(found)
    assert {m["stage"] for m in data["mutants"]} == {"predict", "gradient"}
    assert "| predict |" in markdown and "| all |" in markdown


WEAKENED = ("        if not result.ok:\n            raise Feedback(f\"gradients: dE/d",
            "        if False:\n            raise Feedback(f\"gradients: dE/d")


def test_a_weakened_test_lets_mutants_escape_and_the_sweep_says_which(project):
    for test in ("test_gradient.py", "hidden/test_gradient_hidden.py"):
        path = project / "autograder" / NAME / test
        text = path.read_text()
        if WEAKENED[0] in text:
            path.write_text(text.replace(*WEAKENED))
    code, data, markdown = sweep(project)
    escaped = [m for m in data["mutants"] if "escaped" in m["kinds"]]
    assert code == 1 and not data["ok"] and escaped
    assert {m["stage"] for m in escaped} == {"gradient"}
    assert all(m["changed"].get("gradient") and not m["lost"].get("gradient") for m in escaped)
    assert "## Escaped or collateral, not accepted" in markdown and "```diff" in markdown

    # accepted, each with its reason, they pass; a stale id is reported, a reason left empty refused
    accepted = project / "autograder" / NAME / "mutants_accepted.json"
    reasons = {m["id"]: "accepted for this test: the gradient tests were weakened on purpose" for m in escaped}
    accepted.write_text(json.dumps({**reasons, "linear.py:gone:00000000": "a mutant no longer made"}))
    code, data, markdown = sweep(project)
    assert code == 0 and data["ok"] and data["unused acceptances"] == ["linear.py:gone:00000000"]
    assert "## Accepted" in markdown and "weakened on purpose" in markdown
    accepted.write_text(json.dumps({escaped[0]["id"]: " "}))
    done = run(project, "validate", "--mutants", "--jobs", "2", "--report", str(project / "r2"), check=False)
    assert done.returncode == 2 and "each reason written out" in done.stdout


# predict counts its calls in a module global: nothing the contract asks, so the probe never records it,
# and a mutant that stops counting is equivalent; an over-strict test that reads the count fails it
COUNTING = ("    # BEGIN SOLUTION\n    return w @ x + b",
            "    # BEGIN SOLUTION\n    global CALLS\n    CALLS += 1\n    return w @ x + b")
OVER_STRICT = '''

@weight(1)
@number("1.9")
@tags("predict")
@visibility("visible")
def test_predict_counts_its_calls(student, small):
    """predict: (over-strict, for the mutation test) a module global counts its calls"""
    w, b, x, _ = small
    call_predict(student, w, b, x)
    call_predict(student, w, b, x)
    if student.get_many("linear:", ["CALLS"])["CALLS"] < 2:
        raise Feedback("predict: CALLS did not count")
'''


def test_an_over_strict_test_fails_an_equivalent_mutant_and_the_sweep_says_so(project):
    solution = project / "homeworks" / NAME / "solution" / "linear.py"
    solution.write_text("CALLS = 0\n" + solution.read_text().replace(*COUNTING))
    tests = project / "autograder" / NAME / "test_predict.py"
    tests.write_text(tests.read_text() + OVER_STRICT)
    code, data, markdown = sweep(project)
    negatives = [m for m in data["mutants"] if "false negative" in m["kinds"]]
    assert code == 1 and negatives and all(m["equivalent"] for m in negatives)
    assert all("CALLS" in m["before"] for m in negatives)
    assert any(line.startswith("1.9:") for m in negatives for line in m["failed"])
    assert "## False negatives (equivalent, yet failed)" in markdown and "Tests that failed it:" in markdown


def test_a_homework_without_a_probe_is_told_what_is_missing(project):
    config = project / "autograder" / NAME / "homework.json"
    data = json.loads(config.read_text())
    del data["mutation"]
    config.write_text(json.dumps(data))
    done = run(project, "validate", "--mutants", "5", "--report", str(project / "r"), check=False)
    assert done.returncode == 2 and "no 'mutation'" in done.stdout


# -- hw2 ------------------------------------------------------------------------------------------

def test_a_seeded_sample_of_hw2_mutants_passes(tmp_path):
    """CI's share of the sweep: 40 mutants drawn with a fixed seed, graded and probed, all as they must be."""
    from .helpers import PROJECT
    done = run(PROJECT, "--homework", "hw2", "validate", "--mutants", "40", "--seed", "18", "--jobs", "2", "--report", str(tmp_path),
               check=False)
    data = json.loads((tmp_path / "mutants.json").read_text())
    assert done.returncode == 0 and data["ok"], done.stdout[-3000:]
    assert data["swept"] == 40 and data["mutants in all"] >= 300
    assert sum("caught" in m["kinds"] for m in data["mutants"]) >= 25


def test_hw2_has_mutants_in_every_stage_and_ids_that_survive_a_line_shift(homework):
    everything = mutants(homework.solution, list(homework.files), homework.mutation.regions)
    assert len(everything) >= 300 and len({m.id for m in everything}) == len(everything)
    assert {m.stage for m in everything} == set(homework.stages)
    files = {name: (homework.solution / name).read_text() for name in homework.files}
    shifted = {name: "# a line more\n" + text for name, text in files.items()}
    again = {m.id for m in mutants_of(shifted, homework)}
    assert again == {m.id for m in everything}
    assert sample(everything, 40, 18) == sample(everything, 40, 18) != sample(everything, 40, 19)


def mutants_of(files: dict, homework) -> list:
    import tempfile
    folder = Path(tempfile.mkdtemp())
    for name, text in files.items():
        (folder / name).write_text(text)
    return mutants(folder, list(files), homework.mutation.regions)


def test_a_mutant_edits_one_statement_inside_the_markers_only():
    source = ("import numpy as np\n\ndef f(x):\n    y = x + 1\n    # BEGIN SOLUTION\n    z = x * 2\n"
              "    return z - 1\n    # END SOLUTION\n")
    assert solution_lines(source) == {6, 7}
    import tempfile
    folder = Path(tempfile.mkdtemp())
    (folder / "m.py").write_text(source)
    made = mutants(folder, ["m.py"], {"m.py": "stage"})
    assert made and all(m.line in (6, 7) for m in made)
    edit = next(m for m in made if m.operator == "Mult -> Div")
    assert isinstance(edit, Mutant) and "z = x / 2" in edit.apply({"m.py": source})["m.py"]
    assert "y = x + 1" in edit.apply({"m.py": source})["m.py"]  # outside the markers: untouched


def test_outputs_compare_by_kind_type_and_value_within_the_tolerance():
    import numpy as np
    a = plain(np.array([1.0, 2.0]))
    assert not differs(a, plain(np.array([1.0, 2.0 + 1e-12])), 1e-9, 1e-12)
    assert differs(a, plain(np.array([1.0, 2.1])), 1e-9, 1e-12)
    assert differs(a, plain(np.array([1.0, 2.0], dtype=np.float32)), 1e-9, 1e-12)
    assert not differs(plain(1.5), plain(np.float64(1.5)), 1e-9, 1e-12)  # np.float64 is a float
    assert differs(plain(1.5), plain(np.array(1.5)), 1e-9, 1e-12)
    assert changed_stages({"s": {"x": plain(1.0)}}, {"s": {"x": {"raised": "ValueError"}}}, 1e-9, 1e-12) == {"s": ["x"]}
