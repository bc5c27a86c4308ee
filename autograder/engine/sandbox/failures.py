"""What can go wrong when the grader calls student code, as messages a student can act on.

Each is an AssertionError, so pytest counts the test as failed (never
errored or skipped) and the plugin shows the message as the test's output.
"""

from __future__ import annotations

import signal

from autograder.engine.sandbox.totals import TOTALS, cut


class StudentFailure(AssertionError):
    """A call into student code did not return a value. Of a batch (Student.batch), an exception
    raised in student code also says which call failed (`index`) and what the ones before it
    returned (`partial`); otherwise both are None."""

    index: int | None = None
    partial: list | None = None


class NotImplementedYet(StudentFailure):
    def __init__(self, function: str, where: str = ""):
        self.function = function
        super().__init__(f"{function} still raises NotImplementedError{where}: not implemented yet.")


class StudentException(StudentFailure):
    def __init__(self, function: str, error: dict):
        self.error = error
        lines = [f"{function} raised {error.get('type', 'an exception')}: {error.get('message', '')}".rstrip(": ")]
        if error.get("line") and error.get("file"):
            lines.append(f"  {error['file']}, line {error['line']}: {str(error.get('text', '')).strip()}")
        for file, line, name, text in error.get("frames", []):
            lines.append(f"  {file}, line {line}, in {name}" + (f"\n    {text}" if text else ""))
        hint = _exception_hint(error)
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class TimedOut(StudentFailure):
    def __init__(self, function: str, seconds: float, earlier: bool = False):
        self.earlier = earlier
        if earlier:
            text = (f"{function} did not finish within {seconds:g} s in an earlier test, "
                    "so it was not called again (look for an infinite loop).")
        else:
            text = f"{function} did not finish within {seconds:g} s and was stopped (look for an infinite loop)."
        super().__init__(text)


class BudgetSpent(StudentFailure):
    def __init__(self, function: str, seconds: float):
        super().__init__(f"{function} was not called: your code has used up the {seconds:g} s it may run "
                         f"in all (look for slow or endless loops).")


class Crashed(StudentFailure):
    def __init__(self, function: str, status, output_tail: str = ""):
        super().__init__(f"{function} ended the process running your code: {describe_status(status)}."
                         + (f"\nLast output:\n{output_tail}" if output_tail else ""))


class LostObject(StudentFailure):
    def __init__(self):
        super().__init__("the object this test built was lost when your code crashed or timed out earlier in the test.")


class ProtocolViolation(StudentFailure):
    def __init__(self, function: str, detail: str):
        super().__init__(f"while {function} ran, the process running your code broke the grader's "
                         f"channel to it ({cut(detail, TOTALS.detail_chars)}); it was stopped.")


class TooManyCallbacks(StudentFailure):
    """A call used the objects the grader lent it more often than the budget allows (totals.py)."""

    def __init__(self, function: str, limit: int, in_all: bool):
        uses = "used the objects the grader passed to it (calls, attribute reads and assignments on them)"
        if in_all:
            text = (f"{function} was stopped: your code has {uses} more than {limit:,} times in all its calls, "
                    f"so every call that uses them fails from now on (look for a loop that does not end).")
        else:
            text = (f"{function} {uses} more than {limit:,} times in one call and was stopped "
                    f"(look for a loop that does not end).")
        super().__init__(text)


class MissingFile(StudentFailure):
    pass


def fresh(failure: StudentFailure) -> StudentFailure:
    """The same failure as a new instance, with no traceback of its own yet."""
    new = failure.__class__.__new__(failure.__class__)
    BaseException.__init__(new, *failure.args)
    new.__dict__.update(failure.__dict__)
    return new


def describe_status(status) -> str:
    if status is None:
        return "the process ended unexpectedly"
    if status & 0x7F == 0:
        code = (status >> 8) & 0xFF
        return f"it exited with status {code} (sys.exit(), os._exit() or exit() in your code?)"
    sig = status & 0x7F
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
    reason = {"SIGKILL": "killed: memory limit, or the grader stopped it",
              "SIGXCPU": "CPU time limit exceeded",
              "SIGXFSZ": "file size limit exceeded",
              "SIGSEGV": "segmentation fault",
              "SIGABRT": "aborted"}.get(name, "killed by a signal")
    return f"{reason} ({name})"


def _exception_hint(error: dict) -> str:
    kind = str(error.get("type", ""))
    message = str(error.get("message", ""))
    if kind in ("ModuleNotFoundError", "ImportError"):
        return ("  Only the Python standard library and NumPy are available to your code: "
                "remove that import.")
    if kind == "MemoryError":
        return "  Your code ran out of memory (the limit is per process)."
    if kind in ("SystemExit", "KeyboardInterrupt"):
        return "  Your code tried to end the program; graded code must return instead."
    if kind == "SyntaxError" or kind == "IndentationError":
        return "  Fix the syntax error: the file cannot be imported."
    if "not aligned" in message or "matmul" in message or "could not be broadcast" in message:
        return "  Two arrays' shapes do not fit together: check each variable's shape."
    return ""
