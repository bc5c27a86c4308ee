"""Exact checks on values that came back from student code, with messages a student can act on.

Every value is checked for exact type, shape, dtype and finiteness before
any number in it is compared. Two ways to look at a value:

* ``as_array`` / ``as_float``: strict, for the test that checks type and shape;
* ``read_array`` / ``read_float``: the numbers when they can be read without
  guessing (a 0-d array or a list for a scalar, a row vector for a vector,
  np.matrix, float32), so a value test judges the numbers and a type mistake
  costs only the type test. Hostile values (subclasses of the student's own,
  objects, NaN, broadcasting scalars) give no numbers.

Comparisons use a ``Tolerance`` scaled to what is compared and report the
worst entry, the difference and the bar; ``likely_mistake`` recognises the
usual mistakes (transposed, sign flipped, off by a constant factor, or equal
to an alternative the homework computed).

Each look at a value is noted (verdicts.judged): in a hidden test, no call into
student code may follow one (see verdicts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.engine.grading import verdicts
from autograder.engine.sandbox.channel import ForeignArray, ForeignScalar, Opaque


class Feedback(AssertionError):
    """A failed check; its message is what the student reads."""


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, ForeignArray):
        return f"a {value.type_name} (a subclass of np.ndarray)"
    if isinstance(value, ForeignScalar):
        return f"a {value.type_name} (a subclass of a built-in type)"
    if isinstance(value, Opaque):
        return f"a {value.type_name} ({value.text})"
    if isinstance(value, np.generic):
        return f"a NumPy {type(value).__name__}"
    if value is None:
        return "None (did you forget a return?)"
    return f"a {type(value).__name__}"


def fmt_shape(shape, symbols=None) -> str:
    text = str(tuple(shape))
    return f"{text} = ({', '.join(symbols)})" if symbols else text


def fmt(x) -> str:
    return f"{float(x):.6g}"


def fmt_exact(x) -> str:
    """Enough digits to see a difference of 1e-12 relative."""
    return f"{float(x):.13g}"


def fmt_index(name: str, index) -> str:
    if not index:
        return name
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def as_array(value, name: str, shape, symbols=None, dtype=np.float64, finite: bool = True) -> np.ndarray:
    """The value as a plain float64 ndarray of exactly `shape`, or Feedback saying why not."""
    verdicts.judged(f"checking {name}")
    shape = tuple(shape)
    if not isinstance(value, np.ndarray):
        raise Feedback(f"{name}: expected a NumPy array of shape {fmt_shape(shape, symbols)}, "
                       f"received {describe(value)}.")
    if value.shape != shape:
        hint = ""
        if len(shape) == 2 and value.shape == shape[::-1] and shape[0] != shape[1]:
            hint = f"\n  Looks transposed: {name} must have shape {fmt_shape(shape, symbols)}."
        elif value.size == int(np.prod(shape)):
            hint = f"\n  Same number of entries, wrong shape: reshape to {shape}."
        raise Feedback(f"{name}: expected shape {fmt_shape(shape, symbols)}, received {value.shape}.{hint}")
    if value.dtype != np.dtype(dtype):
        raise Feedback(f"{name}: expected dtype {np.dtype(dtype)}, received {value.dtype}.")
    if finite and not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(value))[0]
        raise Feedback(f"{name}: contains {value[tuple(bad)]} at {fmt_index(name, tuple(bad))}; "
                       f"every entry must be finite.")
    return value


def as_float(value, name: str, finite: bool = True) -> float:
    """A real Python float or NumPy floating scalar (not an array, not a subclass), as float."""
    verdicts.judged(f"checking {name}")
    if type(value) is float or (isinstance(value, np.floating) and type(value).__module__ == "numpy"):
        number = float(value)
    elif isinstance(value, np.ndarray) and value.ndim == 0:
        raise Feedback(f"{name}: expected a scalar (a float), received a 0-d array of dtype {value.dtype}; "
                       f"return float(...) of it.")
    elif isinstance(value, np.ndarray):
        raise Feedback(f"{name}: expected a scalar (a float), received an array of shape {value.shape}; "
                       f"return a float, e.g. float(x[0]) for an array x of one entry.")
    else:
        raise Feedback(f"{name}: expected a float, received {describe(value)}.")
    if finite and not np.isfinite(number):
        raise Feedback(f"{name}: is {number}; it must be finite.")
    return number


# -- reading the numbers of a value whose type or shape is off --------------------------------

@dataclass
class Reading:
    """What a value holds: its numbers when they can be read unambiguously (else None), and
    what is wrong with its exact type, shape or dtype ('' when nothing is)."""
    numbers: object
    problem: str

    def require(self) -> object:
        """The numbers, or Feedback saying why there are none."""
        if self.numbers is None:
            raise Feedback(self.problem)
        return self.numbers


NUMERIC_KINDS = "iuf"  # integers and floats; bool and complex are not numbers a grade reads


def numbers_of(value):
    """An ndarray of the value's numbers, or None: plain arrays, NumPy's own subclasses
    (np.matrix), nested lists or tuples of ints and floats; never a student's own class."""
    verdicts.judged("reading a value's numbers")
    if isinstance(value, ForeignArray):
        if not value.type_name.startswith("numpy."):
            return None  # a subclass of the student's: its methods may lie, so no numbers from it
        value = value.array
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in NUMERIC_KINDS else None
    if isinstance(value, (list, tuple)):
        try:
            array = np.array(value, dtype=object)
        except (ValueError, TypeError):
            return None
        if array.dtype != object or array.size == 0:
            return None
        flat = array.ravel()
        if not all(type(v) in (int, float) or (isinstance(v, np.generic) and v.dtype.kind in NUMERIC_KINDS)
                   for v in flat):
            return None  # ragged, nested objects, bools, strings, subclasses
        return np.array(flat.tolist(), dtype=np.float64).reshape(array.shape)
    return None


def _same_up_to_unit_axes(got: tuple, want: tuple) -> bool:
    return tuple(n for n in got if n != 1) == tuple(n for n in want if n != 1)


def read_array(value, name: str, shape, symbols=None) -> Reading:
    """The value as float64 numbers of exactly `shape` when that needs no guess (a row or column
    vector, np.matrix, float32, a list), with the strict check's message as the problem."""
    shape = tuple(shape)
    try:
        return Reading(as_array(value, name, shape, symbols), "")
    except Feedback as exc:
        problem = str(exc)
    numbers = numbers_of(value)
    if numbers is None or numbers.size != int(np.prod(shape)) or not _same_up_to_unit_axes(numbers.shape, shape):
        return Reading(None, problem)
    numbers = np.asarray(numbers, dtype=np.float64).reshape(shape)
    if not np.all(np.isfinite(numbers)):
        try:
            as_array(numbers, name, shape, symbols)
        except Feedback as exc:
            return Reading(None, str(exc))
    return Reading(numbers, problem)


def read_float(value, name: str) -> Reading:
    """The value as a float when it is one number (a 0-d array, shape (1,), an int, a list of
    one number), with the strict check's message as the problem."""
    try:
        return Reading(as_float(value, name), "")
    except Feedback as exc:
        problem = str(exc)
    if type(value) is int or (isinstance(value, np.integer) and type(value).__module__ == "numpy"):
        return Reading(float(value), problem)
    numbers = numbers_of(value)
    if numbers is None or numbers.size != 1:
        return Reading(None, problem)
    number = float(np.asarray(numbers, dtype=np.float64).ravel()[0])
    if not np.isfinite(number):
        return Reading(None, f"{name}: is {number}; it must be finite.")
    return Reading(number, problem)


# -- tolerances and comparisons ------------------------------------------------------------

@dataclass(frozen=True)
class Tolerance:
    """How close is close enough, and why: entrywise |got - want| <= rel * scale + abs, where
    scale is the largest |want| of the array, so the bar follows the size of what is compared."""
    rel: float
    abs: float = 0.0
    reason: str = ""

    def bound(self, want) -> float:
        want = np.asarray(want, dtype=np.float64)
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        return self.rel * scale + self.abs


def close(got, want, tol: Tolerance) -> "Comparison":
    """Compare two arrays (or numbers) of the same shape under `tol`; report the worst entry (a nan
    is the worst there is). Called a few hundred times a grading: kept to a handful of NumPy calls."""
    verdicts.judged("a comparison")
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = float(np.abs(want).max()) if want.size else 0.0
    bound = tol.rel * scale + tol.abs
    if got.shape != want.shape:
        return Comparison(False, float("inf"), (), float("nan"), float("nan"), float("inf"), bound)
    if got.size == 0:
        return Comparison(True, 0.0, (), 0.0, 0.0, 0.0, bound)
    diff = np.abs(got - want).ravel()
    flat = int(diff.argmax())  # the first nan, where there is one
    worst_diff = float(diff[flat])
    if worst_diff != worst_diff:
        worst_diff = float("inf")
    worst = tuple(int(i) for i in np.unravel_index(flat, got.shape)) if got.ndim else ()
    return Comparison(worst_diff <= bound, worst_diff / scale if scale else worst_diff, worst,
                      float(got.flat[flat]), float(want.flat[flat]), worst_diff, bound)


def all_close(pairs, tol: Tolerance) -> bool:
    """Is every (got, want) pair close under `tol`, each to its own scale? The quick answer for many
    arrays at once (a few NumPy calls in all); close() then reports the pair that is not."""
    verdicts.judged("a comparison")
    pairs, got, want = list(pairs), [], []
    for g, w in pairs:
        g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
        if g.shape != w.shape or not w.size:
            return all(close(a, b, tol).ok for a, b in pairs)
        got.append(g.ravel())
        want.append(w.ravel())
    if not got:
        return True
    starts = np.cumsum([0] + [w.size for w in want[:-1]])
    want_all = np.concatenate(want)
    worst = np.maximum.reduceat(np.abs(np.concatenate(got) - want_all), starts)  # a nan stays nan: not close
    return bool(np.all(worst <= tol.rel * np.maximum.reduceat(np.abs(want_all), starts) + tol.abs))


@dataclass
class Comparison:
    ok: bool
    rel_error: float        # the worst difference over the largest |expected| entry
    worst: tuple
    got: float
    want: float
    difference: float = float("nan")
    tolerance: float = float("nan")

    def where(self, name: str, expected: str = "expected") -> str:
        text = (f"worst entry {fmt_index(name, self.worst)}: yours {fmt_exact(self.got)}, "
                f"{expected} {fmt_exact(self.want)}")
        if self.difference == self.difference and self.tolerance == self.tolerance:
            text += f"; difference {self.difference:.3g} > tolerance {self.tolerance:.3g}" if not self.ok \
                else f"; difference {self.difference:.3g} within tolerance {self.tolerance:.3g}"
        return text


def rel_errors(got: np.ndarray, want: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """CS231n's relative error per entry, |a - b| / max(floor, |a| + |b|)."""
    return np.abs(got - want) / np.maximum(floor, np.abs(got) + np.abs(want))


def compare(got: np.ndarray, want: np.ndarray, tol: float = 1e-6, floor: float = 1e-8) -> Comparison:
    verdicts.judged("a comparison")
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    errors = rel_errors(got, want, floor)
    if errors.size == 0:
        return Comparison(True, 0.0, (), 0.0, 0.0)
    flat = int(np.argmax(errors))
    worst = np.unravel_index(flat, errors.shape) if errors.ndim else ()
    return Comparison(bool(errors.flat[flat] <= tol), float(errors.flat[flat]), tuple(worst),
                      float(got.flat[flat]), float(want.flat[flat]))


def likely_mistake(got: np.ndarray, want: np.ndarray, alternatives: dict | None = None,
                   tol: float = 1e-6) -> str:
    """A named cause when the evidence supports one, else ''. A constant factor is named only for
    arrays with at least two nonzero expected entries (for one number it carries no information)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    for label, alternative in (alternatives or {}).items():
        alternative = np.asarray(alternative, dtype=np.float64)
        if alternative.shape == got.shape and compare(got, alternative, tol).ok:
            return label
    if not np.any(want):
        return ""
    if not np.any(got) and got.size > 1:
        return "It is all zeros."
    if compare(got, -want, tol).ok:
        return "The sign is flipped: yours equals minus the expected value."
    if got.ndim == 2 and got.shape[0] == got.shape[1] and compare(got, want.T, tol).ok:
        return "Looks transposed."
    if np.count_nonzero(want) < 2:
        return ""  # any two numbers have a ratio: a factor says something only across two entries or more
    scale = float(np.vdot(got, want) / np.vdot(want, want))
    if scale != 0 and abs(scale - 1) > 1e-3 and compare(got, scale * want, tol * 10).ok:
        return f"Off by a constant factor: yours is {scale:.4g} times the expected value."
    return ""
