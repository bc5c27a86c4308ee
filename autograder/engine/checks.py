"""Exact checks on values that came back from student code, with messages a student can act on.

Every value is checked for exact type, shape, dtype and finiteness before
any number in it is compared; comparisons report the worst entry and
recognise the usual mistakes (transposed, sign flipped, off by a constant
factor, or equal to an alternative the homework names).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .channel import ForeignArray, ForeignScalar, Opaque


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


def fmt_index(name: str, index) -> str:
    if not index:
        return name
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def as_array(value, name: str, shape, symbols=None, dtype=np.float64, finite: bool = True) -> np.ndarray:
    """The value as a plain float64 ndarray of exactly `shape`, or Feedback saying why not."""
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
    if type(value) is float or (isinstance(value, np.floating) and type(value).__module__ == "numpy"):
        number = float(value)
    elif isinstance(value, np.ndarray):
        raise Feedback(f"{name}: expected a scalar (a float), received an array of shape {value.shape}; "
                       f"return a float, e.g. float(...) or an entry such as x[0].")
    else:
        raise Feedback(f"{name}: expected a float, received {describe(value)}.")
    if finite and not np.isfinite(number):
        raise Feedback(f"{name}: is {number}; it must be finite.")
    return number


@dataclass
class Comparison:
    ok: bool
    rel_error: float
    worst: tuple
    got: float
    want: float

    def where(self, name: str) -> str:
        return (f"worst entry {fmt_index(name, self.worst)}: yours {fmt(self.got)}, "
                f"expected {fmt(self.want)}")


def rel_errors(got: np.ndarray, want: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """CS231n's relative error per entry, |a - b| / max(floor, |a| + |b|)."""
    return np.abs(got - want) / np.maximum(floor, np.abs(got) + np.abs(want))


def compare(got: np.ndarray, want: np.ndarray, tol: float = 1e-6, floor: float = 1e-8) -> Comparison:
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
    """A named cause when the evidence supports one, else ''."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    for label, alternative in (alternatives or {}).items():
        alternative = np.asarray(alternative, dtype=np.float64)
        if alternative.shape == got.shape and compare(got, alternative, tol).ok:
            return label
    if not np.any(want):
        return ""
    if not np.any(got):
        return "It is all zeros."
    if compare(got, -want, tol).ok:
        return "The sign is flipped: yours equals minus the expected value."
    if got.ndim == 2 and got.shape[0] == got.shape[1] and compare(got, want.T, tol).ok:
        return "Looks transposed."
    scale = float(np.vdot(got, want) / np.vdot(want, want))
    if scale != 0 and abs(scale - 1) > 1e-3 and compare(got, scale * want, tol * 10).ok:
        return f"Off by a constant factor: yours is {scale:.4g} times the expected value."
    return ""
