# Procedural attacks: a single routine with a direction flag, projections written out.
import numpy as np


def lp_norm(x, p):
    flat = np.abs(np.asarray(x, dtype=float)).reshape(-1)
    if p == float("inf"):
        return float(flat.max()) if flat.size else 0.0
    return float(np.sum(flat ** p) ** (1.0 / p))


def project_inf(delta, eps):
    return np.minimum(np.maximum(delta, -eps), eps)


def project_two(delta, eps):
    size = lp_norm(delta, 2)
    if size <= eps:
        return delta
    return delta * eps / size


def run(net, start, label, eps, p, steps, alpha, direction):
    if alpha is None:
        alpha = 2.5 * eps / steps
    origin = np.array(start, dtype=float)
    current = origin.copy()
    for step in range(steps):
        net.forward(current, label)
        grad = net.backward(0.0)["y0"] * direction
        if p == float("inf"):
            current = current + alpha * np.sign(grad)
            current = origin + project_inf(current - origin, eps)
        else:
            length = lp_norm(grad, 2)
            if length > 0:
                current = current + alpha * grad / length
            current = origin + project_two(current - origin, eps)
        current = np.clip(current, 0.0, 1.0)
    return current


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return run(net, y0, t, eps, p, steps, step_size, +1.0)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return run(net, y0, target, eps, p, steps, step_size, -1.0)
