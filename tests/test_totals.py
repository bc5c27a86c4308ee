"""What the grader keeps on a submission's behalf across calls is bounded (engine/sandbox/totals.py).

Each budget is attacked by a hostile submission that sends far more than it: refused assignments
and misuse of a lent network (through run_autograder), callbacks in one call (run_autograder) and
in all (a real worker), output across worker restarts and error reports (a real worker). Each test
checks that the grader's memory stays flat and that the verdicts stay right: the calls that hit a
budget fail saying so, every other test keeps its marks.
"""

import gc
import textwrap
import tracemalloc

import pytest

from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.limits import Limits
from autograder.engine.sandbox.output import HeadTail
from autograder.engine.sandbox.round_trip import failure
from autograder.engine.sandbox.student import Sandbox, Student
from autograder.engine.sandbox.totals import TOTALS, Tally, Totals

from .helpers import PROJECT, solution_files
from .test_channel_bounds import grade_measuring_memory
from .test_hostile import only, outputs, valid_and_ours


# -- the records themselves -------------------------------------------------------------

def test_a_tally_keeps_a_count_and_the_first_few_distinct_entries():
    tally = Tally(entries=3, chars=10)
    for i in range(100_000):
        tally.add(f"set {i % 4}" + "x" * (i % 2) * 1000)
    assert tally.count == 100_000 and tally
    assert tally.entries == ["set 0", "set 1xxxxx... [995 more characters cut]", "set 2"]
    assert not Tally()


def test_what_workers_printed_keeps_its_start_and_end():
    """Each place printed output goes (the top level, each hidden test) keeps the first and last
    `keep` characters of everything every worker printed there, and counts what was cut."""
    log = HeadTail(10, "")
    for i in range(1000):
        log.add(f"worker {i:03d}")
    assert log.head == "worker 000" and log.tail == "worker 999"
    assert log.dropped == 1000 * 10 - 20
    assert not HeadTail(100, "")


def test_an_error_report_is_cut_to_what_an_honest_worker_sends():
    error = {"type": "T" * 10**6, "message": "m" * 10**6, "file": "f" * 10**6, "line": "9" * 10**6,
             "text": "t" * 10**6, "frames": [["a" * 10**5, i, "n" * 10**5, "s" * 10**5] for i in range(10**4)]}
    exc = failure("forward", error)
    assert isinstance(exc, F.StudentException) and len(str(exc)) < 20_000
    assert [f[1] for f in exc.error["frames"]] == list(range(10**4 - TOTALS.error_frames, 10**4))
    assert "more characters cut" in exc.error["message"]
    assert len(str(failure("forward", {"type": "NotImplementedError", "frames": error["frames"]}))) < 1000


# -- through run_autograder: records a callback appends, callbacks in one call -------------------

def with_attacks(homework, before: str) -> dict:
    """The solution, with `before` run at the start of both attacks (net, y0, t, eps in scope;
    `lent` says whether net is the grader's proxy, not a model installed in the worker)."""
    files = solution_files(homework)
    files["attack.py"] += (
        "\n\n_honest = {'untargeted': untargeted_attack, 'targeted': targeted_attack}\n\n\n"
        "def _hostile(kind, net, y0, t, eps, p, steps, step_size):\n"
        "    lent = type(net).__name__ == 'RemoteProxy'\n"
        + textwrap.indent(textwrap.dedent(before), "    ")
        + "\n    return _honest[kind](net, y0, t, eps, p, steps, step_size)\n\n\n"
        "def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):\n"
        "    return _hostile('untargeted', net, y0, t, eps, p, steps, step_size)\n\n\n"
        "def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):\n"
        "    return _hostile('targeted', net, y0, target, eps, p, steps, step_size)\n")
    return files


# ~20 MB of distinct 1 MB names (or learning rates) on each of the ~15 calls that get the grader's
# network: ~300 MB in all, which the grader used to keep (345 MiB at its peak, measured).
RECORD_ATTACKS = {
    "refused_assignments": "setattr(net, 'w%07d' % i + 'x' * 1_000_000, 0.0)",
    "backward_with_a_learning_rate": "net.forward(y0, t), net.backward('r%07d' % i + 'x' * 1_000_000)",
}


@pytest.mark.parametrize("case", sorted(RECORD_ATTACKS))
def test_attempts_to_change_the_network_cost_the_grader_a_fixed_amount(case, gradescope, homework,
                                                                         make_submission):
    body = f"""
        if lent:
            for i in range(20):
                {RECORD_ATTACKS[case]}
    """
    results, peak_mib = grade_measuring_memory(gradescope.root, make_submission(with_attacks(homework, body)))
    valid_and_ours(gradescope)
    assert peak_mib < 150, f"a process of the grading run peaked at {peak_mib:.0f} MiB"
    only(results, "attack")
    failed = [t for t in results.tests if t.status != "passed"]
    assert failed and all("tried to change the network 20 times (" in t.output for t in failed), \
        [t.output[:300] for t in failed]
    assert all(len(t.output) < 2000 for t in failed)  # three entries named, each cut
    assert "5.4" in {t.number for t in failed}  # the visible test of the contract
    assert {"5.1", "5.3", "5.5", "5.9"}.isdisjoint(t.number for t in failed)  # they do not judge it


# An endless loop on the lent network, at the rate the grader can answer: the callbacks are written
# straight to the socket without waiting for the replies (a thread reads and drops them), so the
# budget, not the scheduling of a loaded machine, decides when the call ends.
ENDLESS_CALLBACKS = """
    if lent and kind == "untargeted":
        import gc, json, struct, threading
        sock = next(o for o in gc.get_objects() if type(o).__name__ == "Channel").sock
        threading.Thread(target=lambda: [None for _ in iter(lambda: sock.recv(1 << 16), b"")], daemon=True).start()
        header = json.dumps({"callback": object.__getattribute__(net, "_name"), "cop": "setattr",
                             "method": "w1", "value": 0.0}).encode()
        burst = (struct.pack("!II", 1, len(header)) + header) * 1000
        while True:
            sock.sendall(burst)
"""


def test_an_endless_loop_on_the_lent_network_stops_at_the_budget(gradescope, homework, make_submission):
    body = ENDLESS_CALLBACKS
    results, peak_mib = grade_measuring_memory(gradescope.root, make_submission(with_attacks(homework, body)))
    valid_and_ours(gradescope)
    assert peak_mib < 150, f"a process of the grading run peaked at {peak_mib:.0f} MiB"
    only(results, "attack")
    text = outputs(results, "attack")
    assert "untargeted_attack used the objects the grader passed to it" in text, text
    assert f"more than {TOTALS.callbacks_per_call:,} times in one call" in text, text
    assert "did not finish" not in text  # stopped by the budget, not by the call's clock
    scores = {t.number: t.score for t in results.tests}
    assert scores["5.1"] > 0  # lp_norm needs no network


# -- a real worker: callbacks in all, output across restarts, error reports -------------------------

@pytest.fixture
def sandbox():
    box = Sandbox(Limits())
    yield box
    box.shutdown()


def hostile_student(sandbox, tmp_path, code: str, totals: Totals | None = None) -> Student:
    source = tmp_path / "hostile.py"
    source.write_text(textwrap.dedent(code))
    return Student(sandbox, {"hostile.py": str(source)}, totals=totals)


class Counter:
    """A grader object to lend: counts its uses, keeps nothing."""

    def __init__(self):
        self.uses = 0

    def forward(self, x):
        self.uses += 1
        return x


def test_uses_of_lent_objects_are_bounded_in_all_calls(sandbox, tmp_path):
    totals = Totals(callbacks_per_call=1000, callbacks_per_submission=3000)
    student = hostile_student(sandbox, tmp_path, """
        def use(net, n):
            for i in range(n):
                net.forward(i)
            return n

        def plain(x):
            return x + 1
    """, totals)
    counter = Counter()
    net = student.remote("net", counter, ("forward",))
    try:
        with pytest.raises(F.TooManyCallbacks, match="more than 1,000 times in one call"):
            student.call("hostile:use", None, net, 5000)
        assert student.call("hostile:use", None, net, 900) == 900  # a fresh worker, the budget per call anew
        assert student.call("hostile:use", None, net, 900) == 900
        with pytest.raises(F.TooManyCallbacks, match="more than 3,000 times in all its calls"):
            student.call("hostile:use", None, net, 900)
        assert counter.uses == 1000 + 900 + 900 + 199  # the one past a budget is never answered
        with pytest.raises(F.TooManyCallbacks, match="every call that uses them fails"):
            student.call("hostile:use", None, net, 1)
        assert student.call("hostile:plain", None, 1) == 2  # calls that use no lent object run as before
    finally:
        student.close()


def retained_bytes(action) -> int:
    """What the grader's Python heap still holds after `action` (its garbage collected)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_output_of_many_crashed_workers_is_kept_within_the_budget(sandbox, tmp_path):
    """40 workers each print 200 KB and crash: the grader used to keep 64 KiB of each (2.6 MB)."""
    student = hostile_student(sandbox, tmp_path, """
        import os, sys
        def crash(n):
            for line in range(5000):
                print(f"worker {n:03d} line {line:04d} " + "." * 20)
            sys.stdout.flush()
            os._exit(3)
    """)
    kept = TOTALS.retired_output_chars

    def crash_many():
        for n in range(40):
            with pytest.raises(F.Crashed, match="status 3"):
                student.call("hostile:crash", None, n)
    try:
        grown = retained_bytes(crash_many)
        text = student.output()
        assert grown < 4 * kept, f"the grader kept {grown:,} bytes more"
        assert len(text) < 2 * kept + 100
        assert text.startswith("worker 000 line 0000") and text.rstrip().endswith("worker 039 line 4999 " + "." * 20)
        assert "characters of output cut" in text
    finally:
        student.close()


ENLARGE_ERRORS = """
    import gc
    channel = next(o for o in gc.get_objects() if type(o).__name__ == "Channel")
    honest = channel.send_raw

    def enlarge(message, frames):
        if message.get("ok") is False:
            message = {"ok": False, "error": {"type": "E" * 50_000, "message": "m" * 700_000,
                                              "frames": [["f.py", i, "n", "t"] for i in range(10_000)]}}
        honest(message, frames)

    channel.send_raw = enlarge
"""


def _kept_failures(student, target: str) -> tuple:
    """Thirty failing calls of `target`, each failure held on to as a test may: (the failures, the
    bytes the grader kept meanwhile)."""
    kept = []

    def fail_often():
        for n in range(30):
            with pytest.raises(F.StudentException) as info:
                student.call(target, None, n)
            kept.append(info.value)
    return kept, retained_bytes(fail_often)


def test_error_reports_are_kept_cut(sandbox, tmp_path):
    """A worker whose every error report is ~1 MiB (a message of 700 KB, 10,000 frames): the
    failures a suite keeps (one per import, and those a test holds on to) stay small."""
    student = hostile_student(sandbox, tmp_path, textwrap.dedent(ENLARGE_ERRORS) + "\ndef fail(n):\n    raise ValueError(n)\n")
    try:
        kept, grown = _kept_failures(student, "hostile:fail")
        assert all(len(str(exc)) < 10_000 and "more characters cut" in str(exc) for exc in kept)
        assert grown < 2_000_000, f"the grader kept {grown:,} bytes more for 30 failures"
    finally:
        student.close()


def test_the_budget_leaves_the_suite_a_wide_margin(grade_in_process):
    """The reference solution, graded with every test: its calls use lent objects far less often
    than the budget allows (totals.py states 25 in one call and 123 in all)."""
    seen = []

    class Counting(Student):
        def _count_callback(self, callbacks, label):
            seen.append(callbacks)
            super()._count_callback(callbacks, label)

    results = grade_in_process(PROJECT / "solution", student_class=Counting)
    assert results.score == 100
    assert 0 < max(seen) <= TOTALS.callbacks_per_call / 100, max(seen)
    assert 0 < len(seen) <= TOTALS.callbacks_per_submission / 100, len(seen)


def test_an_import_failure_is_kept_cut(sandbox, tmp_path):
    """The failure of an import is kept for the whole run (every later use of the module fails
    with it at once): a hostile module's 1 MiB report is kept as an honest one would be."""
    student = hostile_student(sandbox, tmp_path, textwrap.dedent(ENLARGE_ERRORS) + "\nraise ImportError('no')\n")
    try:
        kept, grown = _kept_failures(student, "hostile:anything")
        assert all(str(exc).startswith("importing hostile.py raised EEEE") for exc in kept)
        assert all(len(str(exc)) < 10_000 and "more characters cut" in str(exc) for exc in kept)
        assert grown < 1_000_000, f"the grader kept {grown:,} bytes more for one import failure"
        assert len(student.import_failures) == 1
    finally:
        student.close()
