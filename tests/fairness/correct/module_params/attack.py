"""Attacks as two explicit loops, no shared helper, as students often write them; lp_norm over x.ravel()."""

import numpy as np


def lp_norm(x, p):
    v = np.abs(np.asarray(x, dtype=np.float64).ravel())
    if p == float("inf"):
        return float(v.max())
    return float((v ** p).sum() ** (1.0 / p))


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    if step_size is None:
        step_size = 2.5 * eps / steps
    y = np.array(y0, dtype=np.float64)
    for i in range(steps):
        net.forward(y, t)
        g = net.backward(0.0)["y0"]
        if p == np.inf:
            y = np.clip(y + step_size * np.sign(g), y0 - eps, y0 + eps)
        else:
            y = y + step_size * g / max(lp_norm(g, 2), 1e-12)
            if lp_norm(y - y0, 2) > eps:
                y = y0 + (y - y0) * eps / lp_norm(y - y0, 2)
        y = np.clip(y, 0, 1)
    return y


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    if step_size is None:
        step_size = 2.5 * eps / steps
    y = np.array(y0, dtype=np.float64)
    for i in range(steps):
        net.forward(y, target)
        g = net.backward(0.0)["y0"]
        if p == np.inf:
            y = np.clip(y - step_size * np.sign(g), y0 - eps, y0 + eps)
        else:
            y = y - step_size * g / max(lp_norm(g, 2), 1e-12)
            if lp_norm(y - y0, 2) > eps:
                y = y0 + (y - y0) * eps / lp_norm(y - y0, 2)
        y = np.clip(y, 0, 1)
    return y
