"""Clip-then-project order (clip to [0, 1] first, then onto the eps-ball), lp_norm via np.linalg.norm(x.ravel(), ord=p)."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel(), ord=p))


def _run(net, y0, cls, eps, p, steps, step_size, sign):
    if step_size is None:
        step_size = 2.5 * eps / steps
    x0 = np.copy(y0).astype(np.float64)
    x = x0.copy()
    for _ in range(steps):
        net.forward(x, cls)
        grad = net.backward(0.0)["y0"]
        if p == np.inf:
            direction = np.sign(grad)
        else:
            norm = lp_norm(grad, 2)
            direction = grad / norm if norm > 0 else np.zeros_like(grad)
        x = np.clip(x + sign * step_size * direction, 0.0, 1.0)
        delta = x - x0
        if p == np.inf:
            delta = np.clip(delta, -eps, eps)
        elif lp_norm(delta, 2) > eps:
            delta = delta * eps / lp_norm(delta, 2)
        x = x0 + delta
    return x


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _run(net, y0, t, eps, p, steps, step_size, 1.0)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _run(net, y0, target, eps, p, steps, step_size, -1.0)
