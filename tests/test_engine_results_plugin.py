"""autograder/engine/grading/results.py (the results.json models) and plugin.py (pytest -> Gradescope results)."""

from __future__ import annotations

import json
import os
import stat
import textwrap
import uuid

import pydantic
import pytest

from autograder.engine.grading import results as R
from autograder.engine.grading.plugin import INTERNAL_ERROR, GradescopePlugin, manifest_of
from autograder.engine.grading.results import OUTPUT_LIMIT, Results, fallback, write_atomically
from autograder.engine.grading.results import TestResult as GradescopeTest  # (a name pytest will not try to collect)


def result(**kwargs) -> GradescopeTest:
    fields = dict(name="t", number="1", score=1.0, max_score=1.0, status="passed")
    fields.update(kwargs)
    return GradescopeTest(**fields)


# -- results.py: TestResult ---------------------------------------------------------------------

def test_valid_results_pass_validation():
    r = Results(score=3.5, execution_time=1.0,
                tests=[result(number="1", score=1, max_score=1, status="passed"),
                       result(number="2", score=2.5, max_score=5, status="failed", visibility="after_published")])
    assert r.max_score == 6.0
    assert [t.status for t in r.tests] == ["passed", "failed"]


def test_score_above_max_score_is_rejected():
    with pytest.raises(pydantic.ValidationError, match="scores"):
        result(score=5.5, max_score=5, status="passed")


def test_score_equal_to_max_within_rounding_is_fine():
    assert result(score=5 + 1e-12, max_score=5, status="passed").status == "passed"


@pytest.mark.parametrize("score, max_score, status", [(5, 5, "failed"), (0, 5, "passed"), (4.99, 5, "passed")])
def test_status_inconsistent_with_score_is_rejected(score, max_score, status):
    with pytest.raises(pydantic.ValidationError, match="full marks"):
        result(score=score, max_score=max_score, status=status)


@pytest.mark.parametrize("field, value", [("score", -1), ("max_score", -1), ("status", "errored"),
                                          ("visibility", "secret"), ("output_format", "pdf")])
def test_invalid_field_values_are_rejected(field, value):
    fields = dict(name="t", number="1", score=0.0, max_score=1.0, status="failed")
    fields[field] = value
    with pytest.raises(pydantic.ValidationError):
        GradescopeTest(**fields)


def test_unknown_fields_are_rejected():
    with pytest.raises(pydantic.ValidationError):
        result(extra_thing=1)
    with pytest.raises(pydantic.ValidationError):
        Results(score=0, execution_time=0, leaderboard=[])


def test_duplicate_numbers_are_rejected():
    with pytest.raises(pydantic.ValidationError, match="unique"):
        Results(score=2, execution_time=0, tests=[result(number="1.1", name="a"), result(number="1.1", name="b")])


def test_output_at_the_limit_is_kept_whole():
    text = "x" * OUTPUT_LIMIT
    assert result(output=text).output == text
    assert Results(score=0, execution_time=0, output=text).output == text


def test_output_over_the_limit_is_cut():
    assert OUTPUT_LIMIT == 100_000
    long = "y" * (OUTPUT_LIMIT + 1)
    for cut in (result(output=long).output, Results(score=0, execution_time=0, output=long).output):
        assert len(cut) <= OUTPUT_LIMIT
        assert cut.startswith("y" * 1000)
        assert cut.endswith("[... output cut by the grader]")


def test_output_far_over_the_limit_is_cut():
    cut = result(output="z" * 5_000_000).output
    assert len(cut) <= OUTPUT_LIMIT and "cut by the grader" in cut


# -- results.py: writing and the fallback -------------------------------------------------------

def test_write_atomically_writes_valid_json_and_no_temp_file(tmp_path):
    r = Results(score=2.5, execution_time=0.5, output="notes ✓",
                tests=[result(number="1", score=2.5, max_score=5, status="failed", output="why")])
    path = tmp_path / "out" / "results.json"   # the folder does not exist yet
    write_atomically(r, str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["score"] == 2.5 and data["output"] == "notes ✓"
    assert data["tests"][0]["number"] == "1" and data["tests"][0]["status"] == "failed"
    assert R.load(str(path)) == r
    assert sorted(os.listdir(path.parent)) == ["results.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_atomically_replaces_an_existing_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old, not JSON")
    write_atomically(Results(score=0, execution_time=0), str(path))
    assert json.loads(path.read_text())["score"] == 0
    assert os.listdir(tmp_path) == ["results.json"]


def test_write_atomically_failure_leaves_no_temp_file_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("previous")
    bad = Results.model_construct(score=-1.0, execution_time=0.0, output="", tests=[])  # skips validation
    with pytest.raises(pydantic.ValidationError):
        write_atomically(bad, str(path))
    assert os.listdir(tmp_path) == ["results.json"]
    assert path.read_text() == "previous"


def test_fallback_without_tests():
    r = fallback("grading failed", execution_time=1.5)
    assert r.score == 0 and r.output == "grading failed" and r.tests == [] and r.execution_time == 1.5


def test_fallback_fails_every_test_with_score_zero():
    tests = [result(number="1", name="a", score=3, max_score=3, status="passed", tags=["setup"]),
             result(number="2", name="b", score=1, max_score=4, status="failed", visibility="after_published")]
    r = fallback("the grader broke", tests=[t.model_dump() for t in tests])
    assert r.score == 0
    assert [(t.number, t.name, t.score, t.max_score, t.status) for t in r.tests] == [
        ("1", "a", 0, 3, "failed"), ("2", "b", 0, 4, "failed")]
    assert r.tests[0].tags == ["setup"] and r.tests[1].visibility == "after_published"
    assert all("the grader broke" in t.output for t in r.tests)
    assert r.max_score == 7


def test_fallback_with_a_zero_point_test_does_not_raise():
    # the plugin gives tests without @weight a weight of 0, so a manifest can hold 0-point entries
    tests = [result(number="1", score=0, max_score=0, status="passed")]
    r = fallback("the grader broke", tests=[t.model_dump() for t in tests])
    assert r.tests[0].status == "failed"


# -- plugin.py: running a tiny suite in-process -------------------------------------------------

HEADER = """\
import pytest
from gradescope_utils.autograder_utils.decorators import (
    hide_errors, number, partial_credit, tags, visibility, weight)
"""


def run_suite(tmp_path, body: str, **plugin_kwargs) -> GradescopePlugin:
    """Write one test module into tmp_path (a unique module name) and run it with the plugin."""
    folder = tmp_path / "suite"
    folder.mkdir(parents=True)
    # not named test_*.py: the outer pytest's assertion-rewriting import hook must not touch it, so the
    # inner run sees plain asserts as it would on Gradescope
    module = f"tiny_{uuid.uuid4().hex}.py"
    (folder / module).write_text(HEADER + textwrap.dedent(body))
    logged: list = []
    plugin = GradescopePlugin(log=logged.append, **plugin_kwargs)
    plugin.logged = logged
    pytest.main([str(folder), "-p", "no:cacheprovider", "--assert=plain", "-q", "-c", os.devnull,
                 "--rootdir", str(folder), "--import-mode=importlib", "-o", "python_files=tiny_*.py"],
                plugins=[plugin])
    assert plugin.results is not None
    return plugin


def by_number(plugin) -> dict:
    return {t.number: t for t in plugin.results.tests}


def test_plugin_passing_and_failing_tests(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(3)
        @number("1")
        @tags("setup", "shapes")
        @visibility("visible")
        def test_passes():
            """setup: shapes are right"""
            assert 1 + 1 == 2

        @weight(2)
        @number("2")
        def test_fails():
            """forward: E is right"""
            assert False, "E: expected 1.5, received 2.5."
    ''')
    tests = by_number(plugin)
    assert set(tests) == {"1", "2"}
    ok, bad = tests["1"], tests["2"]
    assert (ok.score, ok.max_score, ok.status, ok.output) == (3, 3, "passed", "")
    assert ok.name == "setup: shapes are right" and ok.tags == ["setup", "shapes"] and ok.visibility == "visible"
    assert (bad.score, bad.max_score, bad.status) == (0, 2, "failed")
    assert bad.output == "E: expected 1.5, received 2.5."
    assert bad.name == "forward: E is right"
    assert plugin.results.score == 3


def test_plugin_bare_assert_gets_a_generic_message(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("1")
        def test_bare():
            assert 1 == 2
    ''')
    t = by_number(plugin)["1"]
    assert t.score == 0 and t.status == "failed" and t.output == "The check failed."


def test_plugin_internal_error_hides_the_traceback(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(4)
        @number("1")
        def test_crashes():
            secret_grader_variable = 1
            return secret_grader_variable / 0
    ''')
    t = by_number(plugin)["1"]
    assert (t.score, t.max_score, t.status) == (0, 4, "failed")
    assert t.output == INTERNAL_ERROR
    assert "ZeroDivisionError" not in t.output and "secret_grader_variable" not in t.output
    # the traceback goes to the staff log instead
    assert any("ZeroDivisionError" in text for text in plugin.logged)


def test_plugin_skip_counts_as_failed(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(2)
        @number("1")
        def test_skips_inside():
            pytest.skip("no data here")

        @weight(3)
        @number("2")
        @pytest.mark.skip(reason="marked")
        def test_marked_skip():
            pass
    ''')
    tests = by_number(plugin)
    assert set(tests) == {"1", "2"}
    for number, weight, reason in (("1", 2, "no data here"), ("2", 3, "marked")):
        t = tests[number]
        assert (t.score, t.max_score, t.status) == (0, weight, "failed")
        assert "did not run" in t.output and reason in t.output


def test_plugin_fixture_error_counts_as_failed(tmp_path):
    plugin = run_suite(tmp_path, '''
        @pytest.fixture
        def broken():
            raise RuntimeError("fixture exploded")

        @pytest.fixture
        def failing_check():
            assert False, "the submission could not be loaded"

        @weight(5)
        @number("1")
        def test_uses_broken(broken):
            pass

        @weight(1)
        @number("2")
        def test_uses_failing_check(failing_check):
            pass
    ''')
    tests = by_number(plugin)
    assert set(tests) == {"1", "2"}
    assert (tests["1"].score, tests["1"].max_score, tests["1"].status) == (0, 5, "failed")
    assert tests["1"].output == INTERNAL_ERROR and "exploded" not in tests["1"].output
    staff_log = "\n".join(plugin.logged)  # staff get the whole traceback, whatever --tb the run used
    assert "Traceback (most recent call last)" in staff_log and 'raise RuntimeError("fixture exploded")' in staff_log
    assert (tests["2"].score, tests["2"].status) == (0, "failed")
    assert tests["2"].output == "the submission could not be loaded"


def test_plugin_teardown_error_after_a_pass_fails_the_test(tmp_path):
    plugin = run_suite(tmp_path, '''
        @pytest.fixture
        def leaky():
            yield
            raise RuntimeError("teardown broke")

        @weight(2)
        @number("1")
        def test_leaky(leaky):
            pass
    ''')
    t = by_number(plugin)["1"]
    assert (t.score, t.status, t.output) == (0, "failed", INTERNAL_ERROR)


def test_plugin_teardown_error_keeps_the_first_failure(tmp_path):
    plugin = run_suite(tmp_path, '''
        @pytest.fixture
        def leaky():
            yield
            raise RuntimeError("teardown broke")

        @weight(2)
        @number("1")
        def test_leaky(leaky):
            assert False, "the real reason"
    ''')
    assert by_number(plugin)["1"].output == "the real reason"


def test_plugin_partial_credit(tmp_path):
    plugin = run_suite(tmp_path, '''
        @partial_credit(5)
        @number("1")
        def test_partial(set_score=None):
            """all gradients"""
            set_score(2.5)

        @partial_credit(4)
        @number("2")
        def test_partial_full(set_score=None):
            set_score(4)

        @partial_credit(3)
        @number("3")
        def test_partial_then_fails(set_score=None):
            set_score(1)
            assert False, "two of three wrong"

        @partial_credit(2)
        @number("4")
        def test_partial_over(set_score=None):
            set_score(99)

        @partial_credit(2)
        @number("5")
        def test_partial_nan(set_score=None):
            set_score(float("nan"))
    ''')
    tests = by_number(plugin)
    assert (tests["1"].score, tests["1"].max_score, tests["1"].status) == (2.5, 5, "failed")
    assert (tests["2"].score, tests["2"].status) == (4, "passed")
    assert (tests["3"].score, tests["3"].status, tests["3"].output) == (1, "failed", "two of three wrong")
    assert (tests["4"].score, tests["4"].status) == (2, "passed")
    assert (tests["5"].score, tests["5"].status) == (0, "failed")
    assert plugin.results.score == 2.5 + 4 + 1 + 2


def test_plugin_parametrized_tests_get_one_result_each(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("3")
        @pytest.mark.parametrize("n", [2, 5, 7])
        def test_sizes(n):
            """works with n={n}"""
            assert n != 5, "n=5 is wrong"

        @weight(2)
        @number("4")
        @pytest.mark.parametrize("k", ["a", "b"])
        def test_plain_doc(k):
            """a fixed docstring"""
    ''')
    tests = by_number(plugin)
    assert set(tests) == {"3.1", "3.2", "3.3", "4.1", "4.2"}
    assert [tests[f"3.{i}"].name for i in (1, 2, 3)] == ["works with n=2", "works with n=5", "works with n=7"]
    assert [tests[f"3.{i}"].score for i in (1, 2, 3)] == [1, 0, 1]
    assert tests["3.2"].output == "n=5 is wrong"
    assert tests["4.1"].name == "a fixed docstring [a]" and tests["4.2"].name == "a fixed docstring [b]"
    assert [t.number for t in plugin.results.tests] == ["3.1", "3.2", "3.3", "4.1", "4.2"]


def test_plugin_docstring_format_error_does_not_lose_tests(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("1")
        @pytest.mark.parametrize("sizes", [3, 4])
        def test_sizes(sizes):
            """network with {sizes[0]} inputs"""
    ''')
    assert set(by_number(plugin)) == {"1.1", "1.2"}


def test_plugin_results_are_sorted_numerically(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("1.10")
        def test_c():
            pass

        @weight(1)
        @number("1.2")
        def test_b():
            pass

        @weight(1)
        @number("2.1")
        def test_d():
            pass

        @weight(1)
        @number("1.1")
        def test_a():
            pass
    ''')
    assert [t.number for t in plugin.results.tests] == ["1.1", "1.2", "1.10", "2.1"]


def test_plugin_unnumbered_test_next_to_numbered_ones(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("1")
        def test_numbered():
            pass

        @weight(1)
        def test_unnumbered():
            pass
    ''')
    assert len(plugin.results.tests) == 2


def test_plugin_visible_only_drops_non_visible_tests(tmp_path):
    body = '''
        @weight(1)
        @number("1")
        @visibility("visible")
        def test_visible():
            pass

        @weight(1)
        @number("2")
        def test_default_visibility():
            pass

        @weight(5)
        @number("3")
        @visibility("after_published")
        def test_hidden_later():
            pass

        @weight(5)
        @number("4")
        @visibility("hidden")
        def test_hidden():
            pass
    '''
    everything = run_suite(tmp_path / "all", body)
    assert set(by_number(everything)) == {"1", "2", "3", "4"}
    assert by_number(everything)["3"].visibility == "after_published"
    visible = run_suite(tmp_path / "visible", body, visible_only=True)
    assert set(by_number(visible)) == {"1", "2"}
    assert visible.results.score == 2


def test_plugin_manifest_adds_tests_that_were_not_collected(tmp_path):
    manifest = [
        {"name": "ran", "number": "1", "max_score": 1.0, "tags": [], "visibility": "visible"},
        {"name": "gone", "number": "2", "max_score": 7.0, "tags": ["attack"], "visibility": "visible"},
        {"name": "gone hidden", "number": "3", "max_score": 2.0, "tags": [], "visibility": "after_published"},
    ]
    body = '''
        @weight(1)
        @number("1")
        def test_ran():
            """ran"""
    '''
    plugin = run_suite(tmp_path / "a", body, manifest=manifest)
    tests = by_number(plugin)
    assert set(tests) == {"1", "2", "3"}
    assert (tests["1"].score, tests["1"].status) == (1, "passed")
    gone = tests["2"]
    assert (gone.name, gone.score, gone.max_score, gone.status, gone.tags) == ("gone", 0, 7, "failed", ["attack"])
    assert "could not be run" in gone.output
    assert tests["3"].visibility == "after_published" and tests["3"].status == "failed"
    assert plugin.results.max_score == 10

    visible = run_suite(tmp_path / "b", body, manifest=manifest, visible_only=True)
    assert set(by_number(visible)) == {"1", "2"}


def test_plugin_collection_error_is_noted_and_manifest_keeps_the_tests(tmp_path):
    manifest = [{"name": "lost", "number": "1", "max_score": 3.0, "tags": [], "visibility": "visible"}]
    plugin = run_suite(tmp_path, '''
        import module_that_does_not_exist_anywhere
    ''', manifest=manifest)
    tests = by_number(plugin)
    assert (tests["1"].score, tests["1"].status) == (0, "failed")
    assert "could not be loaded" in plugin.results.output
    assert "module_that_does_not_exist_anywhere" not in plugin.results.output
    assert any("module_that_does_not_exist_anywhere" in text for text in plugin.logged)


def test_plugin_hide_errors_replaces_the_output(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(2)
        @number("1")
        @hide_errors("A hidden check failed.")
        def test_hidden_reason():
            assert False, "the secret expected value is 42"

        @weight(2)
        @number("2")
        @hide_errors("A hidden check failed.")
        def test_hidden_but_passes():
            pass

        @weight(2)
        @number("3")
        @hide_errors("A hidden check crashed.")
        def test_hidden_crash():
            raise KeyError("grader detail")
    ''')
    tests = by_number(plugin)
    assert (tests["1"].score, tests["1"].output) == (0, "A hidden check failed.")
    assert (tests["2"].score, tests["2"].status, tests["2"].output) == (2, "passed", "")
    assert tests["3"].output == "A hidden check crashed."


def test_plugin_output_is_cleaned_of_terminal_escapes(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(1)
        @number("1")
        def test_escapes():
            assert False, "red \\x1b[31mtext\\x1b[0m here"
    ''')
    assert by_number(plugin)["1"].output == "red text here"


def test_manifest_of_round_trips_through_the_plugin(tmp_path):
    plugin = run_suite(tmp_path, '''
        @weight(2)
        @number("1")
        @tags("t")
        @visibility("after_published")
        def test_one():
            """one"""
    ''')
    assert manifest_of(plugin.results) == [
        {"name": "one", "number": "1", "max_score": 2.0, "tags": ["t"], "visibility": "after_published"}]
