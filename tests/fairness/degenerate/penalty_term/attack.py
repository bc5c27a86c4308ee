"""Homework 2: adversarial attacks on a trained network.

The model is fixed; the input moves. Both attacks take projected gradient
steps on the input y0 using the network's own forward(y, t) and
backward(lr=0)["y0"] (that is, dE/dy0):

    untargeted:  y <- y + step * direction(dE/dy for the true class t)
    targeted:    y <- y - step * direction(dE/dy for the chosen class target)

then, after every step, project y onto the ball lp_norm(y - y0, p) <= eps and
clip y to [0, 1].
"""

import numpy as np


def lp_norm(x: np.ndarray, p: float) -> float:
    """(sum |x_i|^p)^(1/p) over all entries of x, whatever its shape.

    p >= 1, or np.inf for max |x_i|. An image of shape (32, 32, 3) counts
    32*32*3 entries. Returns a float.

    Graded: vectors and images, p = 1, 2 and inf.
    """
    # BEGIN SOLUTION
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    if a.size == 0:
        return 0.0
    if p == np.inf:
        return float(a.max())
    if p == 1:
        return float(a.sum())
    if p == 2:
        return float(np.sqrt(np.dot(a, a)))
    scale = a.max()
    if scale == 0:
        return 0.0
    return float(scale * np.sum((a / scale) ** p) ** (1.0 / p))
    # END SOLUTION


# BEGIN SOLUTION
def _direction(grad, p):
    """The steepest-ascent direction of unit lp size for the step."""
    if p == np.inf:
        return np.sign(grad)
    norm = lp_norm(grad, 2)
    return grad / norm if norm > 0 else np.zeros_like(grad)


def _project(delta, eps, p):
    """The point of the eps-ball (in lp) nearest to delta, for p = inf or 2."""
    if p == np.inf:
        return np.clip(delta, -eps, eps)
    norm = lp_norm(delta, 2)
    return delta * (eps / norm) if norm > eps else delta


def _pgd(net, y0, cls, eps, p, steps, step_size, sign):
    """Projected gradient steps: sign=+1 climbs E for cls, sign=-1 descends."""
    if step_size is None:
        step_size = 2.5 * eps / steps
    y0 = np.asarray(y0, dtype=np.float64)
    y = y0.copy()
    for _ in range(steps):
        net.forward(y, cls)
        grad = net.backward(0.0)["y0"]
        y = y + sign * step_size * _direction(grad, p)
        y = np.clip(y0 + _project(y - y0, eps, p), 0.0, 1.0)
    return y
# END SOLUTION


def untargeted_attack(net, y0, t, eps, p=np.inf, steps=10, step_size=None):
    """Move y0 to raise E for its true class t, within lp_norm(y - y0, p) <= eps.

    p is np.inf (step along sign(dE/dy0)) or 2 (step along dE/dy0 divided by
    its L2 norm). step_size=None means 2.5 * eps / steps. After every step,
    project onto the eps-ball around y0, then clip to [0, 1].
    With steps=1, step_size=eps, p=np.inf this is exactly FGSM:
    clip(y0 + eps * sign(dE/dy0), 0, 1).

    Returns a new float64 array of y0's shape. Must not modify y0 nor change
    the network's weights (use backward(0.0)).

    Graded: FGSM exactness, the budget and the [0, 1] box, y0 and the
    weights untouched, E rises, success rate on a trained network.
    """
    # BEGIN SOLUTION
    return _pgd(net, y0, t, eps, p, steps, step_size, +1.0)
    # END SOLUTION


def targeted_attack(net, y0, target, eps, p=np.inf, steps=10, step_size=None):
    """Move y0 to lower E for the chosen wrong class `target`, within the budget.

    The same projected steps as untargeted_attack, in the opposite direction
    of dE/dy0 computed for `target`. With steps=1, step_size=eps, p=np.inf:
    clip(y0 - eps * sign(dE/dy0 for target), 0, 1).

    Returns a new float64 array of y0's shape. Must not modify y0 nor change
    the network's weights.

    Graded: as untargeted_attack, with E for the target falling.
    """
    # BEGIN SOLUTION
    return _pgd(net, y0, target, eps, p, steps, step_size, -1.0)
    # END SOLUTION
