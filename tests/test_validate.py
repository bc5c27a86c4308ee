"""validate: passes on main; fails with a clear line for each way an assignment breaks."""

import re
import shutil
import subprocess
import sys


from .helpers import PROJECT


def copy_assignment(dest):
    """The suite, solution and handout in a folder of their own (the engine stays the installed one)."""
    shutil.copytree(PROJECT / "autograder" / "hw2", dest / "autograder" / "hw2",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT / "solution", dest / "solution")
    shutil.copytree(PROJECT / "handout", dest / "handout")
    shutil.copytree(PROJECT / "tests" / "fairness", dest / "tests" / "fairness",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "autograder" / "hw2"


def run_validate(suite=None):
    args = [sys.executable, "-m", "autograder", "--homework", str(suite or "hw2")]
    done = subprocess.run(args + ["validate", "--jobs", "2"], capture_output=True, text=True, timeout=900,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    return done.returncode, done.stdout + done.stderr


def line(output, check):
    rows = [r for r in output.splitlines() if check in r]
    assert rows, output
    return rows[0]


def test_validate_passes_on_main():
    code, out = run_validate()
    assert code == 0, out
    assert "All checks pass." in out
    assert re.search(r"28 of 28 hints right|(\d+) of \1 hints right", out)
    assert re.search(r"correct variants: (\d+)/\1 full marks", out)
    assert "PASS" in line(out, "degenerate submissions: none earns more than its work")


def test_a_deleted_test_lets_a_bug_survive(tmp_path):
    suite = copy_assignment(tmp_path)
    hidden = suite / "hidden" / "test_attack_hidden.py"
    text = hidden.read_text()
    start = text.index('@weight(2)\n@number("5.8")')
    end = text.index("def _success_attacks")
    hidden.write_text(text[:start] + text[end:])
    code, out = run_validate(suite)
    assert code == 1
    assert "FAIL" in line(out, "loses points in") and "attack_l2_as_linf" in out
    assert "FAIL" in line(out, "weights add up") and "98" in out


def test_a_solution_change_that_breaks_a_test(tmp_path):
    suite = copy_assignment(tmp_path)
    network = tmp_path / "solution" / "network.py"
    network.write_text(network.read_text().replace("self.b2 = np.zeros(N)", "self.b2 = np.zeros(N, dtype=np.float32)"))
    code, out = run_validate(suite)
    assert code == 1
    assert "FAIL" in line(out, "solution scores full marks") and "failed: 1.1" in out
    assert "PASS" in line(out, "in sync")


def test_a_handout_edited_by_hand(tmp_path):
    suite = copy_assignment(tmp_path)
    stub = tmp_path / "handout" / "attack.py"
    stub.write_text(stub.read_text().replace("raise NotImplementedError  # your code here",
                                             "return 0.0  # a TA's quick fix", 1))
    code, out = run_validate(suite)
    assert code == 1
    assert "FAIL" in line(out, "in sync") and "attack.py" in line(out, "in sync")


def test_a_hidden_test_that_calls_again_only_for_a_wrong_answer(tmp_path):
    """A hidden test whose calls depend on what the answer was (here without any check of the engine's,
    which would stop the call at once): validate sees the calls differ for the bugs that trigger it."""
    suite = copy_assignment(tmp_path)
    hidden = suite / "hidden" / "test_setup_hidden.py"
    text = hidden.read_text()
    old = "                for seed in seeds for _ in range(2)]\n"
    assert old in text
    hidden.write_text(text.replace(old, old + "    if not np.array_equal(returned[0][\"w1\"], returned[1][\"w1\"]):\n"
                                             "        raw_weights(student, student_network(student, HIDDEN, seed=7))\n"))
    code, out = run_validate(suite)
    assert code == 1
    row = line(out, "hidden tests call student code the same way")
    assert "FAIL" in row and "1.3 for setup_unseeded (call 9)" in out.replace("\n", " ")
    assert "PASS" in line(out, "solution scores full marks")


def test_a_hidden_test_that_judges_between_its_calls(tmp_path):
    """The engine refuses the call a hidden test makes after a check looked at a value, even for the
    solution: validate says which test and why."""
    suite = copy_assignment(tmp_path)
    hidden = suite / "hidden" / "test_update_hidden.py"
    text = hidden.read_text()
    old = "    calls = [step_calls(student, sizes, seed, lr) for sizes, seed, lr in cases]  # every call first\n" \
          "    for (sizes, _, lr), made in zip(cases, calls):\n        check_step(sizes, lr, made)"
    assert old in text
    hidden.write_text(text.replace(old, "    for sizes, seed, lr in cases:\n"
                                        "        check_step(sizes, lr, step_calls(student, sizes, seed, lr))"))
    code, out = run_validate(suite)
    assert code == 1
    flat = " ".join(out.split())
    assert "FAIL" in line(out, "solution scores full marks") and "failed: 4.2" in flat
    assert "CalledAfterJudging" in flat


def test_a_hint_that_no_feedback_gives_is_named_with_the_feedback_given(tmp_path):
    suite = copy_assignment(tmp_path)
    bugs = suite / "known_bugs.py"
    bugs.write_text(bugs.read_text().replace('"b2 seems to be missing"', '"a hint the suite never gives"'))
    code, out = run_validate(suite)
    assert code == 1
    assert "FAIL" in line(out, "feedback names the mistake") and "wrong: forward_missing_b2" in out
    # under the table, whole: what the bug's failed tests of its stage said instead
    assert "forward_missing_b2: no feedback of its stage says 'a hint the suite never gives'" in out
    assert re.search(r"^  2\.1: forward: ", out, re.M), out[-3000:]


def test_an_error_in_the_suite_s_own_code_is_reported_as_such_with_its_traceback(tmp_path):
    suite = copy_assignment(tmp_path)
    tests = suite / "test_forward.py"
    text = tests.read_text()
    anchor = 'def test_loss_is_scalar(student):\n    """'
    assert anchor in text
    end = text.index('"""', text.index(anchor) + len(anchor)) + 3
    tests.write_text(text[:end] + "\n    raise RuntimeError('the suite broke here')" + text[end:])
    code, out = run_validate(suite)
    assert code == 1
    assert "FAIL" in line(out, "the suite's own code raised no error")
    assert "Traceback (most recent call last)" in out and "RuntimeError: the suite broke here" in out
    assert "test_forward.py" in out
