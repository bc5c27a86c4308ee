"""A single PGD helper with a norm-dispatch table; L2 step guarded by + 1e-7 as cleverhans/foolbox-style code writes it."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.ravel(x), ord=p))


def _normalize(g, p):
    if p == np.inf:
        return np.sign(g)
    return g / (np.sqrt(np.sum(g * g)) + 1e-7)


def _project(delta, eps, p):
    if p == np.inf:
        return np.clip(delta, -eps, eps)
    return delta * min(1.0, eps / (np.sqrt(np.sum(delta * delta)) + 1e-7))


def pgd(net, y0, cls, eps, p, steps, step_size, sign):
    alpha = step_size if step_size is not None else 2.5 * eps / steps
    x = np.array(y0, dtype=np.float64, copy=True)
    for _ in range(steps):
        net.forward(x, cls)
        x = x + sign * alpha * _normalize(net.backward(0.0)["y0"], p)
        x = np.clip(y0 + _project(x - y0, eps, p), 0.0, 1.0)
    return x


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return pgd(net, y0, t, eps, p, steps, step_size, 1)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return pgd(net, y0, target, eps, p, steps, step_size, -1)
