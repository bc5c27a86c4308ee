"""Attacks: the model is fixed, the input moves, within lp_norm(y - y0, p) <= eps and the box [0, 1].

The visible tests lend the student's attack a softmax-regression model with random weights
(not the homework's network), so a bug in the student's network costs no attack points and
the weights provably stay put. Its weights, the digits attacked and lp_norm's vector come from
the engine's generator: on Gradescope they are the submission's own (engine/grading/inputs.py).
"""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.inputs import generator

from .attacks import check_norms, default_step_case, direction_case, limits_case, one_step_case
from .models import visible_model

TRAINING = 1200  # visible tests attack the first 1,200 digits; the hidden attack tests use the others


def _inputs(data, seed):
    """A digit and its label, drawn from the generator."""
    images, labels = data
    index = int(generator(seed).integers(TRAINING))
    return images[index], int(labels[index])


@weight(3)
@number("5.1")
@tags("attack")
@visibility("visible")
def test_lp_norm_vectors(student):
    """attack: lp_norm of vectors for p = 1, 2 and inf, returned as a float"""
    a = generator(60).uniform(0.25, 3.0, 4)
    x = np.array([a[0], -(a.max() + 1.0), a[2], -a[3]])  # mixed signs; the largest |x_i| negative, so
    # a sum without absolute values (p = 1) or a max without them (p = inf) shows
    check_norms(student, [(x, 1), (x, 2), (x, np.inf)], strict=True)


@weight(3)
@number("5.3")
@tags("attack")
@visibility("visible")
def test_fgsm_exact(student, data):
    """attack: one L_inf step is exactly FGSM, untargeted and targeted"""
    y0, t = _inputs(data, 10)
    one_step_case(student, visible_model(), y0, t, "untargeted", np.inf, 0.1)
    one_step_case(student, visible_model(), y0, t, "targeted", np.inf, 0.1)


@weight(3)
@number("5.4")
@tags("attack")
@visibility("visible")
def test_budget_box_and_untouched(student, data):
    """attack: an attack that moves the input keeps the L_inf and L_2 budgets and the [0, 1] box, returns a new float64 array, and changes neither y0 nor the weights"""
    for kind in ("untargeted", "targeted"):
        limits_case(student, visible_model(), *_inputs(data, 11), kind, np.inf, 0.1, 10, contract=True)
        limits_case(student, visible_model(), *_inputs(data, 12), kind, 2, 1.0, 10, contract=True)


@weight(3)
@number("5.5")
@tags("attack")
@visibility("visible")
def test_direction_of_E(student, data):
    """attack: untargeted raises E for the true class; targeted lowers E for the target"""
    direction_case(student, visible_model(), *_inputs(data, 13), "untargeted", 0.1)
    direction_case(student, visible_model(), *_inputs(data, 14), "targeted", 0.1)


@weight(2)
@number("5.9")
@tags("attack")
@visibility("visible")
def test_default_step_size(student, data):
    """attack: step_size=None means 2.5 * eps / steps (L_inf, 4 and 3 steps)"""
    default_step_case(student, visible_model(), *_inputs(data, 15), "untargeted", 0.1, steps=4)
    default_step_case(student, visible_model(), *_inputs(data, 16), "targeted", 0.08, steps=3)
