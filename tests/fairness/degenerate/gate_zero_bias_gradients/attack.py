"""Real attacks."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.ravel(x), ord=p))


def _pgd(net, y0, cls, eps, p, steps, step_size, sign):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    y = np.array(y0, dtype=np.float64)
    for _ in range(steps):
        net.forward(y, cls)
        g = net.backward(0.0)["y0"]
        y = y + sign * step_size * (np.sign(g) if p == np.inf else g / np.linalg.norm(g))
        d = y - y0
        d = np.clip(d, -eps, eps) if p == np.inf else d * min(1.0, eps / max(np.linalg.norm(d), 1e-300))
        y = np.clip(y0 + d, 0, 1)
    return y


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _pgd(net, y0, t, eps, p, steps, step_size, 1)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _pgd(net, y0, target, eps, p, steps, step_size, -1)
