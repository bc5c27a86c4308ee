"""autograder/engine/grading/checks.py and gradcheck.py: exact checks, comparisons, likely mistakes, finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.grading import gradcheck
from autograder.engine.sandbox.channel import ForeignArray, ForeignScalar, Opaque
from autograder.engine.grading.checks import (Feedback, Tolerance, all_close, as_array, as_float, close, compare,
                                              likely_mistake, read_array, read_float, rel_errors)

SHAPE = (2, 3)
SYMBOLS = ("M1", "M0")


def feedback_of(call, *args, **kwargs) -> str:
    with pytest.raises(Feedback) as info:
        call(*args, **kwargs)
    assert isinstance(info.value, AssertionError)  # pytest counts it as a failed check
    return str(info.value)


# -- as_array ---------------------------------------------------------------------------------

def test_as_array_returns_the_right_value_itself():
    value = np.arange(6, dtype=np.float64).reshape(SHAPE)
    assert as_array(value, "w1", SHAPE, SYMBOLS) is value


def test_as_array_accepts_a_list_shape_and_other_dtypes_when_asked():
    value = np.zeros(4, dtype=np.int64)
    assert as_array(value, "idx", [4], dtype=np.int64) is value


def test_as_array_finite_false_lets_nan_through():
    value = np.array([np.nan, 1.0])
    assert as_array(value, "x", (2,), finite=False) is value


@pytest.mark.parametrize("value, received", [
    ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "received a list"),
    (((0.0,),), "received a tuple"),
    (None, "received None (did you forget a return?)"),
    (3.0, "received a float"),
    (np.float64(1.0), "received a NumPy float64"),
    (Opaque("function", "<function forward at 0x1>"), "received a function (<function forward at 0x1>)"),
    (ForeignArray(np.zeros(SHAPE), "student.MyArray"), "received a student.MyArray (a subclass of np.ndarray)"),
    (ForeignScalar(1.0, "student.MyFloat"), "received a student.MyFloat (a subclass of a built-in type)"),
])
def test_as_array_wrong_type_names_what_was_received(value, received):
    text = feedback_of(as_array, value, "w1", SHAPE, SYMBOLS)
    assert text.startswith("w1: expected a NumPy array of shape (2, 3) = (M1, M0)")
    assert received in text


def test_as_array_transposed():
    text = feedback_of(as_array, np.zeros((3, 2)), "w1", SHAPE, SYMBOLS)
    assert "received (3, 2)" in text
    assert "Looks transposed" in text
    assert "(2, 3) = (M1, M0)" in text
    assert "reshape" not in text


def test_as_array_square_wrong_shape_is_not_called_transposed():
    text = feedback_of(as_array, np.zeros((3, 3)), "w", (2, 2))
    assert "Looks transposed" not in text and "reshape" not in text
    assert "received (3, 3)" in text


@pytest.mark.parametrize("shape", [(6,), (1, 6), (6, 1), (3, 2, 1), (1, 2, 3)])
def test_as_array_same_size_other_shape_says_reshape(shape):
    text = feedback_of(as_array, np.zeros(shape), "w1", SHAPE, SYMBOLS)
    assert "reshape" in text and "(2, 3)" in text
    assert "Looks transposed" not in text


def test_as_array_different_size_has_no_hint():
    text = feedback_of(as_array, np.zeros((2, 4)), "w1", SHAPE)
    assert text == "w1: expected shape (2, 3), received (2, 4)."


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.bool_, np.complex128])
def test_as_array_wrong_dtype(dtype):
    text = feedback_of(as_array, np.zeros(SHAPE, dtype=dtype), "w1", SHAPE)
    assert text == f"w1: expected dtype float64, received {np.dtype(dtype)}."


def test_as_array_float32_message():
    text = feedback_of(as_array, np.zeros(SHAPE, dtype=np.float32), "b1", SHAPE)
    assert "float64" in text and "float32" in text


@pytest.mark.parametrize("bad, index", [(np.nan, (1, 2)), (np.inf, (0, 1)), (-np.inf, (1, 0))])
def test_as_array_non_finite_names_the_index(bad, index):
    value = np.zeros(SHAPE)
    value[index] = bad
    text = feedback_of(as_array, value, "w1", SHAPE)
    assert f"w1[{index[0]}, {index[1]}]" in text
    assert str(bad) in text  # nan / inf / -inf
    assert "finite" in text


def test_as_array_non_finite_names_the_first_bad_index_of_a_vector():
    value = np.array([0.0, 1.0, np.nan, np.inf])
    text = feedback_of(as_array, value, "b2", (4,))
    assert "b2[2]" in text and "nan" in text


def test_as_array_non_finite_zero_d():
    text = feedback_of(as_array, np.array(np.nan), "E", ())
    assert "nan" in text and "E[" not in text


# -- as_float ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1.5, np.float64(1.5), np.float32(1.5), -0.0, 1e300])
def test_as_float_accepts_floats(value):
    out = as_float(value, "E")
    assert type(out) is float and out == float(value)


def test_as_float_non_finite_allowed_when_asked():
    assert np.isnan(as_float(float("nan"), "E", finite=False))


def test_as_float_rejects_arrays_naming_the_shape():
    text = feedback_of(as_float, np.array([1.5]), "E")
    assert "expected a scalar" in text and "array of shape (1,)" in text and "float(x[0])" in text
    text = feedback_of(as_float, np.array(1.5), "E")
    assert "expected a scalar" in text and "0-d array" in text and "x[0]" not in text


@pytest.mark.parametrize("value", [1, np.int64(1), True, np.float64, "1.5", None])
def test_as_float_rejects_non_floats(value):
    text = feedback_of(as_float, value, "E")
    assert text.startswith("E: expected a float, received")


def test_as_float_rejects_a_float_subclass():
    text = feedback_of(as_float, ForeignScalar(1.5, "student.MyFloat"), "E")
    assert "student.MyFloat" in text and "subclass" in text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.float64("-inf"), np.float32("nan")])
def test_as_float_rejects_non_finite(value):
    text = feedback_of(as_float, value, "E")
    assert "must be finite" in text


# -- compare ----------------------------------------------------------------------------------

def test_compare_worst_index_and_relative_error():
    want = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    got = want.copy()
    got[0, 1] = 2.02   # rel error 0.02 / 4.02
    got[1, 2] = 6.3    # rel error 0.3 / 12.3, the worst
    c = compare(got, want)
    assert not c.ok
    assert c.worst == (1, 2)
    assert c.rel_error == pytest.approx(0.3 / 12.3, rel=1e-12)
    assert c.got == 6.3 and c.want == 6.0
    assert "w[1, 2]" in c.where("w") and "6.3" in c.where("w") and "expected 6" in c.where("w")


def test_compare_equal_is_ok_with_zero_error():
    x = np.linspace(-1, 1, 7)
    c = compare(x, x.copy())
    assert c.ok and c.rel_error == 0.0


def test_compare_tolerance_edge():
    want = np.array([1.0])
    got = np.array([1.0 + 2e-6])   # rel error ~1e-6
    assert not compare(got, want, tol=5e-7).ok
    assert compare(got, want, tol=2e-6).ok


def test_compare_floor_makes_tiny_entries_absolute():
    # both ~0: relative error would be 1, the floor makes it tiny
    c = compare(np.array([1e-15]), np.array([-1e-15]), floor=1e-8)
    assert c.ok and c.rel_error == pytest.approx(2e-15 / 1e-8)
    assert not compare(np.array([1e-15]), np.array([-1e-15]), floor=1e-20).ok


def test_compare_nan_is_never_ok():
    c = compare(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert not c.ok


def test_compare_zero_d_and_empty():
    c = compare(np.array(2.0), np.array(1.0))
    assert c.worst == () and c.rel_error == pytest.approx(1 / 3) and not c.ok
    assert "E[" not in c.where("E") and c.where("E").startswith("worst entry E: yours 2")
    empty = compare(np.zeros((0, 3)), np.zeros((0, 3)))
    assert empty.ok and empty.rel_error == 0.0


def test_rel_errors_by_hand():
    got, want = np.array([3.0, 0.0, -1.0]), np.array([1.0, 0.0, 1.0])
    assert rel_errors(got, want).tolist() == [0.5, 0.0, 1.0]


# -- likely_mistake -----------------------------------------------------------------------------

@pytest.fixture
def want():
    return np.random.default_rng(0).normal(size=(4, 4))


def test_likely_mistake_sign_flip(want):
    assert "sign is flipped" in likely_mistake(-want, want)


def test_likely_mistake_transposed_square(want):
    assert likely_mistake(want.T.copy(), want) == "Looks transposed."


def test_likely_mistake_factor_two(want):
    text = likely_mistake(2.0 * want, want)
    assert "constant factor" in text and "2 times" in text


def test_likely_mistake_factor_half(want):
    text = likely_mistake(0.5 * want, want)
    assert "constant factor" in text and "0.5 times" in text


def test_likely_mistake_all_zeros(want):
    assert likely_mistake(np.zeros_like(want), want) == "It is all zeros."


def test_likely_mistake_alternative_label(want):
    other = want + 1.0
    label = "You used the pre-activation instead of the activation."
    assert likely_mistake(other.copy(), want, {label: other, "unused": want * 3}) == label


def test_likely_mistake_alternative_wins_over_patterns(want):
    # an alternative that is also minus want: the homework's named cause comes first
    assert likely_mistake(-want, want, {"forgot the chain rule": -want}) == "forgot the chain rule"


def test_likely_mistake_alternative_of_other_shape_is_ignored(want):
    assert likely_mistake(want + 5, want, {"label": np.zeros(3)}) == ""


def test_likely_mistake_random_noise_has_no_pattern(want):
    noise = np.random.default_rng(1).normal(size=want.shape)
    assert likely_mistake(noise, want) == ""


def test_likely_mistake_small_perturbation_has_no_pattern(want):
    assert likely_mistake(want + 1e-3, want) == ""


def test_likely_mistake_expected_all_zeros_says_nothing():
    assert likely_mistake(np.ones(3), np.zeros(3)) == ""


def test_likely_mistake_non_square_transpose_not_claimed():
    want = np.arange(1.0, 7.0).reshape(2, 3)
    got = want.T.reshape(2, 3).copy()
    assert "transposed" not in likely_mistake(got, want)


# -- gradcheck: the grader chooses the points and takes the differences ----------------------------

def evaluate_at(f, x: np.ndarray, entries, values) -> np.ndarray:
    """What a worker's evaluate returns: f at x with one entry replaced, per point."""
    out = []
    for i, v in zip(entries, values):
        moved = x.copy()
        moved.flat[i] = v
        out.append(f(moved))
    return np.array(out)


def test_central_difference_of_sum_of_cubes_by_hand():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    h = 1e-3
    entries = np.arange(x.size)
    plus, minus = gradcheck.points(x, entries, h)
    assert np.allclose(plus, x.ravel() + h) and np.allclose(minus, x.ravel() - h)
    f = lambda z: np.sum(z ** 3)  # noqa: E731
    numeric = gradcheck.central_difference(evaluate_at(f, x, entries, plus), evaluate_at(f, x, entries, minus),
                                           plus, minus)
    # ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2 exactly
    assert np.allclose(numeric.reshape(x.shape), 3 * x ** 2 + h ** 2, rtol=1e-9, atol=1e-9)


def test_central_difference_divides_by_the_actual_distance_between_points():
    out = gradcheck.central_difference([3.0, 5.0], [1.0, 1.0], [1.25, 2.0], [0.25, 1.0])
    assert out.tolist() == [2.0, 4.0]


def test_central_difference_default_h_on_a_vector_meets_the_gradient_tolerance():
    x = np.array([0.3, -0.7, 2.0, 1.1])
    entries = np.arange(x.size)
    plus, minus = gradcheck.points(x, entries)
    f = lambda z: np.sum(z ** 3)  # noqa: E731
    numeric = gradcheck.central_difference(evaluate_at(f, x, entries, plus), evaluate_at(f, x, entries, minus),
                                           plus, minus)
    assert close(numeric, 3 * x ** 2, Tolerance(rel=1e-8)).ok


def test_sample_entries_all_of_a_small_array_and_a_fixed_sample_of_a_large_one():
    assert gradcheck.sample_entries(10).tolist() == list(range(10))
    big = gradcheck.sample_entries(5000, seed=3)
    assert len(big) == gradcheck.SAMPLE == len(set(big.tolist())) and big.max() < 5000
    assert big.tolist() == gradcheck.sample_entries(5000, seed=3).tolist()


# -- tolerances scaled to what is compared ------------------------------------------------------

def test_close_scales_the_bar_with_the_largest_expected_entry():
    want = np.array([1000.0, 1.0])
    assert close(want + np.array([5e-4, 5e-4]), want, Tolerance(rel=1e-6)).ok       # 5e-4 <= 1e-3
    result = close(want + np.array([0.0, 2e-3]), want, Tolerance(rel=1e-6))
    assert not result.ok and result.worst == (1,)
    assert result.difference == pytest.approx(2e-3) and result.tolerance == pytest.approx(1e-3)


def test_close_fails_zeros_against_a_nonzero_expectation_and_nan_always():
    assert not close(np.zeros(3), np.array([1e-3, 0.0, 0.0]), Tolerance(rel=1e-5, abs=1e-12)).ok
    assert not close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), Tolerance(rel=1.0, abs=1.0)).ok


def test_a_failed_comparison_shows_the_difference_the_tolerance_and_digits_to_see_both():
    result = close(np.array([1.0000001]), np.array([1.0]), Tolerance(rel=1e-9))
    text = result.where("E")
    assert "1.0000001" in text and "difference 1e-07 > tolerance 1e-09" in text


# -- reading numbers whose type is off: one mistake, one deduction -----------------------------

@pytest.mark.parametrize("value", [np.array(2.5), np.array([2.5]), [2.5], 2, np.int64(2)])
def test_read_float_reads_an_unambiguous_number_and_names_the_type_problem(value):
    reading = read_float(value, "E")
    assert reading.numbers == float(np.ravel(value)[0]) and reading.problem.startswith("E: expected")


def test_read_float_exact_float_has_no_problem_and_a_0d_array_is_told_float():
    assert read_float(1.5, "E").problem == ""
    assert "float(...)" in read_float(np.array(1.5), "E").problem and "x[0]" not in read_float(np.array(1.5), "E").problem


@pytest.mark.parametrize("value", [ForeignScalar(1.0, "student.Liar"), Opaque("object", "<x>"), float("nan"),
                                   np.array([1.0, 2.0]), [1.0, "a"], None, True])
def test_read_float_gives_no_number_for_hostile_or_ambiguous_values(value):
    assert read_float(value, "E").numbers is None


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3).astype(np.float32),
                                   ForeignArray(np.arange(6.0).reshape(2, 3), "numpy.matrix"),
                                   [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], np.arange(6.0).reshape(1, 2, 3)])
def test_read_array_reads_numbers_of_the_right_layout(value):
    reading = read_array(value, "w1", SHAPE, SYMBOLS)
    assert reading.numbers.dtype == np.float64 and reading.numbers.shape == SHAPE
    assert reading.numbers.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and reading.problem


def test_read_array_row_vector_for_a_vector():
    reading = read_array(np.arange(3.0).reshape(1, 3), "b1", (3,))
    assert reading.numbers.tolist() == [0.0, 1.0, 2.0] and "shape" in reading.problem


@pytest.mark.parametrize("value", [np.zeros((3, 2)), ForeignArray(np.zeros(SHAPE), "student.Sneaky"), 0.0,
                                   np.array(0.0), np.array([np.nan] * 6).reshape(SHAPE), [[1.0, 2.0], [3.0]],
                                   np.zeros(SHAPE, dtype=bool)])
def test_read_array_refuses_transposed_hostile_broadcasting_or_non_finite(value):
    reading = read_array(value, "w1", SHAPE, SYMBOLS)
    assert reading.numbers is None and reading.problem
    with pytest.raises(Feedback):
        reading.require()

def test_all_close_agrees_with_close_pair_by_pair():
    """all_close is the quick answer for many arrays: each pair to its own scale, a nan never close."""
    tol = Tolerance(rel=1e-5, abs=1e-12)
    big, small = np.full((3, 4), 100.0), np.full(5, 1e-3)
    assert all_close([(big + 1e-4, big), (small, small), (2.0, 2.0)], tol)
    assert not all_close([(big, big), (small + 1e-7, small)], tol)  # within big's bar, not small's
    assert close(small + 1e-7, small, tol).ok is False
    assert not all_close([(np.array([np.nan, 1.0]), np.ones(2))], tol)
    assert not all_close([(np.ones(3), np.ones(4))], tol)  # shapes differ: close() decides, and it says no
    assert all_close([], tol) and all_close([(np.zeros(0), np.zeros(0))], tol)


def test_numeric_gradient_of_a_grader_function_by_argument_and_entry():
    """gradcheck.numeric_gradient: central differences of the grader's own function, argument by
    position or keyword, all entries or a chosen few (NaN where none was taken)."""
    w, x = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.3, -0.7])

    def loss(w, x):
        r = w @ x
        return 0.5 * float(r @ r)

    exact_w, exact_x = np.outer(w @ x, x), w.T @ (w @ x)
    assert np.allclose(gradcheck.numeric_gradient(loss, [w, x], 0), exact_w, atol=1e-8)
    assert np.allclose(gradcheck.numeric_gradient(loss, {"w": w, "x": x}, "x"), exact_x, atol=1e-8)
    some = gradcheck.numeric_gradient(loss, [w, x], 0, entries=[1, 2])
    assert np.isnan(some.ravel()[[0, 3]]).all() and np.allclose(some.ravel()[[1, 2]], exact_w.ravel()[[1, 2]])
    assert w[0, 1] == -2.0  # the arguments are left as they were


def test_recorded_gives_back_what_the_guide_says_and_refuses_the_rest_by_name():
    """@recorded (replay.py): arrays, ints and floats kept apart, booleans, strings, None, tuples, lists
    and dicts of them come back as they were; keyword arguments are part of the key; anything else
    is refused at build, naming the function."""
    from autograder.engine.grading import replay
    value = {"E": 1.5, "n": 3, "ok": True, "none": None, "why": "text", "pair": (np.arange(3.0), 2),
             "many": [1, 2.5]}
    back = replay.decode_value(replay.encode_value(value))
    assert back["n"] == 3 and type(back["n"]) is int and type(back["E"]) is float and back["ok"] is True
    assert back["none"] is None and back["why"] == "text" and isinstance(back["pair"], tuple)
    assert np.array_equal(back["pair"][0], np.arange(3.0)) and back["many"] == [1, 2.5]

    @replay.recorded
    def scaled(x, factor=1.0):
        return x * factor

    replay.RECORDING = {}
    try:
        scaled(np.ones(2), factor=3.0)
        scaled(np.ones(2))
        keys = list(replay.RECORDING["scaled"])
    finally:
        replay.RECORDING = None
    assert len(keys) == 2  # the keyword is part of the call's key

    @replay.recorded
    def an_object():
        return object()

    replay.RECORDING = {}
    try:
        with pytest.raises(replay.NotRecordable, match="@recorded an_object: a object cannot be recorded"):
            an_object()
    finally:
        replay.RECORDING = None
