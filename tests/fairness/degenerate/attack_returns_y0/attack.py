"""Real lp_norm; the attacks return a copy of y0."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.ravel(x), ord=p))


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return y0.copy()


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return y0.copy()
