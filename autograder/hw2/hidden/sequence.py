"""The hidden sequence: one network at the digits' size on test digits, its own steps moving the weights
between calls, in one round trip shared by tests 2.7 and 3.7 (see ../sequence.py)."""

from __future__ import annotations

from ..sequence import Step, build, forward_sequence
from ..support import random_weights
from . import HIDDEN


def hidden_steps(images, labels, picks) -> list:
    """The hidden sequence on real digits: the network's own steps move the weights."""
    (ia, ib, ic) = picks
    ta, tb = int(labels[ia]), int(labels[ib])
    other = (ta + 3) % 10
    return [Step(images[ia], ta, 0.0, None, f"digit {ia}"),
            Step(images[ib], ta, 0.5, None, f"digit {ib}"),      # the same t, another y0; a step
            Step(images[ib], other, 0.0, None, f"digit {ib}"),   # the same y0, another t
            Step(images[ia], ta, 0.5, None, f"digit {ia}"),      # call 1 again, on stepped weights; a step
            Step(images[ic], tb, 0.0, None, f"digit {ic}"),
            Step(images[ia], ta, 0.0, None, f"digit {ia}")]      # call 1 again, after two steps


def hidden(student, data, forward: bool = False):
    """The hidden sequence, shared by tests 2.7 and 3.7 (made by whichever runs first)."""
    images, labels = data
    steps = hidden_steps(images, labels, (1333, 1444, 1555))
    make = forward_sequence if forward else build
    return make(student, HIDDEN, random_weights(HIDDEN, 91, scale=0.3), steps, key="hidden")
