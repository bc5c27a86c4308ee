# attacks
import numpy as np


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return loop_attack(net, y0, t, eps, p, steps, step_size, True)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return loop_attack(net, y0, target, eps, p, steps, step_size, False)


def loop_attack(net, y0, cls, eps, p, steps, step_size, go_up):
    step_size = 2.5 * eps / steps if step_size is None else step_size
    origin0 = np.array(y0, dtype=float)
    y = origin0.copy()
    for _ in range(steps):
        net.forward(y, cls)
        g = net.backward(0.0)["y0"]
        if not go_up:
            g = -g
        if p == np.inf:
            y = y + step_size * np.sign(g)
            y = origin0 + np.clip(y - origin0, -eps, eps)
        else:
            n = np.linalg.norm(g.ravel())
            if n > 0:
                y = y + step_size * g / n
            d = y - origin0
            dn = np.linalg.norm(d.ravel())
            if dn > eps:
                y = origin0 + d * (eps / dn)
        y = np.minimum(np.maximum(y, 0.0), 1.0)
    return y


def lp_norm(x, p):
    v = np.abs(np.ravel(x)).astype(float)
    if np.isinf(p):
        return np.float64(v.max(initial=0.0))
    return np.float64(np.power(np.power(v, p).sum(), 1.0 / p))
