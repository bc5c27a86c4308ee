"""Attacks written on row vectors, L2 step guarded by + 1e-10 (as in many PGD tutorials)."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel(), ord=p))


def _attack(net, y0, cls, eps, p, steps, step_size, sign):
    alpha = 2.5 * eps / steps if step_size is None else step_size
    x0 = np.asarray(y0, dtype=np.float64).reshape(1, -1)
    x = x0.copy()
    for _ in range(steps):
        net.forward(x.reshape(y0.shape), cls)
        g = np.asarray(net.backward(0.0)["y0"]).reshape(1, -1)
        if p == np.inf:
            x = x + sign * alpha * np.sign(g)
            x = x0 + np.clip(x - x0, -eps, eps)
        else:
            x = x + sign * alpha * g / (np.linalg.norm(g, axis=1, keepdims=True) + 1e-10)
            d = x - x0
            d = d * np.minimum(1.0, eps / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12))
            x = x0 + d
        x = np.clip(x, 0, 1)
    return x.reshape(y0.shape)


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _attack(net, y0, t, eps, p, steps, step_size, 1)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _attack(net, y0, target, eps, p, steps, step_size, -1)
