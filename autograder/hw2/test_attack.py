"""Attacks: the model is fixed, the input moves, within lp_norm(y - y0, p) <= eps and the box [0, 1].

Every attack here runs against the grader's own trained network, lent to the
student's code as a proxy, so a bug in the student's network costs no
attack points and the weights provably stay put.
"""

import itertools

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback, as_array, as_float, compare, fmt

from . import reference
from .reference import LentNetwork

_names = itertools.count()


def _norm(x, p) -> float:
    return float(reference.attack_module().lp_norm(x, p))


def _pname(p) -> str:
    return "L_inf" if p == np.inf else f"L_{p:g}"


def _correct_images(trained, data, count, start=1500):
    images, labels = data
    predicted = reference.predict(trained, images[start:])
    keep = np.flatnonzero(predicted == labels[start:])[:count] + start
    return images[keep], labels[keep]


def _lend(student, weights):
    lent = LentNetwork(weights)
    proxy = student.remote(f"net{next(_names)}", lent, LentNetwork.methods, LentNetwork.attributes)
    return lent, proxy


def _attack(student, kind, proxy, y0, cls, eps, p, steps=10, step_size=None):
    """Run the student's attack; returns the adversarial input, with y0's and the weights' checks done."""
    label = f"{kind}_attack"
    value, mutated = student.call(f"attack:{label}", None, proxy, y0, int(cls), eps, p=p, steps=steps,
                                  step_size=step_size, label=label, echo_args=True)
    if len(mutated) > 1 and mutated[1]:
        raise Feedback(f"attack: {label} changed the input y0 in place; work on a copy (y = y0.copy()).")
    try:
        return as_array(value, f"the result of {label}", y0.shape)
    except Feedback as exc:
        raise Feedback(f"attack: {exc}") from None


def _check_limits(y, y0, eps, p, kind):
    distance = _norm(y - y0, p)
    if distance > eps * (1 + 1e-9) + 1e-12:
        raise Feedback(f"attack: {kind} {_pname(p)}, eps = {eps:g}\n  ||y - y0||_{'inf' if p == np.inf else p} = "
                       f"{distance:.4g} > eps: the result left the budget.\n  Project onto the eps-ball after every "
                       f"step, then clip to [0, 1].")
    if y.min() < -1e-12 or y.max() > 1 + 1e-12:
        raise Feedback(f"attack: {kind} {_pname(p)}, eps = {eps:g}\n  the result has entries outside [0, 1] "
                       f"(min {fmt(y.min())}, max {fmt(y.max())}): clip to [0, 1] after every step.")


def _check_untouched(lent, kind):
    if lent.tampered:
        raise Feedback(f"attack: {kind} tried to change the network ({', '.join(lent.tampered[:3])}); the model "
                       f"is fixed, only the input moves: call backward(0.0) and never assign weights.")


# -- lp_norm -------------------------------------------------------------------

def _check_norms(student, arrays_and_ps):
    for x, p in arrays_and_ps:
        got = as_float(student.call("attack:lp_norm", None, x, p, label="lp_norm"), f"lp_norm(x, {p})")
        want = _norm(x, p)
        if not compare(np.array(got), np.array(want), tol=1e-10).ok:
            hint = ""
            if x.ndim > 1 and p != np.inf:
                rows = _norm(x.reshape(x.shape[0], -1)[0], p)
                if np.isclose(got, rows):
                    hint = "\n  It looks computed over one row only: sum over every entry of x."
            if p == np.inf and np.isclose(got, np.max(x)):
                hint = "\n  For p = inf use max |x_i|, with the absolute value."
            raise Feedback(f"attack: lp_norm(x, p = {p}) for x of shape {x.shape} is {fmt(got)}, expected "
                           f"{fmt(want)}.{hint}")


@weight(3)
@number("5.1")
@tags("attack")
@visibility("visible")
def test_lp_norm_vectors(student):
    """attack: lp_norm of vectors for p = 1, 2 and inf"""
    x = np.array([3.0, -4.0, 0.5, -0.25])
    _check_norms(student, [(x, 1), (x, 2), (x, np.inf)])


@weight(2)
@number("5.2")
@tags("attack")
@visibility("after_published")
def test_lp_norm_images(student):
    """attack: lp_norm of images (all entries count) for p = 1, 2, 3 and inf"""
    rng = np.random.default_rng(61)
    image = rng.normal(size=(8, 8))
    color = rng.normal(size=(4, 4, 3))
    _check_norms(student, [(image, 1), (image, 2), (image, np.inf), (color, 2), (color, 3.0), (-color, np.inf)])


# -- one step: FGSM ------------------------------------------------------------

def _fgsm_case(student, trained, data, kind, p):
    images, labels = _correct_images(trained, data, 3)
    y0, t = images[1], int(labels[1])
    cls = t if kind == "untargeted" else (t + 3) % 10
    eps = 0.1 if p == np.inf else 0.8
    lent, proxy = _lend(student, trained)
    y = _attack(student, kind, proxy, y0, cls, eps, p, steps=1, step_size=eps)
    _check_untouched(lent, kind)
    g = reference.gradients(trained, y0, cls)["y0"]
    sign = 1.0 if kind == "untargeted" else -1.0
    step = np.sign(g) if p == np.inf else g / np.linalg.norm(g)
    want = np.clip(y0 + sign * eps * step, 0, 1)
    if np.allclose(y, want, rtol=0, atol=1e-10):
        return
    lines = [f"attack: {kind} {_pname(p)} with steps = 1, step_size = eps = {eps:g} "
             f"is not clip(y0 {'+' if sign > 0 else '-'} eps * {'sign(dE/dy0)' if p == np.inf else 'dE/dy0 / ||dE/dy0||_2'}, 0, 1)."]
    worst = int(np.argmax(np.abs(y - want)))
    lines.append(f"  worst entry y[{worst}]: yours {fmt(y[worst])}, expected {fmt(want[worst])}.")
    if np.allclose(y, np.clip(y0 - sign * eps * step, 0, 1), atol=1e-10):
        lines.append("  The step goes the wrong way: the untargeted attack climbs E for t (+), "
                     "the targeted one descends E for the target (-).")
    elif np.allclose(y, y0 + sign * eps * step, atol=1e-10):
        lines.append("  The result is not clipped to [0, 1].")
    elif p != np.inf and _looks_like_sign_step(y, y0):
        lines.append("  For p = 2 step along dE/dy0 / ||dE/dy0||_2, not its sign: every entry moved "
                     "by the same amount.")
    raise Feedback("\n".join(lines))


def _looks_like_sign_step(y, y0) -> bool:
    """Every entry not clipped moved by the same amount, as sign(dE/dy0) does."""
    moved = np.abs(y - y0)[(y > 0) & (y < 1)]
    moved = moved[moved > 0]
    return moved.size > 3 and moved.max() <= moved.min() * (1 + 1e-6)


@weight(4)
@number("5.3")
@tags("attack")
@visibility("visible")
def test_fgsm_exact(student, trained, data):
    """attack: one L_inf step is exactly FGSM, untargeted and targeted"""
    _fgsm_case(student, trained, data, "untargeted", np.inf)
    _fgsm_case(student, trained, data, "targeted", np.inf)


@weight(2)
@number("5.8")
@tags("attack")
@visibility("after_published")
def test_one_l2_step_exact(student, trained, data):
    """attack: one L_2 step moves along the normalised gradient, untargeted and targeted"""
    _fgsm_case(student, trained, data, "untargeted", 2)
    _fgsm_case(student, trained, data, "targeted", 2)


# -- many steps: budget, box, direction ------------------------------------------

def _limits_case(student, trained, data, kind, p, eps, steps, index):
    images, labels = _correct_images(trained, data, index + 1)
    y0, t = images[index], int(labels[index])
    cls = t if kind == "untargeted" else (t + 5) % 10
    lent, proxy = _lend(student, trained)
    y = _attack(student, kind, proxy, y0, cls, eps, p, steps=steps)
    _check_untouched(lent, kind)
    _check_limits(y, y0, eps, p, kind)
    return y, y0, cls


@weight(4)
@number("5.4")
@tags("attack")
@visibility("visible")
def test_budget_box_and_untouched(student, trained, data):
    """attack: L_inf and L_2 budgets and the [0, 1] box hold; y0 and the weights do not change"""
    for kind in ("untargeted", "targeted"):
        _limits_case(student, trained, data, kind, np.inf, 0.1, 10, 0)
        _limits_case(student, trained, data, kind, 2, 1.0, 10, 1)


@weight(3)
@number("5.5")
@tags("attack")
@visibility("visible")
def test_direction_of_E(student, trained, data):
    """attack: untargeted raises E for the true class; targeted lowers E for the target"""
    y, y0, t = _limits_case(student, trained, data, "untargeted", np.inf, 0.1, 10, 2)
    before, after = reference.loss(trained, y0, t), reference.loss(trained, y, t)
    if not after > before:
        raise Feedback(f"attack: untargeted L_inf, eps = 0.1\n  E for the true class went from {fmt(before)} to "
                       f"{fmt(after)}; it should rise. Step along +sign(dE/dy0).")
    y, y0, target = _limits_case(student, trained, data, "targeted", np.inf, 0.1, 10, 3)
    before, after = reference.loss(trained, y0, target), reference.loss(trained, y, target)
    if not after < before:
        raise Feedback(f"attack: targeted L_inf, eps = 0.1\n  E for the target went from {fmt(before)} to "
                       f"{fmt(after)}; it should fall. Step along -sign(dE/dy0) computed for the target.")


@weight(3)
@number("5.6")
@tags("attack")
@visibility("after_published")
def test_budgets_hidden(student, trained, data):
    """attack: budgets, box and untouched inputs for other eps, norms and step counts"""
    for kind, p, eps, steps, index in [("untargeted", np.inf, 0.03, 25, 4), ("targeted", 2, 0.4, 7, 5),
                                       ("untargeted", 2, 2.5, 15, 6), ("targeted", np.inf, 0.25, 3, 7)]:
        _limits_case(student, trained, data, kind, p, eps, steps, index)


def _success_rates(student, trained, data, kind, p, eps, count=20):
    images, labels = _correct_images(trained, data, count, start=1550)
    attack = getattr(reference.attack_module(), f"{kind}_attack")
    lent, proxy = _lend(student, trained)
    classes = labels if kind == "untargeted" else (labels + 1) % 10
    calls = [(f"attack:{kind}_attack", None, [proxy, images[i], int(classes[i]), eps], {"p": p}, False)
             for i in range(len(images))]
    results = student.batch(calls, label=f"{kind}_attack", seconds=60)
    _check_untouched(lent, kind)
    student_hits, reference_hits = 0, 0
    for i, value in enumerate(results):
        y = as_array(value, f"the result of {kind}_attack", images[i].shape)
        _check_limits(y, images[i], eps, p, kind)
        ref = attack(reference.make_network(trained), images[i].copy(), int(classes[i]), eps, p=p)
        predicted = reference.predict(trained, np.stack([y, ref]))
        success = predicted != labels[i] if kind == "untargeted" else predicted == classes[i]
        student_hits += int(success[0])
        reference_hits += int(success[1])
    return student_hits / len(images), reference_hits / len(images)


@weight(4)
@number("5.7")
@tags("attack")
@visibility("after_published")
def test_success_rate_like_reference(student, trained, data):
    """attack: 10-step attacks on a trained network succeed about as often as the reference's"""
    for kind, p, eps in (("untargeted", np.inf, 0.1), ("targeted", np.inf, 0.2)):
        rate, reference_rate = _success_rates(student, trained, data, kind, p, eps)
        if rate < reference_rate - 0.10:
            raise Feedback(f"attack: {kind} {_pname(p)}, eps = {eps:g}, 10 steps\n  succeeded on {rate:.0%} of "
                           f"20 digits; the reference succeeds on {reference_rate:.0%} (at most 10 points less "
                           f"passes). Check the step direction, the step size 2.5 * eps / steps, and the projection.")
