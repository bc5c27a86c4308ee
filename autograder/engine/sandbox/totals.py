"""What the grader keeps on a submission's behalf across all its calls: one budget, stated here.

The channel bounds one message (1 MiB of header, 64 MiB in all), but a submission sends many, and
whatever the grader *keeps* from them adds up: 668 MiB of refused attribute names, sent in 9 s,
once took the grader to Gradescope's 768 MB cap (every later test lost). Each record below is
bounded where its data enters (``Tally.add``, ``RoundTrips._round_trip``, ``round_trip.failure``,
``WorkerLifecycle._keep_output``), so what a submission costs the grader is a fixed amount, however
much it sends; once a budget is spent, the calls that need it fail with a message saying so, and
every other test runs as before.

Grader-driven state is bounded by the suite, not by the submission, and needs no budget here: the
lent objects (``Student.remotes``, one per lend), the labels that timed out, the imported modules
(one failure kept per module of the homework), the memo (one entry per key the suite chose).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Totals:
    # Callbacks: the reference solution makes at most 25 in one call (a 25-step attack, forward and
    # backward(0) in one round trip) and 123 in the whole suite, hidden tests included (measured).
    # An honest but roundabout attack (finite differences through forward: 2 x 64 inputs x 25
    # steps = 3,200) still fits. One callback costs the grader ~0.1 ms (measured), so a call stops
    # after ~1 s of the grader's time, and a submission after ~10 s of its 300 s budget.
    callbacks_per_call: int = 10_000
    callbacks_per_submission: int = 100_000
    # A record a callback appends to (refused assignments, a lent object's misuse): its count, and
    # the first distinct entries, each cut; feedback names at most 3 of them.
    tally_entries: int = 5
    tally_chars: int = 200
    # An error reported by the worker, as an honest worker already cuts it (worker.MESSAGE_LIMIT,
    # its last 20 frames of 100 + 200 characters): a hostile one could send 1 MiB of it per call.
    message_chars: int = 2_000
    error_frames: int = 20
    frame_chars: int = 200
    detail_chars: int = 500     # what a broken channel's error says about the student's bytes
    # Output of the workers retired (crash, timeout) during the run: the first and last characters
    # of all of it, as much as one live worker's capture (Limits.output_bytes: 32 KiB each); the
    # results show the last 8,000.
    retired_output_chars: int = 32 << 10


TOTALS = Totals()


def cut(text, limit: int) -> str:
    """Text of at most about `limit` characters, saying how much was cut."""
    text = text if type(text) is str else str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit:,} more characters cut]"


class Tally:
    """A record the submission's calls append to: how many entries, and the first few distinct.

    Iterating gives the kept entries; ``count`` says how many were added in all.
    """

    def __init__(self, entries: int = TOTALS.tally_entries, chars: int = TOTALS.tally_chars):
        self.limit, self.chars = entries, chars
        self.count = 0
        self.entries: list = []

    def add(self, entry) -> None:
        self.count += 1
        if len(self.entries) < self.limit:
            entry = cut(entry, self.chars)
            if entry not in self.entries:
                self.entries.append(entry)

    def __iter__(self):
        return iter(self.entries)

    def __bool__(self) -> bool:
        return self.count > 0

    def __repr__(self) -> str:
        return f"Tally({self.count}, {self.entries!r})"
