"""Homework 2 helpers: the student's network through the sandbox, the grader's weights, sizes.

Sizes are chosen with M0, M1 and N all different so a transposed matrix shows.
Visible tests use SMALL; hidden tests (hidden/) use other sizes and inputs. Inputs come from
the engine's generator: in a visible test graded on Gradescope, batch or check they are the
submission's own (the bundle's recorded ones elsewhere; see engine/grading/inputs.py).
"""

from __future__ import annotations

import numpy as np

from autograder.engine.grading.checks import Feedback, Reading, as_array, read_array, read_float
from autograder.engine.grading.calls import StudentFailure
from autograder.engine.grading.inputs import generator


SMALL = (7, 5, 3)          # M0, M1, N in the visible tests
PARAMETERS = ("w1", "b1", "w2", "b2")  # the network's weights: what setup makes and an update moves


def shape_of(name: str, sizes) -> tuple:
    m0, m1, n = sizes
    table = {"M0": m0, "M1": m1, "N": n}
    symbols = VARIABLE_SYMBOLS[name]
    return tuple(table[s] for s in symbols), symbols


VARIABLE_SYMBOLS = {"y0": ("M0",), "a1": ("M1",), "y1": ("M1",), "a2": ("N",), "y2": ("N",),
                    "w1": ("M1", "M0"), "b1": ("M1",), "w2": ("N", "M1"), "b2": ("N",)}


def random_weights(sizes, seed: int, scale: float = 1.0, bias: float = 0.5) -> dict:
    """Weights the grader sets: nonzero biases, so a missing bias term shows."""
    m0, m1, n = sizes
    rng = generator(seed)
    return {"w1": rng.normal(0, scale, (m1, m0)), "b1": rng.normal(0, bias, m1),
            "w2": rng.normal(0, scale, (n, m1)), "b2": rng.normal(0, bias, n)}


def random_input(sizes, seed: int) -> np.ndarray:
    return generator(seed + 1000).uniform(0, 1, sizes[0])


def student_network(student, sizes, weights: dict | None = None, seed: int = 0):
    """A student Network of these sizes; with `weights`, the grader's weights assigned on it.

    setup() is tried first so that attributes a student creates there exist,
    but a failing setup costs only the setup stage: the weights are then set.
    """
    assign = None if weights is None else {key: weights[key] for key in PARAMETERS}
    try:  # one round trip: Network(), setup, the weights
        return student.new("network:Network", label="Network()", assign=assign,
                           then=[("setup", sizes, {"seed": seed}, "Network.setup")])
    except StudentFailure as exc:
        if weights is None or getattr(exc, "step", None) != 0:
            raise
        return exc.handle  # setup failed (setup's tests say so); the grader's weights are set


def forward_value(student, net, y0, t) -> Reading:
    """E as forward returned it: its number (when it is one) and what is wrong with its type."""
    return read_loss(student.call(net, "forward", y0, int(t), label="Network.forward"))


def read_loss(value) -> Reading:
    return read_float(value, "E (the return of forward)")


def student_weights(student, net, sizes, strict: bool = True) -> dict:
    """w1, b1, w2, b2 as the student's network holds them: checked for exact shape and dtype
    (strict, for setup's tests) or read as numbers (for tests of what the values are)."""
    return read_weights(raw_weights(student, net), sizes, strict)


def raw_weights(student, net) -> dict:
    """w1, b1, w2, b2 as the worker sent them, not looked at yet (a hidden test reads them after
    its last call)."""
    try:
        return student.get_many(net, PARAMETERS, label="reading net.w1, net.b1, net.w2, net.b2")
    except StudentFailure as exc:
        if "AttributeError" in str(exc):
            raise Feedback(f"setup: {exc}\n  setup must create self.w1, self.b1, self.w2 and self.b2.") from None
        raise


def read_weights(values: dict, sizes, strict: bool = False) -> dict:
    """{w1, b1, w2, b2} from a mapping the worker sent: exact arrays (strict) or their numbers."""
    if not isinstance(values, dict):
        raise Feedback("reading w1, b1, w2, b2 did not give them.")
    out = {}
    for key in PARAMETERS:
        shape, symbols = shape_of(key, sizes)
        if strict:
            out[key] = as_array(values.get(key), key, shape, symbols).copy()
        else:
            out[key] = np.array(read_array(values.get(key), key, shape, symbols).require(), copy=True)
    return out
