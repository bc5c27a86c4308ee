"""Networks the grader lends to a student's attack: the student's code sees only a proxy.

``Lent`` wraps a model and records any attempt to change it through ``backward``
with a learning rate other than 0; assigning an attribute is refused and recorded
by the engine (nothing of a lent model is settable: ``Remote.refused``).
Visible tests lend a softmax-regression model (``LinearModel``), so the
handout's self-check needs no reference solution; hidden tests lend the
trained reference network.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.engine.sandbox.totals import Tally

LINEAR_SOURCE = (Path(__file__).with_name("linear_model.py")).read_text()


from .linear_model import LinearModel, check_input as _check_input  # noqa: E402,F401


def visible_model(seed: int = 7) -> LinearModel:
    """The softmax regression the visible tests lend: random weights from the engine's generator, so
    on Gradescope they are the submission's own (the bundle's recorded ones in the self-check)."""
    from autograder.engine.grading.inputs import generator
    rng = generator(seed)
    return LinearModel(weights={"w": rng.normal(0, 0.5, (10, 64)), "b": rng.normal(0, 0.2, 10)})


def train_linear(images, labels, classes: int = 10, steps: int = 150, lr: float = 2.0) -> dict:
    """Softmax regression fitted by full-batch gradient descent: a small trained network whose
    code (linear_model.py) may run next to the student's, since it is not the homework's."""
    w = np.zeros((classes, images.shape[1]))
    b = np.zeros(classes)
    onehot = np.eye(classes)[labels]
    for _ in range(steps):
        a = images @ w.T + b
        p = np.exp(a - a.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        d = (p - onehot) / len(images)
        w -= lr * d.T @ images
        b -= lr * d.sum(axis=0)
    return {"w": w, "b": b}


LINEAR_RECIPE = {"train": 1200, "steps": 60}


def train_linear_on_digits(train: int, steps: int) -> dict:
    from .data import digits
    images, labels = digits()
    return train_linear(images[:train], labels[:train], steps=steps)


@lru_cache(maxsize=None)
def _trained_linear() -> tuple:
    from . import trained
    weights = trained.stored("linear", LINEAR_RECIPE) or train_linear_on_digits(**LINEAR_RECIPE)
    return tuple(weights.items())


def trained_linear() -> dict:
    """Softmax regression trained on the first 1,200 digits (about 90% right on the others)."""
    return {k: v.copy() for k, v in _trained_linear()}


class Lent:
    """What the student's attack holds as `net`: forward and backward(0) only, weights read-only."""

    methods = ("forward", "backward")

    def __init__(self, model, attributes=()):
        self._model = model
        self.attributes = tuple(attributes)
        self.tampered = Tally()  # a count and the first few: a student may try a million times

    def forward(self, y0, t):
        return self._model.forward(y0, t)

    def backward(self, lr=0.0):
        if not isinstance(lr, (int, float, np.integer, np.floating)) or float(lr) != 0.0:
            self.tampered.add(f"backward(lr={lr!r})")
        return self._model.backward()

    def __getattr__(self, name):
        if name in self.__dict__.get("attributes", ()):
            return np.array(self._model.weights[name], copy=True)
        raise AttributeError(name)


# forward's reply carries backward(0)'s result: an attack step costs one round trip, not two
PREFETCH = {"forward": {"method": "backward", "args": [[], [0.0]]}}


def lend(student, model, attributes=(), counter=[0]):
    """Lend a model to the student's code: (the Lent wrapper, the proxy to pass in calls); no
    attribute is settable, so the engine refuses and records any assignment (proxy.refused)."""
    counter[0] += 1
    lent = Lent(model, attributes)
    proxy = student.remote(f"net{counter[0]}", lent, Lent.methods, lent.attributes, PREFETCH)
    return lent, proxy
