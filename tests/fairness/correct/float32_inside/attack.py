"""FGSM/PGD as in the Madry-lab tutorial: a loop per step, project then clip; L2 guarded by + 1e-12."""

import numpy as np


def lp_norm(x, p):
    x = np.abs(np.asarray(x, dtype=np.float64))
    return float(x.max()) if p == np.inf else float((x ** p).sum() ** (1 / p))


def _project(delta, eps, p):
    if p == np.inf:
        return np.clip(delta, -eps, eps)
    norm = lp_norm(delta, 2)
    return delta if norm <= eps else delta * (eps / norm)


def _step(grad, p):
    if p == np.inf:
        return np.sign(grad)
    return grad / (lp_norm(grad, 2) + 1e-12)


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    y = y0.astype(np.float64)
    for _ in range(steps):
        net.forward(y, t)
        y = y + step_size * _step(net.backward(0.0)["y0"], p)
        y = np.clip(y0 + _project(y - y0, eps, p), 0, 1)
    return y


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    y = y0.astype(np.float64)
    for _ in range(steps):
        net.forward(y, target)
        y = y - step_size * _step(net.backward(0.0)["y0"], p)
        y = np.clip(y0 + _project(y - y0, eps, p), 0, 1)
    return y
