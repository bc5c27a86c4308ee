"""autograder/engine/checks.py and gradcheck.py: exact checks, comparisons, likely mistakes, finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine import gradcheck
from autograder.engine.channel import ForeignArray, ForeignScalar, Opaque
from autograder.engine.checks import Feedback, as_array, as_float, compare, likely_mistake, rel_errors

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


@pytest.mark.parametrize("value", [np.array(1.5), np.array([1.5])])
def test_as_float_rejects_arrays_naming_the_shape(value):
    text = feedback_of(as_float, value, "E")
    assert "expected a scalar" in text and f"array of shape {value.shape}" in text


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


# -- gradcheck ----------------------------------------------------------------------------------

def probe(f, x: np.ndarray, h: float) -> np.ndarray:
    """What a worker's probe returns: row 0 f(x + h e_i), row 1 f(x - h e_i)."""
    values = np.empty((2, x.size))
    for i in range(x.size):
        for row, sign in ((0, 1), (1, -1)):
            shifted = x.copy()
            shifted.flat[i] += sign * h
            values[row, i] = f(shifted)
    return values


def test_central_difference_of_sum_of_cubes_by_hand():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    h = 1e-3
    values = probe(lambda z: np.sum(z ** 3), x, h)
    # ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2 exactly
    by_hand = 3 * x ** 2 + h ** 2
    numeric = gradcheck.central_difference(values, x.size, h=h)
    assert numeric.shape == (x.size,)
    assert np.allclose(numeric.reshape(x.shape), by_hand, rtol=1e-9, atol=1e-9)


def test_central_difference_uses_the_rows_in_order():
    values = np.array([[3.0, 5.0], [1.0, 1.0]])
    out = gradcheck.central_difference(values, 2, h=0.5)
    assert out.tolist() == [2.0, 4.0]


def test_central_difference_default_h_on_a_vector():
    x = np.array([0.3, -0.7, 2.0, 1.1])
    values = probe(lambda z: np.sum(z ** 3), x, gradcheck.H)
    numeric = gradcheck.central_difference(values, x.size)
    assert gradcheck.check_gradient(3 * x ** 2, numeric).ok


@pytest.mark.parametrize("shape", [(3, 6), (2, 5), (6,), (2, 6, 1)])
def test_central_difference_rejects_a_wrong_probe_shape(shape):
    with pytest.raises(ValueError):
        gradcheck.central_difference(np.zeros(shape), 6)


def test_sample_entries_all_of_a_small_array_and_a_fixed_sample_of_a_large_one():
    assert gradcheck.sample_entries(10).tolist() == list(range(10))
    big = gradcheck.sample_entries(5000, seed=3)
    assert len(big) == gradcheck.SAMPLE == len(set(big.tolist())) and big.max() < 5000
    assert big.tolist() == gradcheck.sample_entries(5000, seed=3).tolist()


def test_check_gradient_passes_at_1e_9():
    analytic = np.array([[1.0, -2.0], [0.5, 3.0]])
    numeric = analytic * (1 + 2e-9)   # relative error ~1e-9
    c = gradcheck.check_gradient(analytic, numeric)
    assert c.ok and 0 < c.rel_error < 1e-8


def test_check_gradient_fails_at_1e_2():
    analytic = np.array([[1.0, -2.0], [0.5, 3.0]])
    numeric = analytic.copy()
    numeric[1, 0] *= 1.02             # relative error ~1e-2 on one entry
    c = gradcheck.check_gradient(analytic, numeric)
    assert not c.ok and c.worst == (1, 0)
    assert c.rel_error == pytest.approx(0.01 / 1.01, rel=1e-9)


def test_check_gradient_tiny_entries_compared_absolutely():
    analytic = np.array([1e-13, 1.0])
    numeric = np.array([-1e-13, 1.0])  # opposite signs but both negligible
    assert gradcheck.check_gradient(analytic, numeric).ok
