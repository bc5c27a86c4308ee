"""What a homework's tests use to call student code, beside the `student` fixture: the failures a
call may raise, a reference to an object living in the worker, and READ and WRITE (in a batch, read or
set attributes).
Tests import them from here, so a homework depends on grading only."""

from autograder.engine.sandbox.channel import Ref
from autograder.engine.sandbox.failures import StudentFailure
from autograder.engine.sandbox.student import READ, WRITE

__all__ = ["READ", "WRITE", "Ref", "StudentFailure"]
