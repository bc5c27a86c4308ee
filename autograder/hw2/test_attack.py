"""Attacks: the model is fixed, the input moves, within lp_norm(y - y0, p) <= eps and the box [0, 1].

The visible tests lend the student's attack a fixed softmax-regression model
(not the homework's network), so a bug in the student's network costs no
attack points and the weights provably stay put.
"""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback, fmt

from .attacks import check_norms, limits_case, one_step_case
from .models import LinearModel


def _inputs(data, index):
    images, labels = data
    return images[index], int(labels[index])


@weight(3)
@number("5.1")
@tags("attack")
@visibility("visible")
def test_lp_norm_vectors(student):
    """attack: lp_norm of vectors for p = 1, 2 and inf"""
    x = np.array([3.0, -4.0, 0.5, -0.25])
    check_norms(student, [(x, 1), (x, 2), (x, np.inf)])


@weight(4)
@number("5.3")
@tags("attack")
@visibility("visible")
def test_fgsm_exact(student, data):
    """attack: one L_inf step is exactly FGSM, untargeted and targeted"""
    y0, t = _inputs(data, 10)
    one_step_case(student, LinearModel(), y0, t, "untargeted", np.inf, 0.1)
    one_step_case(student, LinearModel(), y0, t, "targeted", np.inf, 0.1)


@weight(4)
@number("5.4")
@tags("attack")
@visibility("visible")
def test_budget_box_and_untouched(student, data):
    """attack: L_inf and L_2 budgets and the [0, 1] box hold; y0 and the weights do not change"""
    for kind in ("untargeted", "targeted"):
        limits_case(student, LinearModel(), *_inputs(data, 11), kind, np.inf, 0.1, 10)
        limits_case(student, LinearModel(), *_inputs(data, 12), kind, 2, 1.0, 10)


@weight(3)
@number("5.5")
@tags("attack")
@visibility("visible")
def test_direction_of_E(student, data):
    """attack: untargeted raises E for the true class; targeted lowers E for the target"""
    model = LinearModel()
    y, y0, t = limits_case(student, model, *_inputs(data, 13), "untargeted", np.inf, 0.1, 10)
    before, after = model.loss(y0, t), model.loss(y, t)
    if not after > before:
        raise Feedback(f"attack: untargeted L_inf, eps = 0.1\n  E for the true class went from {fmt(before)} to "
                       f"{fmt(after)}; it should rise. Step along +sign(dE/dy0).")
    y, y0, target = limits_case(student, model, *_inputs(data, 14), "targeted", np.inf, 0.1, 10)
    before, after = model.loss(y0, target), model.loss(y, target)
    if not after < before:
        raise Feedback(f"attack: targeted L_inf, eps = 0.1\n  E for the target went from {fmt(before)} to "
                       f"{fmt(after)}; it should fall. Step along -sign(dE/dy0) computed for the target.")
