"""Objects of the grader's lent to student code: the worker sees a proxy, every use comes back here.

The engine enforces what a student may do with a lent object: call its listed methods, read its
listed attributes, set nothing but the attributes lent as settable. Any other attempt to set an
attribute is refused here, whatever the lent object would allow, and recorded on the Remote
(``Remote.refused``: how many, and the first few distinct), so a test can say the student tried to
change the model, however many times it tried.
"""

from __future__ import annotations

from autograder.engine.sandbox.channel import EMPTY_DICT, Channel, ChannelError, Opaque, Remote, decode, encode


class Lending:
    """Part of Student: lend grader objects, answer their callbacks on plain data."""

    def remote(self, name: str, obj, methods=(), attributes=(), prefetch=None, settable=()) -> Remote:
        """Lend a grader object to student code (it sees a proxy; calls come back here): its
        `methods` may be called, its `attributes` read, and only its `settable` ones set."""
        lent = Remote(name, methods, attributes, prefetch)
        self.remotes[name] = (obj, set(methods), set(attributes), dict(prefetch or {}), set(settable), lent)
        return lent

    def _answer_callback(self, channel: Channel, raw: dict, frames: list) -> None:
        """The student's code used an object we lent it: do it here, on plain data."""
        out_frames: list = []
        try:
            obj, methods, attributes, prefetch, settable, lent = self.remotes[raw["callback"]]
            op, name = raw.get("cop"), str(raw.get("method"))
            extra = {}
            if op == "call" and name in methods:
                args = decode(raw.get("args", []), frames)
                kwargs = decode(raw.get("kwargs", EMPTY_DICT), frames)
                if any(isinstance(v, Opaque) for v in list(args) + list(kwargs.values())):
                    raise TypeError("arguments must be numbers or NumPy arrays")
                value = getattr(obj, name)(*args, **kwargs)
                if name in prefetch:
                    extra["prefetched"] = encode(getattr(obj, prefetch[name]["method"])(), out_frames)
            elif op == "getattr" and name in attributes:
                value = getattr(obj, name)
            elif op == "setattr":
                if name in settable:
                    setattr(obj, name, decode(raw.get("value"), frames))
                else:  # refused, whatever the object would allow, and recorded for the test to judge
                    lent.refused.add(f"set {name}")  # a count and the first few (totals.Tally)
                value = None
            else:
                raise AttributeError(f"{name!r} is not available on this object")
            reply = {"ok": True, "value": encode(value, out_frames), **extra}
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - the student's bad input to our object
            out_frames = []
            reply = {"ok": False, "message": f"{type(exc).__name__}: {exc}"[:500]}
        channel.send_raw(reply, out_frames)
