"""Projected gradient attacks with the L2 step guarded by g / (||g|| + 1e-10) and np.linalg.norm projections."""

import numpy as np


def lp_norm(x, p):
    x = np.asarray(x, dtype=np.float64).ravel()
    if np.isinf(p):
        return float(np.max(np.abs(x)))
    return float(np.power(np.sum(np.power(np.abs(x), p)), 1.0 / p))


def _attack(net, y0, label, eps, p, steps, step_size, ascend):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    y = y0.copy().astype(np.float64)
    for _ in range(steps):
        net.forward(y, label)
        g = net.backward(0.0)["y0"]
        d = np.sign(g) if np.isinf(p) else g / (np.linalg.norm(g) + 1e-10)
        y = y + step_size * d if ascend else y - step_size * d
        delta = y - y0
        if np.isinf(p):
            delta = np.clip(delta, -eps, eps)
        elif np.linalg.norm(delta) > eps:
            delta = eps * delta / np.linalg.norm(delta)
        y = np.clip(y0 + delta, 0.0, 1.0)
    return y


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _attack(net, y0, t, eps, p, steps, step_size, ascend=True)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _attack(net, y0, target, eps, p, steps, step_size, ascend=False)
