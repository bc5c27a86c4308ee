"""Where a test draws its inputs: the recorded ones in the student bundle, fresh ones per submission
in the full grader.

The bundle's self-check can only run on the inputs whose expected values were recorded at build
(replay.py). If Gradescope's visible tests used those inputs too, the bundle would be a lookup table:
a forward and backward that hash their arguments and return the recorded values scored 32/100 with
no arithmetic. So wherever the reference itself is present (run_autograder / grade, batch, check),
a visible test's generator is also seeded with a salt of the submission, and the grader computes the
expected values with the reference: no recorded call is asked for again. Hidden tests keep their
fixed inputs (they are in no bundle; some are chosen by hand, e.g. logits in the hundreds).

Draw inputs inside a test (or a function-scoped fixture): a session fixture runs once for all tests.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

_salt: tuple | None = None    # this submission's salt (None: recorded inputs)
_active: tuple | None = None  # the salt while a visible test runs, else None


def generator(seed: int) -> np.random.Generator:
    """The generator a test draws its inputs from: np.random.default_rng(seed) in the bundle, while
    build records, and in hidden tests; in a visible test under the full grader, seeded with the
    submission's salt as well, so its inputs are in no bundle."""
    if _active is None:
        return np.random.default_rng(seed)
    return np.random.default_rng([*_active, int(seed)])


def fresh() -> bool:
    """Are the inputs being drawn now this submission's own (not the recorded ones)?"""
    return _active is not None


def use(salt: tuple | None) -> None:
    """The salt of the submission being graded (None: the recorded inputs)."""
    global _salt, _active
    _salt, _active = salt, None


def begin_test(visible: bool) -> None:
    global _active
    _active = _salt if visible else None


def secret(homework) -> bytes | None:
    """The key of the submissions' salts: a hash of the reference solution's files.

    They are in the grader's folder and in the Gradescope zip, never in the student bundle. Whoever
    could compute the key already holds the reference, which is more than predicting inputs would
    give them; and the same solution gives the same key everywhere, so run_autograder, batch and
    check --all grade a submission on the same inputs. None where the solution is absent (the bundle)."""
    h = hashlib.sha256()
    for name in sorted(homework.files):
        path = homework.solution / name
        if not path.is_file():
            return None
        h.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.digest()


def submission_salt(homework, files: dict) -> tuple | None:
    """HMAC(the secret, the submission's files): the same files always draw the same inputs (a regrade
    is reproducible; validate's "the solution twice" holds), another file draws others, and without
    the secret nobody can say which. `files`: name -> path of the submission's files that were found."""
    key = secret(homework)
    if key is None:
        return None
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for name in sorted(files):
        with open(files[name], "rb") as fh:
            mac.update(name.encode() + b"\0" + hashlib.sha256(fh.read()).digest())
    digest = mac.digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
