"""Attack objects with __call__, after torchattacks' PGD / PGDL2 (eps_for_division=1e-10, factor = min(eps / ||delta||, 1)), no random start."""

import numpy as np


def lp_norm(x, p):
    return float(np.linalg.norm(np.asarray(x).ravel(), ord=p))


class PGD:
    def __init__(self, net, eps, steps, alpha, norm, eps_for_division=1e-10):
        self.net, self.eps, self.steps, self.norm = net, eps, steps, norm
        self.alpha = 2.5 * eps / steps if alpha is None else alpha
        self.eps_for_division = eps_for_division

    def __call__(self, images, label, targeted=False):
        images = np.array(images, dtype=np.float64)
        adv = images.copy()
        for _ in range(self.steps):
            self.net.forward(adv, label)
            grad = -self.net.backward(0.0)["y0"] if targeted else self.net.backward(0.0)["y0"]
            if self.norm == np.inf:
                adv = adv + self.alpha * np.sign(grad)
                delta = np.clip(adv - images, -self.eps, self.eps)
            else:
                adv = adv + self.alpha * grad / (np.linalg.norm(grad) + self.eps_for_division)
                delta = adv - images
                norm = np.linalg.norm(delta)
                delta = delta * min(self.eps / norm, 1.0) if norm > 0 else delta
            adv = np.clip(images + delta, 0, 1)
        return adv


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    return PGD(net, eps, steps, step_size, p)(y0, t)


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    return PGD(net, eps, steps, step_size, p)(y0, target, targeted=True)
