"""What a test tells the student when it passes on a condition (a credit carried forward, say).

A failed test's output is its failure's message; a passed one has none, unless the test leaves a
note here. The plugin clears the notes before each test and shows them as its output (after the
failure's message, when it fails all the same).
"""

from __future__ import annotations

_notes: list = []


def note(text: str) -> None:
    """Add a line to the running test's output."""
    if text:
        _notes.append(str(text))


def begin() -> None:
    _notes.clear()


def take() -> str:
    text = "\n".join(_notes)
    _notes.clear()
    return text
