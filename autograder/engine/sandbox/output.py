"""What a student's process printed: kept as a head and a tail, made safe to show (per worker,
and for all the workers a submission went through)."""

from __future__ import annotations

import os
import re
import threading

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(data: bytes | str, limit: int | None = None) -> str:
    """Valid UTF-8, no terminal escapes or control characters, optionally cut."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = _ESCAPES.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters cut]"
    return text


class CappedOutput:
    """Drains a pipe in a thread, keeping the first and last `keep` bytes."""

    def __init__(self, fd: int, keep: int):
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, args=(fd,), daemon=True)
        self._thread.start()

    def _drain(self, fd: int) -> None:
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                with self._lock:
                    room = self.keep - len(self.head)
                    if room > 0:
                        self.head += chunk[:room]
                        chunk = chunk[room:]
                    if chunk:
                        self.tail += chunk
                        excess = len(self.tail) - self.keep
                        if excess > 0:
                            self.dropped += excess
                            del self.tail[:excess]
        except OSError:
            pass
        finally:
            os.close(fd)

    def finish(self, timeout: float = 1.0) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        with self._lock:
            head, tail, dropped = bytes(self.head), bytes(self.tail), self.dropped
        if not head and not tail:
            return ""
        middle = f"\n[... {dropped} bytes of output cut ...]\n" if dropped else ""
        return clean_text(head) + middle + clean_text(tail)


class OutputLog:
    """The output of a submission's retired workers, one after another: the first and last `keep`
    characters of all of it, and how much was cut between (a submission that crashes its worker on
    every call would otherwise make the grader keep each worker's capture)."""

    def __init__(self, keep: int):
        self.keep = keep
        self.head = ""
        self.tail = ""
        self.cut = 0

    def add(self, text: str) -> None:
        if not text:
            return
        if self.head:
            text = "\n" + text
        room = self.keep - len(self.head)
        if room > 0:
            self.head += text[:room]
            text = text[room:]
        if text:
            tail = self.tail + text
            excess = len(tail) - self.keep
            if excess > 0:
                self.cut += excess
                tail = tail[excess:]
            self.tail = tail

    def text(self) -> str:
        middle = f"\n[... {self.cut:,} characters of output cut ...]\n" if self.cut else ""
        return self.head + middle + self.tail
