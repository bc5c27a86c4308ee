"""Central finite differences, computed in the grader (after CS231n's gradient_check.py).

The grader chooses every point: x_i + h and x_i - h for each sampled entry i.
The student's process only evaluates their function there and sends back the
values; the differences, the division and every comparison happen here, on
values that were checked to be numbers.
"""

from __future__ import annotations

import numpy as np

H = 1e-5       # float64: truncation ~h^2 = 1e-10, round-off ~1e-16 / h = 1e-11 (relative to f)
SAMPLE = 48    # entries checked in a large array, as CS231n's grad_check_sparse does


def sample_entries(size: int, seed: int = 0, sample: int = SAMPLE) -> np.ndarray:
    """Every flat index of a small array; a fixed random sample of a large one."""
    if size <= sample:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, sample, replace=False))


def points(base: np.ndarray, entries, h: float = H) -> tuple:
    """(x_i + h, x_i - h) for each entry: the values the student's function is evaluated at."""
    x = np.asarray(base, dtype=np.float64).ravel()[np.asarray(entries, dtype=int)]
    return x + h, x - h


def central_difference(f_plus, f_minus, x_plus, x_minus) -> np.ndarray:
    """(f(x + h e_i) - f(x - h e_i)) / (the actual distance between the two points)."""
    f_plus, f_minus = np.asarray(f_plus, dtype=np.float64), np.asarray(f_minus, dtype=np.float64)
    return (f_plus - f_minus) / (np.asarray(x_plus, dtype=np.float64) - np.asarray(x_minus, dtype=np.float64))


def numeric_gradient(f, args, which, entries=None, h: float = H) -> np.ndarray:
    """d f(*args) / d args[which] by central differences, for a function of the grader's own (never
    student code: for that, Student.evaluate takes the points). `which` is the argument's position or
    keyword; `entries` the flat indices to difference (all by default). Returns an array of the
    argument's shape: the differences at those entries, NaN elsewhere (nothing is claimed there)."""
    args = list(args) if not isinstance(args, dict) else dict(args)
    base = np.asarray(args[which], dtype=np.float64)
    entries = np.arange(base.size) if entries is None else np.asarray(entries, dtype=int)
    plus, minus = points(base, entries, h)
    values = []
    for i, value in zip(np.concatenate([entries, entries]), np.concatenate([plus, minus])):
        moved = base.copy().ravel()
        moved[i] = value
        args[which] = moved.reshape(base.shape)
        values.append(float(f(**args) if isinstance(args, dict) else f(*args)))
    out = np.full(base.size, np.nan)
    out[entries] = central_difference(values[:len(entries)], values[len(entries):], plus, minus)
    return out.reshape(base.shape)
