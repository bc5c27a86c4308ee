"""PGD attacks with np.linalg.norm projections and an L2 step guarded by g / (||g|| + 1e-12)."""

import numpy as np


def lp_norm(x, p):
    x = np.abs(np.ravel(x)).astype(np.float64)
    if p == np.inf:
        return float(x.max()) if x.size else 0.0
    return float(np.sum(x ** p) ** (1.0 / p))


def _pgd(net, y0, cls, eps, p, steps, step_size, direction):
    if step_size is None:
        step_size = 2.5 * eps / steps
    x0 = np.array(y0, dtype=np.float64)
    x = x0.copy()
    for _ in range(steps):
        net.forward(x, cls)
        g = net.backward(0.0)["y0"]
        if p == np.inf:
            x = x + direction * step_size * np.sign(g)
            delta = np.clip(x - x0, -eps, eps)
        else:
            x = x + direction * step_size * g / (np.linalg.norm(g) + 1e-12)
            delta = x - x0
            n = np.linalg.norm(delta)
            if n > eps:
                delta = delta * eps / n
        x = np.clip(x0 + delta, 0.0, 1.0)
    return x


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _pgd(net, y0, t, eps, p, steps, step_size, +1.0)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _pgd(net, y0, target, eps, p, steps, step_size, -1.0)
