"""The reference solution, loaded from solution/ into the grader's process only.

It never reaches the worker: student code sees the grader's network only as
a proxy whose calls come back here (see LentNetwork).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.engine.grading.replay import recorded

from . import trained
from .support import PARAMETERS

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def _load(name: str):
    config = json.loads((HERE / "homework.json").read_text())
    path = HERE.parents[1] / config["solution_dir"] / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_hw2_reference_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def network_module():
    return _load("network")


def attack_module():
    return _load("attack")


def make_network(weights: dict):
    """A reference Network holding copies of the given weights."""
    net = network_module().Network()
    for key in PARAMETERS:
        setattr(net, key, np.array(weights[key], dtype=np.float64))
    return net


@recorded
def loss(weights: dict, y0, t) -> float:
    return make_network(weights).forward(np.array(y0, dtype=np.float64), int(t))


@recorded
def gradients(weights: dict, y0, t) -> dict:
    net = make_network(weights)
    net.forward(np.array(y0, dtype=np.float64), int(t))
    return net.backward(0.0)


@recorded
def loss_and_gradients(weights: dict, y0, t) -> dict:
    """{"E": E, and every gradient}: one forward and backward (a sequence's truth of each call)."""
    net = make_network(weights)
    E = net.forward(np.array(y0, dtype=np.float64), int(t))
    return {"E": float(E), **net.backward(0.0)}


@recorded
def loss_variant(weights: dict, y0, t, variant: str) -> float:
    """E as the usual forward mistakes compute it, to name the mistake in feedback."""
    y0, t = np.asarray(y0, dtype=np.float64), int(t)
    if variant == "no_b1":
        return loss(dict(weights, b1=np.zeros_like(weights["b1"])), y0, t)
    if variant == "no_b2":
        return loss(dict(weights, b2=np.zeros_like(weights["b2"])), y0, t)
    if variant == "log_without_minus":
        return -loss(weights, y0, t)
    if variant == "probability":
        return float(np.exp(-loss(weights, y0, t)))
    if variant == "no_sigmoid":
        a2 = weights["w2"] @ (weights["w1"] @ y0 + weights["b1"]) + weights["b2"]
        shifted = a2 - a2.max()
        return float(np.log(np.exp(shifted).sum()) - shifted[t])
    raise ValueError(variant)


@recorded
def attack(model: str, weights: dict, y0, cls, eps, p, steps, step_size, kind: str, guard: float,
           rms_ball: bool) -> np.ndarray:
    """The contract's attack, computed in the grader on its own model ("linear" or "network"): steps of
    step_size (2.5 eps / steps by default) along sign(dE/dy0) or dE/dy0 / (||dE/dy0||_2 + guard), each
    followed by projection onto the eps-ball (with the root-mean-square instead of the L2 norm when
    `rms_ball`, a usual slip) and clipping to [0, 1]. Never shipped in the student's bundle."""
    return _attack(model, weights, y0, cls, eps, p, steps, step_size, kind, guard, rms_ball)[0]


@recorded
def ball_binds(model: str, weights: dict, y0, cls, eps, p, steps, step_size, kind: str, rms_ball: bool) -> bool:
    """Does the attack's projection (onto the root-mean-square ball, radius sqrt(n) eps, when `rms_ball`)
    ever shrink a step? Where it never does, the attack equals one that does not project, so its result
    says nothing about which norm a submission projects with."""
    return _attack(model, weights, y0, cls, eps, p, steps, step_size, kind, 0.0, rms_ball)[1]


def _attack(model: str, weights: dict, y0, cls, eps, p, steps, step_size, kind: str, guard: float,
           rms_ball: bool) -> tuple:
    """(attack's result, whether a projection ever shrank a step)."""
    if model == "linear":
        from .linear_model import LinearModel
        net = LinearModel(weights=weights)
    else:
        net = ReferenceModel(weights)
    sign = 1.0 if kind == "untargeted" else -1.0
    step_size = 2.5 * eps / steps if step_size is None else step_size
    y0 = np.asarray(y0, dtype=np.float64)
    y, bound = y0.copy(), False
    for _ in range(steps):
        net.forward(y, int(cls))
        g = net.backward()["y0"]
        size = np.linalg.norm(g)
        step = np.sign(g) if p == np.inf else (g / (size + guard) if size > 0 else np.zeros_like(g))
        delta = y + sign * step_size * step - y0
        if p == np.inf:
            bound = bound or bool(np.max(np.abs(delta)) > eps)
            delta = np.clip(delta, -eps, eps)
        else:
            length = np.sqrt(np.mean(delta ** 2)) if rms_ball else np.linalg.norm(delta)
            bound = bound or bool(length > eps)
            delta = delta * min(1.0, eps / length) if length > 0 else delta
        y = np.clip(y0 + delta, 0.0, 1.0)
    return y, bound


def predict(weights: dict, images: np.ndarray) -> np.ndarray:
    """Classes for a batch of inputs (rows), from the weights alone."""
    a1 = images @ weights["w1"].T + weights["b1"]
    y1 = 0.5 * (1 + np.tanh(0.5 * a1))
    return np.argmax(y1 @ weights["w2"].T + weights["b2"], axis=1)


TRAINED_RECIPE = {"m1": 32, "epochs": 8, "lr": 2.0, "seed": 0}  # the hidden tests' network


@lru_cache(maxsize=None)
def _trained(m1: int, epochs: int, lr: float, seed: int) -> tuple:
    recipe = {"m1": m1, "epochs": epochs, "lr": lr, "seed": seed}
    weights = trained.stored("network", recipe) or train_network(**recipe)
    return tuple((k, weights[k]) for k in PARAMETERS)


def train_network(m1: int, epochs: int, lr: float, seed: int) -> dict:
    """Mini-batch SGD, vectorised: the homework's network on the first 1,200 digits."""
    from .data import digits
    images, labels = digits()
    x, t = images[:1200], labels[:1200]
    net = network_module().Network()
    net.setup(images.shape[1], m1, 10, seed=seed)
    w = {k: getattr(net, k).copy() for k in PARAMETERS}
    rng = np.random.default_rng(seed)
    onehot = np.eye(10)[t]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for batch in np.array_split(order, len(x) // 10):
            xb = x[batch]
            y1 = 0.5 * (1 + np.tanh(0.5 * (xb @ w["w1"].T + w["b1"])))
            a2 = y1 @ w["w2"].T + w["b2"]
            y2 = np.exp(a2 - a2.max(axis=1, keepdims=True))
            y2 /= y2.sum(axis=1, keepdims=True)
            da2 = (y2 - onehot[batch]) / len(batch)
            da1 = (da2 @ w["w2"]) * y1 * (1 - y1)
            w["w2"] -= lr * da2.T @ y1
            w["b2"] -= lr * da2.sum(axis=0)
            w["w1"] -= lr * da1.T @ xb
            w["b1"] -= lr * da1.sum(axis=0)
    return w


def trained_weights(**recipe) -> dict:
    """A network trained on the first 1,200 digits (the rest are for tests); the shipped one
    (trained.py) unless another recipe is asked for."""
    recipe = {**TRAINED_RECIPE, **recipe}
    return {k: v.copy() for k, v in _trained(recipe["m1"], recipe["epochs"], recipe["lr"], recipe["seed"])}


class ReferenceModel:
    """The trained reference network, as a model to lend (see models.Lent)."""

    kind = "network"

    def __init__(self, weights: dict):
        self.weights = {k: np.array(v, copy=True) for k, v in weights.items()}
        self._net = make_network(weights)
        self.shape, self.classes = self._net.w1.shape[1:], self._net.w2.shape[0]

    def forward(self, y0, t):
        from .models import _check_input
        _check_input(y0, self.shape, self.classes, t)
        return self._net.forward(np.asarray(y0, dtype=np.float64), int(t))

    def backward(self):
        """dE/d of every variable but the weights: they are frozen, and an attack needs dE/dy0."""
        if not hasattr(self._net, "y2"):
            raise RuntimeError("call forward before backward")
        grads = self._net.backward(0.0)
        return {k: v for k, v in grads.items() if k not in PARAMETERS}
