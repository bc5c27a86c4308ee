# A correct attack written differently: one loop for both kinds, np.linalg.norm.
import numpy as np


def lp_norm(x, p):
    v = np.abs(np.ravel(x)).astype(float)
    if np.isinf(p):
        return np.float64(v.max(initial=0.0))
    return np.float64(np.power(np.power(v, p).sum(), 1.0 / p))


def _run(net, y0, cls, eps, p, steps, step_size, ascend):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    start = np.array(y0, dtype=float)
    y = start.copy()
    for _ in range(steps):
        net.forward(y, cls)
        g = net.backward(0.0)["y0"]
        if not ascend:
            g = -g
        if p == np.inf:
            y = y + step_size * np.sign(g)
            y = start + np.clip(y - start, -eps, eps)
        else:
            n = np.linalg.norm(g.ravel())
            if n > 0:
                y = y + step_size * g / n
            d = y - start
            dn = np.linalg.norm(d.ravel())
            if dn > eps:
                y = start + d * (eps / dn)
        y = np.minimum(np.maximum(y, 0.0), 1.0)
    return y


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return _run(net, y0, t, eps, p, steps, step_size, True)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return _run(net, y0, target, eps, p, steps, step_size, False)
