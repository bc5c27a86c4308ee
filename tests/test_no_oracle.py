"""No oracle: the bundle's recorded values answer nothing on Gradescope, and nothing a hidden test
does to student code (which calls it gets, what it prints, a crash) shows before publication."""

import json
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from autograder.engine.commands.build import build_handout_zip
from autograder.engine.grading import verdicts
from autograder.engine.grading.results import load
from autograder.hw2.known_bugs import by_name

from .helpers import solution_files

# -- the student bundle is no lookup table on Gradescope --------------------------------------

LOOKUP = '''
import hashlib, json
import numpy as np

TABLE = json.loads(TABLE_TEXT)


def _feed(h, value):  # the bundle's replay key (autograder/engine/grading/replay.py), copied
    if isinstance(value, dict):
        h.update(b"{")
        for key in sorted(value):
            h.update(str(key).encode() + b":")
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, np.ndarray):
        h.update(repr(value.shape).encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
    elif isinstance(value, (int, np.integer)):
        h.update(b"i" + str(int(value)).encode())
    else:
        h.update(b"f" + np.float64(value).tobytes())


def _look_up(name, *args):
    h = hashlib.sha256(name.encode())
    for arg in args:
        _feed(h, arg)
    found = TABLE.get(name, {}).get(h.hexdigest())
    if found is None:
        return None
    if "dict" in found:
        return {k: np.array(v["array"]).reshape(v["shape"]) for k, v in found["dict"].items()}
    return found["float"]


class Network:
    """No arithmetic: the answers the bundle recorded, found by the inputs' hash."""

    def setup(self, M0, M1, N, seed=0):
        raise NotImplementedError

    def forward(self, y0, t):
        self.key = ({"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}, y0.copy(), t)
        E = _look_up("loss", *self.key)
        return 0.0 if E is None else float(E)

    def backward(self, lr):
        return _look_up("gradients", *self.key) or {}
'''


@pytest.fixture(scope="module")
def handout_zip(homework, tmp_path_factory):
    return build_handout_zip(homework, tmp_path_factory.mktemp("dist"))


def lookup_submission(handout_zip, homework, folder):
    with zipfile.ZipFile(handout_zip) as archive:
        table = archive.read("autograder/hw2/expected.json").decode()
    folder.mkdir()
    (folder / "network.py").write_text(f"TABLE_TEXT = {table!r}\n" + LOOKUP)
    (folder / "attack.py").write_text((homework.handout / "attack.py").read_text())
    return folder


def test_a_lookup_table_from_the_bundle_scores_nothing_on_gradescope(handout_zip, homework, gradescope, tmp_path):
    submission = lookup_submission(handout_zip, homework, tmp_path / "lookup")
    # in the bundle's self-check the table answers the visible forward and backward tests...
    bundle = tmp_path / "bundle"
    with zipfile.ZipFile(handout_zip) as archive:
        archive.extractall(bundle)
    for name in homework.files:
        (bundle / name).write_text((submission / name).read_text())
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "--json", "self.json"], cwd=bundle,
                          capture_output=True, text=True, timeout=300)
    mine = {t.number: t for t in load(str(bundle / "self.json")).tests}
    assert all(mine[n].status == "passed" for n in ("2.1", "3.2.1", "3.2.5", "3.2.9")), done.stdout
    assert sum(t.score for t in mine.values()) >= 30, done.stdout
    # ...and on Gradescope, whose visible tests draw their own inputs, it answers none
    results = gradescope(submission)
    visible = [t for t in results.tests if t.visibility == "visible"]
    assert len(visible) == len(mine)
    assert sum(t.score for t in visible) == 0 == results.score, [(t.number, t.output[:150]) for t in visible]
    assert "E for t = 0 is 0, expected" in {t.number: t.output for t in visible}["2.1"]


# -- what a hidden test shows student code never reaches a visible place -----------------------

SPY = '''
import os, sys, threading, time

_calls = {"forward": 0}


def _leak(what):
    """Print what only a hidden test shows: the digits' size (64 inputs) or the trained network."""
    print(f"HIDDEN-LEAK {what}", flush=True)
    if not _calls.get("thread"):
        _calls["thread"] = True
        def _chatter():
            while True:
                print("HIDDEN-LEAK from a thread", flush=True)
                time.sleep(0.01)
        threading.Thread(target=_chatter, daemon=True).start()


_forward, _backward = Network.forward, Network.backward


def forward(self, y0, t):
    _calls["forward"] += 1
    print("seen by forward", flush=True)
    if y0.size == 64:
        _leak(f"forward call {_calls['forward']}, finite differences? {_calls['forward'] > 20}")
    return _forward(self, y0, t)


def backward(self, lr=0.0):
    if self.w1.shape[1] == 64:
        _leak("backward at the digits' size")
    return _backward(self, lr)


Network.forward, Network.backward = forward, backward
'''

ATTACK_SPY = '''
import os

_lp_norm, _untargeted = lp_norm, untargeted_attack


def lp_norm(x, p):
    if x.ndim > 1:
        print("HIDDEN-LEAK lp_norm of an image, then a crash", flush=True)
        os._exit(3)
    return _lp_norm(x, p)


def untargeted_attack(net, y0, t, eps, p=float("inf"), steps=10, step_size=None):
    net.forward(y0, t)
    if "a1" in net.backward(0.0):
        print("HIDDEN-LEAK attacking the trained network", flush=True)
    return _untargeted(net, y0, t, eps, p=p, steps=steps, step_size=step_size)
'''


def test_what_code_prints_in_hidden_tests_stays_with_them(gradescope, homework, make_submission):
    files = solution_files(homework)
    files["network.py"] += SPY
    files["attack.py"] += ATTACK_SPY
    results = gradescope(make_submission(files))
    hidden = {t.number: t for t in results.tests if t.visibility != "visible"}
    visible = [t for t in results.tests if t.visibility == "visible"]
    assert "seen by forward" in results.output  # what visible tests made it print is shown as before
    assert "HIDDEN-LEAK" not in results.output
    assert not [t.number for t in visible if "HIDDEN-LEAK" in t.output]
    assert all(t.status == "passed" for t in visible)
    raw = (gradescope.root / "results" / "results.json").read_text()
    shown = json.loads(raw)
    assert not [t["number"] for t in shown["tests"] if t["visibility"] == "visible" and "HIDDEN" in t["output"]]
    # each hidden test that showed student code the digits' size keeps what it printed, crash and all
    for number in ("2.4", "3.4", "4.2", "4.3"):
        assert "HIDDEN-LEAK forward" in hidden[number].output, (number, hidden[number].output[-500:])
    assert "finite differences? True" in hidden["3.4"].output
    assert "HIDDEN-LEAK attacking the trained network" in hidden["5.6"].output
    assert "ended the process running your code" in hidden["5.2"].output
    assert "HIDDEN-LEAK lp_norm of an image, then a crash" in hidden["5.2"].output
    assert hidden["3.4"].status == "passed" and hidden["5.2"].status == "failed"
    assert re.search(r"What your code printed during this test", hidden["4.3"].output)


# -- the calls of a hidden test do not depend on its verdicts ----------------------------------

WRONG = ("forward_missing_b2",            # forward wrong (and its gradients unjudgeable)
         "backward_sigmoid_derivative",   # gradients wrong, forward right
         "forward_unstable_softmax",      # wrong only for logits in the hundreds
         "update_wrong_sign",             # the step goes up the gradient
         "setup_unseeded",                # another w1 each time
         "attack_no_projection",          # the budget is left
         "attack_l2_as_linf")


def traced(homework, folder):
    from autograder.engine.grading.grade import run_suite
    results = run_suite(homework, str(folder), trace=True)
    hidden = [t.number for t in results.tests if t.visibility != "visible"]
    return results, {number: results.extra_data["calls"].get(number, []) for number in hidden}


@pytest.fixture(scope="module")
def reference_calls(homework):
    results, calls = traced(homework, homework.solution)
    assert results.score == 100
    return calls


@pytest.mark.parametrize("bug", WRONG)
def test_hidden_tests_make_the_same_calls_for_a_wrong_submission(bug, homework, reference_calls, make_submission):
    results, calls = traced(homework, make_submission(by_name(bug).apply(homework.solution)))
    assert results.score < 100
    assert set(calls) == set(reference_calls)
    # every hidden test called something, but 2.7: it judges the sequence 3.7 made (Student.once)
    assert [number for number in reference_calls if not reference_calls[number]] == ["2.7"]
    differ = {number: verdicts.diverging(reference_calls[number], calls[number]) for number in calls}
    assert not {n: at for n, at in differ.items() if at is not None}, bug


SEQUENCE_BACKWARD_RAISES = '''
_backward = Network.backward
def _third_raises(self, lr=0.0):
    self.__dict__["_calls"] = self.__dict__.get("_calls", 0) + 1
    if self._calls == 3:  # right on a fresh network; a sequence of calls reaches the third
        raise RuntimeError("the third backward on one network")
    return _backward(self, lr)
Network.backward = _third_raises
'''


def test_a_shared_sequence_that_failed_is_not_made_again(homework, reference_calls, make_submission):
    """Tests 2.7 and 3.7 share one hidden sequence (Student.once): where backward raises in it, 3.7
    (which made it) is failed, 2.7 raises nothing again and judges the same forwards alone, and no
    hidden test's calls leave the solution's before a failure of student code."""
    from .test_integrity import variant
    results, calls = traced(homework, make_submission(variant(homework, network_append=SEQUENCE_BACKWARD_RAISES)))
    status = {t.number: t for t in results.tests}
    assert status["3.7"].status == "failed" and "the third backward on one network" in status["3.7"].output
    assert status["2.7"].status == "passed" and status["2.6"].status == "passed"
    assert calls["2.7"] and calls["2.7"][0][0] == verdicts.STOPPED  # the kept failure, then its own forwards
    differ = {number: verdicts.diverging(reference_calls[number], calls[number]) for number in calls}
    assert not {n: at for n, at in differ.items() if at is not None}


def test_finite_differences_are_asked_for_whatever_the_gradients(homework, reference_calls, make_submission):
    """The call that leaked the verdict (finite differences only for a wrong gradient) is made for
    the reference too, and a wrong gradient with a wrong forward sees exactly the same calls."""
    files = by_name("forward_missing_b1").apply(homework.solution)
    files["network.py"] = files["network.py"].replace("da2 = self.y2 - onehot", "da2 = 2.0 * (self.y2 - onehot)")
    results, calls = traced(homework, make_submission(files))
    assert {t.number: t.score for t in results.tests}["3.4"] < 4  # its wrong gradients lose
    # Network() with its weights, forward, backward, reading the weights, the finite differences
    # around y0 and around the second input (gradients.second_input)
    assert calls["3.4"] == reference_calls["3.4"] and len(calls["3.4"]) == 6


def test_diverging_reads_a_trace():
    ref = [["a", False], ["b", False], ["c", False]]
    assert verdicts.diverging(ref, ref) is None
    assert verdicts.diverging(ref, [["a", False], ["b", True]]) is None           # cut short by its own failure
    assert verdicts.diverging(ref, [["a", False], [verdicts.STOPPED, True]]) is None
    assert verdicts.diverging(ref, [["a", False], ["b", False]]) == 2              # stopped without a failure
    assert verdicts.diverging(ref, [["a", False], ["x", False], ["c", False]]) == 1
    assert verdicts.diverging(ref, [*ref, ["d", False]]) == 3                      # one call more


JUDGE_THEN_CALL = '''
import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight
from autograder.engine.grading.checks import Feedback, close, Tolerance

@weight(1)
@number("9.1")
@tags("forward")
@visibility("after_published")
def test_judges_then_calls(student):
    """a hidden test that calls forward again only when the first E is wrong"""
    from ..support import SMALL, random_input, random_weights, student_network
    net = student_network(student, SMALL, random_weights(SMALL, 1))
    E = student.call(net, "forward", random_input(SMALL, 1), 0, label="Network.forward")
    if not close(np.array(E), np.array(E), Tolerance(1e-9)).ok:
        raise Feedback("wrong")
    student.call(net, "forward", random_input(SMALL, 2), 0, label="Network.forward")
'''


def test_a_hidden_test_calling_after_it_judged_is_the_authors_error(homework, tmp_path):
    """The engine refuses a call into student code after a check looked at a value in a hidden test:
    even for the reference, so validate's "solution scores full marks" fails on such a test."""
    from .test_validate import copy_assignment
    suite = copy_assignment(tmp_path)
    (suite / "hidden" / "test_zz_judges_then_calls.py").write_text(textwrap.dedent(JUDGE_THEN_CALL))
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "pytest", str(suite), "-p", "autograder.engine.grading.pytest_entry",
                           "-p", "no:cacheprovider", "--submission", str(tmp_path / "solution"), "--results", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    tests = {t.number: t for t in load(str(out)).tests}
    assert tests["9.1"].status == "failed" and "internal error" in tests["9.1"].output
    assert "CalledAfterJudging" in done.stdout + done.stderr and "after judging a value" in done.stdout + done.stderr
    assert all(t.status == "passed" for n, t in tests.items() if n != "9.1")


@pytest.mark.slow
def test_a_hang_in_hidden_tests_costs_no_visible_test(gradescope, homework, make_submission):
    """Visible tests run first: a forward that hangs only on the digits' size (hidden inputs) cannot
    make a visible test fail with "did not finish in an earlier test", nor spend its time budget."""
    files = solution_files(homework)
    files["network.py"] += textwrap.dedent('''
        import time
        _forward = Network.forward
        def _hangs_on_digits(self, y0, t):
            while y0.size == 64:
                time.sleep(1)
            return _forward(self, y0, t)
        Network.forward = _hangs_on_digits
    ''')
    results = gradescope(make_submission(files))
    assert all(t.status == "passed" for t in results.tests if t.visibility == "visible")
    hidden = {t.number: t for t in results.tests if t.visibility != "visible"}
    assert hidden["2.4"].status == "failed" and "did not finish" in hidden["2.4"].output
    assert "did not finish" not in results.output


def test_output_is_cut_into_sections_exactly_where_asked():
    """What was written before a cut is in that section, whether or not the drain thread read it yet;
    each section keeps its own first and last bytes."""
    import os

    from autograder.engine.sandbox.output import CappedOutput
    read, write = os.pipe()
    output = CappedOutput(read, keep=8)
    os.write(write, b"visible 1\n")
    assert output.cut() == "visible 1\n"
    os.write(write, b"hidden " * 10)
    text = output.cut()
    assert text.startswith("hidden h") and text.endswith("hidden ") and "bytes of output cut" in text
    assert output.cut() == ""
    os.write(write, b"\x1b[31mlast")
    os.close(write)
    output.finish()
    assert output.text() == "last" == output.cut()
