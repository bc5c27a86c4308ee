"""What a student's process printed: kept as a head and a tail, made safe to show."""

from __future__ import annotations

import os
import re
import select
import threading

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(data: bytes | str, limit: int | None = None) -> str:
    """Valid UTF-8, no terminal escapes or control characters, optionally cut."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = _ESCAPES.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters cut]"
    return text


class HeadTail:
    """The first and last `keep` units (bytes or characters) of what was added, and how many were cut."""

    def __init__(self, keep: int, empty=b""):
        self.keep, self.empty = keep, empty
        self.head, self.tail, self.dropped = empty, empty, 0

    def add(self, data) -> None:
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            excess = len(self.tail) - self.keep
            if excess > 0:
                self.dropped += excess
                self.tail = self.tail[excess:]

    def __bool__(self) -> bool:
        return bool(self.head or self.tail)


class CappedOutput:
    """Drains a pipe in a thread, keeping the first and last `keep` bytes of each section.

    ``cut()`` ends a section: it takes, under the lock the drain holds while it reads, whatever sits
    in the pipe, so a section holds exactly what the worker wrote before it (the worker flushes its
    streams before each reply). The grader cuts at every test's start: what student code printed
    during a hidden test is that test's output, never the top-level output (see Student.begin_test).
    """

    def __init__(self, fd: int, keep: int):
        self.keep = keep
        self.section = HeadTail(keep, b"")
        self._fd: int | None = fd
        self._lock = threading.Lock()
        os.set_blocking(fd, False)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _read_available(self, limit: int = 64) -> bool:
        """Under the lock: read what the pipe holds now (at most `limit` chunks); False at its end."""
        for _ in range(limit):
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            if not chunk:
                os.close(self._fd)
                self._fd = None
                return False
            self.section.add(chunk)
        return True

    def _drain(self) -> None:
        while True:
            with self._lock:
                fd = self._fd
            if fd is None:
                return
            try:
                select.select([fd], [], [], 0.5)
            except (OSError, ValueError):
                pass  # closed meanwhile: the next round sees it
            with self._lock:
                if self._fd is None or not self._read_available():
                    return

    def finish(self, timeout: float = 1.0) -> None:
        self._thread.join(timeout)

    def cut(self) -> str:
        """The text of the section so far; a new section starts."""
        with self._lock:
            if self._fd is not None:
                self._read_available()
            section, self.section = self.section, HeadTail(self.keep, b"")
        return _text(section)

    def text(self) -> str:
        """The text of the current section (what was printed since the last cut)."""
        with self._lock:
            if self._fd is not None:
                self._read_available()
            section = HeadTail(self.keep, b"")
            section.head, section.tail, section.dropped = bytes(self.section.head), bytes(self.section.tail), \
                self.section.dropped
        return _text(section)


def _text(section: HeadTail) -> str:
    if not section:
        return ""
    middle = f"\n[... {section.dropped} bytes of output cut ...]\n" if section.dropped else ""
    return clean_text(bytes(section.head)) + middle + clean_text(bytes(section.tail))
