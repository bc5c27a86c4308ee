"""Running a student's attack and judging what comes back: the budget, the box, untouched inputs."""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import Feedback, as_array, as_float, compare, fmt

from .models import lend


def norm(x, p) -> float:
    """The grader's own lp norm (NumPy's), over every entry."""
    return float(np.linalg.norm(np.ravel(x), ord=p))


def pname(p) -> str:
    return "L_inf" if p == np.inf else f"L_{p:g}"


def run_attack(student, kind, proxy, y0, cls, eps, p, steps=10, step_size=None):
    """The adversarial input, after checking y0 was not changed in place and the result's type."""
    label = f"{kind}_attack"
    value, mutated = student.call(f"attack:{label}", None, proxy, y0, int(cls), eps, p=p, steps=steps,
                                  step_size=step_size, label=label, echo_args=True)
    if len(mutated) > 1 and mutated[1]:
        raise Feedback(f"attack: {label} changed the input y0 in place; work on a copy (y = y0.copy()).")
    try:
        return as_array(value, f"the result of {label}", y0.shape)
    except Feedback as exc:
        raise Feedback(f"attack: {exc}") from None


def check_limits(y, y0, eps, p, kind) -> None:
    distance = norm(y - y0, p)
    if distance > eps * (1 + 1e-9) + 1e-12:
        raise Feedback(f"attack: {kind} {pname(p)}, eps = {eps:g}\n  ||y - y0||_{'inf' if p == np.inf else p} = "
                       f"{distance:.4g} > eps: the result left the budget.\n  Project onto the eps-ball after every "
                       f"step, then clip to [0, 1].")
    if y.min() < -1e-12 or y.max() > 1 + 1e-12:
        raise Feedback(f"attack: {kind} {pname(p)}, eps = {eps:g}\n  the result has entries outside [0, 1] "
                       f"(min {fmt(y.min())}, max {fmt(y.max())}): clip to [0, 1] after every step.")


def check_untouched(lent, kind) -> None:
    if lent.tampered:
        raise Feedback(f"attack: {kind} tried to change the network ({', '.join(lent.tampered[:3])}); the model "
                       f"is fixed, only the input moves: call backward(0.0) and never assign weights.")


def limits_case(student, model, y0, t, kind, p, eps, steps, target_shift=5):
    """One attack on the lent model, with every limit checked; (y, y0, the class attacked)."""
    cls = t if kind == "untargeted" else (t + target_shift) % model.classes
    lent, proxy = lend(student, model)
    y = run_attack(student, kind, proxy, y0, cls, eps, p, steps=steps)
    check_untouched(lent, kind)
    check_limits(y, y0, eps, p, kind)
    return y, y0, cls


def looks_like_sign_step(y, y0) -> bool:
    """Every entry not clipped moved by the same amount, as sign(dE/dy0) does."""
    moved = np.abs(y - y0)[(y > 0) & (y < 1)]
    moved = moved[moved > 0]
    return moved.size > 3 and moved.max() <= moved.min() * (1 + 1e-6)


def one_step_case(student, model, y0, t, kind, p, eps, target_shift=3):
    """steps=1, step_size=eps must be exactly clip(y0 +- eps * direction(dE/dy0), 0, 1)."""
    cls = t if kind == "untargeted" else (t + target_shift) % model.classes
    lent, proxy = lend(student, model)
    y = run_attack(student, kind, proxy, y0, cls, eps, p, steps=1, step_size=eps)
    check_untouched(lent, kind)
    model.forward(np.asarray(y0, dtype=np.float64), int(cls))
    g = model.backward()["y0"]
    sign = 1.0 if kind == "untargeted" else -1.0
    step = np.sign(g) if p == np.inf else g / np.linalg.norm(g)
    want = np.clip(y0 + sign * eps * step, 0, 1)
    if np.allclose(y, want, rtol=0, atol=1e-10):
        return
    direction = "sign(dE/dy0)" if p == np.inf else "dE/dy0 / ||dE/dy0||_2"
    lines = [f"attack: {kind} {pname(p)} with steps = 1, step_size = eps = {eps:g} "
             f"is not clip(y0 {'+' if sign > 0 else '-'} eps * {direction}, 0, 1)."]
    worst = int(np.argmax(np.abs(y - want)))
    lines.append(f"  worst entry y[{worst}]: yours {fmt(y[worst])}, expected {fmt(want[worst])}.")
    if np.allclose(y, np.clip(y0 - sign * eps * step, 0, 1), atol=1e-10):
        lines.append("  The step goes the wrong way: the untargeted attack climbs E for t (+), "
                     "the targeted one descends E for the target (-).")
    elif np.allclose(y, y0 + sign * eps * step, atol=1e-10):
        lines.append("  The result is not clipped to [0, 1].")
    elif p != np.inf and looks_like_sign_step(y, y0):
        lines.append("  For p = 2 step along dE/dy0 / ||dE/dy0||_2, not its sign: every entry moved "
                     "by the same amount.")
    raise Feedback("\n".join(lines))


def check_norms(student, arrays_and_ps) -> None:
    for x, p in arrays_and_ps:
        got = as_float(student.call("attack:lp_norm", None, x, p, label="lp_norm"), f"lp_norm(x, {p})")
        want = norm(x, p)
        if not compare(np.array(got), np.array(want), tol=1e-10).ok:
            hint = ""
            if x.ndim > 1 and p != np.inf and np.isclose(got, norm(x.reshape(x.shape[0], -1)[0], p)):
                hint = "\n  It looks computed over one row only: sum over every entry of x."
            elif p == 1 and np.isclose(got, np.sum(x)):
                hint = "\n  Take absolute values: |x_i|."
            elif p == np.inf and np.isclose(got, np.max(x)):
                hint = "\n  For p = inf use max |x_i|, with the absolute value."
            raise Feedback(f"attack: lp_norm(x, p = {p}) for x of shape {x.shape} is {fmt(got)}, expected "
                           f"{fmt(want)}.{hint}")
