"""The calls `validate --mutants` makes of a solution to tell a mutant that changes what the code does
from one that does not (engine/mutation/probe.py): the whole contract, each output under the stage
it belongs to. Inputs are fixed here (not the engine's fresh ones): the reference and every mutant
see the same calls.

Each stage's outputs depend on that stage's code alone wherever the contract allows: forward,
backward and the update run on weights the grader sets, and the attacks on a model the grader lends.
"""

import numpy as np

from .attacks import run_attack
from .linear_model import LinearModel
from .support import PARAMETERS, SMALL, student_network

OTHER = (9, 4, 6)  # M0, M1, N: a second size, all different


def _weights(sizes, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    m0, m1, n = sizes
    return {"w1": rng.normal(0, scale, (m1, m0)), "b1": rng.normal(0, 0.5, m1),
            "w2": rng.normal(0, scale, (n, m1)), "b2": rng.normal(0, 0.5, n)}


def scenario(probe) -> None:
    student, rng = probe.student, np.random.default_rng(2026)
    record = probe.record

    # setup: the weights it makes, two sizes and seeds
    for sizes, seed in ((SMALL, 0), (OTHER, 3)):
        record("setup", f"setup{sizes}, seed {seed}", lambda sizes=sizes, seed=seed: student.get_many(
            student.new("network:Network", label="Network()", then=[("setup", sizes, {"seed": seed}, "setup")]),
            PARAMETERS))

    # forward: E on the grader's weights, inputs and classes; large logits; y0 left alone
    for sizes, seed in ((SMALL, 1), (OTHER, 2)):
        weights = _weights(sizes, seed)
        net = student_network(student, sizes, weights)
        for k in range(3):
            y0, t = rng.uniform(0, 1, sizes[0]), k % sizes[2]
            record("forward", f"E{sizes} #{k}", lambda net=net, y0=y0, t=t: student.call(
                net, "forward", y0, t, label="forward", echo_args=True))
            # backward after this forward, no step: every gradient, and the weights it leaves
            record("backward", f"gradients{sizes} #{k}", lambda net=net: student.call(net, "backward", 0.0,
                                                                                      label="backward"))
            record("backward", f"weights after backward(0){sizes} #{k}",
                   lambda net=net: student.get_many(net, PARAMETERS))
    large = _weights(SMALL, 4)  # logits of several hundred, as test 2.5's: exp() of them overflows
    large["w2"], large["b2"] = large["w2"] * 300.0, np.array([1500.0, -350.0, 1800.0])
    net = student_network(student, SMALL, large)
    for t in (0, 1, 2):
        record("forward", f"E, large logits, t {t}", lambda t=t: student.call(
            net, "forward", rng.uniform(0, 1, SMALL[0]), t, label="forward"))

    # update: one step of each rate, then a few steps of training, from the grader's weights
    for lr in (0.1, -0.3):
        net = student_network(student, SMALL, _weights(SMALL, 6))
        calls = [(rng.uniform(0, 1, SMALL[0]), 1, lr)]
        record("update", f"weights after one step, lr {lr}", lambda net=net, calls=calls: _steps(student, net, calls))
    net = student_network(student, OTHER, _weights(OTHER, 7, scale=0.5))
    calls = [(rng.uniform(0, 1, OTHER[0]), int(rng.integers(OTHER[2])), 0.5) for _ in range(5)]
    record("update", "weights after five steps", lambda: _steps(student, net, calls))

    # attack: lp_norm, and both attacks in both norms on a model the grader lends
    for shape in ((5,), (4, 4, 3)):
        x = rng.normal(0, 1, shape)
        for p in (1, 2, np.inf, 3):
            record("attack", f"lp_norm{shape}, p {p}", lambda x=x, p=p: student.call(
                "attack:lp_norm", None, x, p, label="lp_norm"))
    for scale in (0.5, 0.002):  # gradients of dE/dy0 with norms above 1, and below
        model = LinearModel(weights={"w": rng.normal(0, scale, (10, 64)), "b": rng.normal(0, 0.2, 10)})
        _attacks(student, record, model, rng, f"model scale {scale}")


def _attacks(student, record, model, rng, name) -> None:
    for kind, cls in (("untargeted", 3), ("targeted", 5)):
        for p, eps in ((np.inf, 0.05), (2, 0.8)):
            for steps, step_size in ((10, None), (1, eps), (4, 0.3 * eps)):
                y0 = rng.uniform(0, 1, 64)
                record("attack", f"{name}: {kind}, p {p}, {steps} steps of {step_size}",
                       lambda kind=kind, cls=cls, p=p, eps=eps, steps=steps, step_size=step_size, y0=y0:
                       _attacked(run_attack(student, kind, model, y0, cls, eps, p, steps=steps, step_size=step_size)))


def _steps(student, net, calls) -> dict:
    """forward(y0, t) and backward(lr) for each (y0, t, lr), then the weights."""
    batch = [c for y0, t, lr in calls for c in ((net, "forward", [y0, t], {}, True), (net, "backward", [lr], {}, True))]
    student.batch(batch, label="steps")
    return student.get_many(net, PARAMETERS)


def _attacked(attacked) -> dict:
    return {"result": attacked.value, "y0 changed": attacked.mutated, "model changed": attacked.attempts}
