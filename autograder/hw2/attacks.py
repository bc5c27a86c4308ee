"""Running a student's attack and judging what comes back: the budget, the box, untouched inputs.

The grader computes the contract's attack itself (``reference.attack``, on its own model, in its own process)
to know what a correct attack does on the same input: how far it moves, how much it changes E.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.engine.grading.checks import Feedback, as_float, close, fmt, fmt_exact, read_array, read_float

from autograder.engine.grading.replay import NotRecorded

from . import reference
from .models import lend
from .gates import attack_moves_E
from .tolerances import BUDGET, GUARD, NORM, step_bound


def norm(x, p) -> float:
    """The grader's own lp norm (NumPy's), over every entry."""
    return float(np.linalg.norm(np.ravel(x), ord=p))


def pname(p) -> str:
    return "L_inf" if p == np.inf else f"L_{p:g}"


def _normname(p) -> str:
    return "inf" if p == np.inf else f"{p:g}"


def direction(g, p) -> np.ndarray:
    """sign(g) for L_inf; g / ||g||_2 for L2 (the step's direction in the contract's words)."""
    if p == np.inf:
        return np.sign(g)
    size = np.linalg.norm(g)
    return g / size if size > 0 else np.zeros_like(g)


def pgd(model, y0, cls, eps, p, steps=10, step_size=None, kind="untargeted", guard: float = 0.0,
        rms_ball: bool = False):
    """The contract's attack on the grader's model, computed by the reference module (which the
    student's bundle holds only as recorded values); `guard` and `rms_ball` redo usual slips."""
    return reference.attack(model.kind, model.weights, np.asarray(y0, dtype=np.float64), int(cls), float(eps),
                            float(p), int(steps), step_size, kind, float(guard), bool(rms_ball))


def redo(*args, **kwargs):
    """pgd to check a hint before naming it; None where the self-check has no recorded value for it
    (the hint is then left to Gradescope)."""
    try:
        return pgd(*args, **kwargs)
    except NotRecorded:
        return None


@dataclass
class Attacked:
    """What the student's attack returned, read without guessing (when first asked: a hidden test
    looks at nothing before its last call), and what it did on the side."""
    value: object         # as the worker sent it
    label: str
    shape: tuple
    mutated: bool         # y0 changed in place
    tampered: list        # attempts to change the lent model (backward with lr != 0, assignments): the first few
    attempts: int = 0     # how many there were in all

    @property
    def reading(self):
        if not hasattr(self, "_reading"):
            self._reading = read_array(self.value, f"the result of {self.label}", self.shape)
        return self._reading

    @property
    def numbers(self):
        """The result's numbers (None when there are none)."""
        return self.reading.numbers

    @property
    def problem(self) -> str:
        """What is wrong with its exact type, shape or dtype ('' when nothing)."""
        return self.reading.problem


def run_attack(student, kind, model, y0, cls, eps, p, steps=10, step_size=None) -> Attacked:
    label = f"{kind}_attack"
    lent, proxy = lend(student, model)
    value, mutated = student.call(f"attack:{label}", None, proxy, y0, int(cls), eps, p=p, steps=steps,
                                  step_size=step_size, label=label, echo_args=True)
    return Attacked(value, label, y0.shape, bool(len(mutated) > 1 and mutated[1]),
                    [*lent.tampered, *proxy.refused], lent.tampered.count + proxy.refused.count)


def numbers(attacked: Attacked) -> np.ndarray:
    if attacked.numbers is None:
        raise Feedback(f"attack: {attacked.problem}")
    return attacked.numbers


def check_contract(attacked: Attacked, kind) -> None:
    """Returns a new float64 array of y0's shape; y0 and the model untouched."""
    if attacked.problem:
        raise Feedback(f"attack: {attacked.problem}")
    if attacked.mutated:
        raise Feedback(f"attack: {kind}_attack changed the input y0 in place; work on a copy (y = y0.copy()).")
    if attacked.tampered:
        shown = attacked.tampered[:3]
        times = f" {attacked.attempts:,} times" if attacked.attempts > len(shown) else ""
        raise Feedback(f"attack: {kind} tried to change the network{times} ({', '.join(shown)}); "
                       f"the model is fixed, only the input moves: call backward(0.0) and never assign weights.")


def check_limits(y, y0, eps, p, kind, redo_rms=None, correct=None) -> None:
    """The budget and the box; `redo_rms()` runs the contract's attack on the same input projecting
    with the root-mean-square, to check that slip before naming it (None when it cannot, or when that
    ball never binds: then it is the attack without projection, and names no norm). The norm is named
    only where redoing with it reproduces y and the contract's attack, `correct`, does not."""
    distance = norm(y - y0, p)
    if distance > eps + BUDGET.bound(eps):
        hint = "Project onto the eps-ball after every step, then clip to [0, 1]."
        redone = redo_rms() if p == 2 and redo_rms is not None and correct is not None else None
        if redone is not None and np.max(np.abs(redone - y)) <= step_bound(eps) < np.max(np.abs(correct - y)):
            hint = (f"Your result is exactly what projecting with the root-mean-square sqrt(mean(d^2)) gives: that "
                    f"norm divides by the number of entries n = {y.size}, so it lets ||y - y0||_2 reach sqrt(n) eps. "
                    f"Project with the L2 norm over every entry, sqrt(sum(d^2)).")
        raise Feedback(f"attack: {kind} {pname(p)}, eps = {eps:g}\n  ||y - y0||_{_normname(p)} = "
                       f"{fmt_exact(distance)} > eps: the result left the budget.\n  {hint}")
    if y.min() < -1e-12 or y.max() > 1 + 1e-12:
        raise Feedback(f"attack: {kind} {pname(p)}, eps = {eps:g}\n  the result has entries outside [0, 1] "
                       f"(min {fmt(y.min())}, max {fmt(y.max())}): clip to [0, 1] after every step.")


def attack_class(model, t, kind, shift) -> int:
    return int(t) if kind == "untargeted" else (int(t) + shift) % model.classes


@dataclass
class Case:
    """One attack the student's code ran on a lent model, and what it was asked: judged after every
    attack of the test has run (a hidden test's calls must not depend on its verdicts)."""
    attacked: Attacked
    model: object
    y0: np.ndarray
    cls: int
    kind: str
    p: float
    eps: float
    steps: int


def limits_attack(student, model, y0, t, kind, p, eps, steps, target_shift=5) -> Case:
    """Run one attack with the budget and the box to judge (limits_judged)."""
    cls = attack_class(model, t, kind, target_shift)
    return Case(run_attack(student, kind, model, y0, cls, eps, p, steps=steps), model, y0, cls, kind, p, eps, steps)


def limits_judged(case: Case, contract=False):
    """The budget and the box (and, with `contract`, the result's type and untouched inputs), checked
    behind the attack's work gate (gates.attack_moves_E); (y, the contract's attack on the same input)."""
    model, y0, cls, kind, p, eps, steps = case.model, case.y0, case.cls, case.kind, case.p, case.eps, case.steps
    y = numbers(case.attacked)
    correct = pgd(model, y0, cls, eps, p, steps, None, kind)
    attack_moves_E(model, y0, cls, kind, p, eps, y, correct,
                   "The budget, the box, the result's type and y0 and the weights left alone" if contract
                   else "The budget and the box")
    if contract:
        check_contract(case.attacked, kind)
    check_limits(y, y0, eps, p, kind, redo_rms=lambda: redo_binding(model, y0, cls, eps, p, steps, kind),
                 correct=correct)
    return y, correct


def redo_binding(model, y0, cls, eps, p, steps, kind):
    """The contract's attack projecting with the root-mean-square, where that ball (radius sqrt(n) eps)
    binds at some step; None where it never does (or the self-check has no recorded value)."""
    try:
        if not reference.ball_binds(model.kind, model.weights, np.asarray(y0, dtype=np.float64), int(cls),
                                    float(eps), float(p), int(steps), None, kind, True):
            return None
    except NotRecorded:
        return None
    return redo(model, y0, cls, eps, p, steps, None, kind, rms_ball=True)


def limits_case(student, model, y0, t, kind, p, eps, steps, target_shift=5, contract=False):
    """One attack on the lent model, judged at once (visible tests); (y, the class attacked, the
    contract's attack on the same input)."""
    case = limits_attack(student, model, y0, t, kind, p, eps, steps, target_shift)
    y, correct = limits_judged(case, contract)
    return y, case.cls, correct


def looks_like_sign_step(y, y0) -> bool:
    """Every entry not clipped moved by the same amount, as sign(dE/dy0) does."""
    moved = np.abs(y - y0)[(y > 0) & (y < 1)]
    moved = moved[moved > 0]
    return moved.size > 3 and moved.max() <= moved.min() * (1 + 1e-6)


def guard_used(y, y0, model, cls, eps, p, kind, gradient_norm, bound):
    """The guard g / (||g|| + guard) that turns the contract's step into y, if one does (checked by
    redoing the step with it); None otherwise."""
    want = pgd(model, y0, cls, eps, p, 1, eps, kind)
    inside = (want > 0) & (want < 1) & (np.abs(want - y0) > 0)
    if inside.sum() < 2:
        return None
    ratio = float(np.median((y - y0)[inside] / (want - y0)[inside]))
    if not 0 < ratio < 1:
        return None
    guard = gradient_norm * (1 / ratio - 1)
    redone = redo(model, y0, cls, eps, p, 1, eps, kind, guard=guard)
    return guard if redone is not None and np.max(np.abs(redone - y)) <= bound else None


def one_step_attack(student, model, y0, t, kind, p, eps, target_shift=3) -> Case:
    """Run steps=1, step_size=eps (judged by one_step_judged)."""
    cls = attack_class(model, t, kind, target_shift)
    return Case(run_attack(student, kind, model, y0, cls, eps, p, steps=1, step_size=eps), model, y0, cls, kind,
                p, eps, 1)


def _gradient_at(model, y0, cls) -> np.ndarray:
    """dE/dy0 of the grader's model at y0 for class cls."""
    model.forward(np.asarray(y0, dtype=np.float64), int(cls))
    return model.backward()["y0"]


def short_step_attack(student, model, y0, t, kind, eps, target_shift=3) -> Case:
    """L2, steps = 1, step_size = eps / 2, on an input whose pixels lie in [0.3, 0.7] (eps <= 0.6): neither
    the ball nor the box binds, so the result shows the step's length and direction alone (judged by
    short_step_judged)."""
    cls = attack_class(model, t, kind, target_shift)
    return Case(run_attack(student, kind, model, y0, cls, eps, 2, steps=1, step_size=eps / 2), model, y0, cls,
                kind, 2, eps, 1)


def short_step_judged(case: Case) -> None:
    """y must be exactly y0 +- (eps / 2) dE/dy0 / ||dE/dy0||_2."""
    model, y0, cls, kind, eps = case.model, case.y0, case.cls, case.kind, case.eps
    y = numbers(case.attacked)
    bound = step_bound(eps / 2, float(np.linalg.norm(_gradient_at(model, y0, cls))))
    want = pgd(model, y0, cls, eps, 2, 1, eps / 2, kind)
    if np.max(np.abs(y - want)) <= bound:
        return
    sign = "+" if kind == "untargeted" else "-"
    raise Feedback("\n".join([
        f"attack: {kind} L_2 with steps = 1, step_size = eps / 2 = {eps / 2:g}, from an input the step cannot take "
        f"out of the ball or the box, is not y0 {sign} step_size * dE/dy0 / ||dE/dy0||_2.",
        _worst_entry(y, want, bound),
        f"  Your step is {float(np.linalg.norm(y - y0)):.6g} long (L_2); it must be step_size = {eps / 2:g}."]))


def one_step_case(student, model, y0, t, kind, p, eps, target_shift=3):
    one_step_judged(one_step_attack(student, model, y0, t, kind, p, eps, target_shift))


def one_step_judged(case: Case) -> None:
    """steps=1, step_size=eps must be exactly clip(y0 +- eps * direction(dE/dy0), 0, 1)."""
    model, y0, cls, kind, p, eps = case.model, case.y0, case.cls, case.kind, case.p, case.eps
    y = numbers(case.attacked)
    g = _gradient_at(model, y0, cls)
    gradient_norm, step = float(np.linalg.norm(g)), direction(g, p)
    bound = step_bound(eps, gradient_norm if p != np.inf else None)
    want = pgd(model, y0, cls, eps, p, 1, eps, kind)
    if np.max(np.abs(y - want)) <= bound:
        return
    sign = 1.0 if kind == "untargeted" else -1.0
    name = "sign(dE/dy0)" if p == np.inf else "dE/dy0 / ||dE/dy0||_2"
    lines = [f"attack: {kind} {pname(p)} with steps = 1, step_size = eps = {eps:g} "
             f"is not clip(y0 {'+' if sign > 0 else '-'} eps * {name}, 0, 1).", _worst_entry(y, want, bound)]
    if np.max(np.abs(y - np.clip(y0 - sign * eps * step, 0, 1))) <= bound:
        lines.append("  The step goes the wrong way: the untargeted attack climbs E for t (+), "
                     "the targeted one descends E for the target (-).")
    elif np.max(np.abs(y - (y0 + sign * eps * step))) <= bound:
        lines.append("  The result is not clipped to [0, 1].")
    elif p != np.inf and looks_like_sign_step(y, y0):
        lines.append("  For p = 2 step along dE/dy0 / ||dE/dy0||_2, not its sign: every entry moved "
                     "by the same amount.")
    elif p != np.inf:
        guard = guard_used(y, y0, model, cls, eps, p, kind, gradient_norm, bound)
        if guard is not None and guard > GUARD:
            lines.append(f"  Your step is dE/dy0 / (||dE/dy0|| + {guard:.2g}): a guard far larger than needed "
                         f"(||dE/dy0||_2 is {gradient_norm:.3g} here). A guard of at most {GUARD:g}, or dividing "
                         f"only when the norm is positive, keeps the step exact.")
    raise Feedback("\n".join(lines))


def _worst_entry(y, want, bound) -> str:
    gap = np.abs(y - want)
    worst = int(np.argmax(gap))
    return (f"  worst entry y[{worst}]: yours {fmt_exact(y[worst])}, expected {fmt_exact(want[worst])}; "
            f"difference {gap.max():.3g} > tolerance {bound:.3g}.")


def default_step_case(student, model, y0, t, kind, eps, steps, target_shift=4):
    """step_size=None means 2.5 * eps / steps: the result equals the contract's attack with it."""
    cls = attack_class(model, t, kind, target_shift)
    y = numbers(run_attack(student, kind, model, y0, cls, eps, np.inf, steps=steps))
    want = pgd(model, y0, cls, eps, np.inf, steps, None, kind)
    bound = step_bound(eps)
    if np.max(np.abs(y - want)) <= bound:
        return
    lines = [f"attack: {kind} L_inf, eps = {eps:g}, steps = {steps}, step_size = None (so 2.5 * eps / steps = "
             f"{2.5 * eps / steps:g}) is not what {steps} projected steps of that size give.",
             _worst_entry(y, want, bound)]
    for size, words in ((2.5 * eps / 10, "2.5 * eps / 10: the default steps = 10, not the steps given"),
                        (eps / steps, "eps / steps, not 2.5 * eps / steps"), (eps, "eps, whatever steps is")):
        redone = redo(model, y0, cls, eps, np.inf, steps, size, kind)
        if redone is not None and np.max(np.abs(y - redone)) <= bound:
            lines.append(f"  Your result is what a step size of {words} gives.")
            break
    raise Feedback("\n".join(lines))


def direction_case(student, model, y0, t, kind, eps, steps=10, target_shift=5):
    """The attack moves E the right way, by a good share of what the contract's attack achieves: the
    attack's work gate itself (gates.attack_moves_E), whatever the distance moved."""
    case = limits_attack(student, model, y0, t, kind, np.inf, eps, steps, target_shift)
    y = numbers(case.attacked)
    correct = pgd(model, y0, case.cls, eps, np.inf, steps, None, kind)
    attack_moves_E(model, y0, case.cls, kind, np.inf, eps, y, correct)


def check_norms(student, arrays_and_ps, strict: bool = False) -> None:
    """lp_norm's values (and, `strict`, that each is a float, as the contract says); every call is
    made before any value is looked at."""
    values = [student.call("attack:lp_norm", None, x, p, label="lp_norm") for x, p in arrays_and_ps]
    for (x, p), value in zip(arrays_and_ps, values):
        got = as_float(value, f"lp_norm(x, {p})") if strict else read_float(value, f"lp_norm(x, {p})").require()
        want = norm(x, p)
        result = close(got, want, NORM)
        if not result.ok:
            hint = ""
            if x.ndim > 1 and p != np.inf and np.isclose(got, norm(x.reshape(x.shape[0], -1)[0], p)):
                hint = "\n  It looks computed over one row only: sum over every entry of x."
            elif p == 1 and np.isclose(got, np.sum(x)):
                hint = "\n  Take absolute values: |x_i|."
            elif p == np.inf and np.isclose(got, np.max(x)):
                hint = "\n  For p = inf use max |x_i|, with the absolute value."
            raise Feedback(f"attack: lp_norm(x, p = {p}) for x of shape {x.shape} is {fmt_exact(got)}, expected "
                           f"{fmt_exact(want)} (difference {result.difference:.3g} > tolerance "
                           f"{result.tolerance:.3g}).{hint}")

