"""The student's side of the channel: imports their modules and answers calls.

Runs only inside a sandboxed child (see zygote.py); nothing here is trusted
by the grader, which treats every reply as the student's own output.
Requests (all plain data):

    {"op": "call", "target": "module:attr.path" | {"__ref__": name},
     "method": str | None, "args": [...], "kwargs": {...},
     "store": name | None, "discard": bool, "echo_args": bool}
    {"op": "getattrs", "target": ..., "names": [str, ...]}   several attributes, one round trip
    {"op": "fetch", "target": {"__ref__": name}}   a kept object's value
    a call's "store": name keeps its result; "store_items": [name, ...] keeps each item of a returned tuple
    {"op": "setattrs", "target": ..., "value": {name: value}}
    {"op": "batch", "calls": [call, getattrs or setattrs, ...]}   one round trip for many calls
    {"op": "evaluate", ...call..., "bases": {attr: array}, "points": [[["attr", name] | ["arg", i], index, value]]}
        the call at points the grader chose (one entry of the base replaced); raw values back
    {"op": "import", "module": str}              import a student module (so a slow import is told apart)
    {"op": "module", "name": str, "source": str}   install a grader-provided module (no secrets in it)

Replies: {"ok": True, "value": ...} or {"ok": False, "error": {...}}. While a
call runs, a grader-owned object passed as {"__remote__": ...} is a proxy whose
use sends {"callback": ...} to the grader and waits for {"reply": ...}.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import numpy as np

from autograder.engine.sandbox.channel import EMPTY_DICT, Channel, ChannelError, decode, encode, type_name

MESSAGE_LIMIT = 2000


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
        if type(text) is not str:
            raise TypeError
    except BaseException:  # noqa: BLE001 - __str__ may raise
        return "<the exception's message could not be turned into text>"
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + f"... [{len(text) - MESSAGE_LIMIT} more characters cut]"
    return text


class Server:
    def __init__(self, channel: Channel, scratch: str):
        self.channel = channel
        self.scratch = os.path.realpath(scratch)
        self.objects: dict = {}

    # -- errors -------------------------------------------------------------
    def _student_frames(self, exc: BaseException) -> list:
        frames = []
        try:
            for fs in traceback.extract_tb(exc.__traceback__, limit=200):
                if not fs.filename or not os.path.isabs(fs.filename):
                    continue
                path = os.path.realpath(fs.filename)
                if path.startswith(self.scratch + os.sep):
                    frames.append([os.path.basename(path), fs.lineno or 0, str(fs.name)[:100],
                                   (fs.line or "")[:200]])
        except BaseException:  # noqa: BLE001
            pass
        return frames[-20:]

    def _error(self, exc: BaseException) -> dict:
        info = {"type": type_name(exc)[:200], "message": _safe_str(exc),
                "frames": self._student_frames(exc)}
        if isinstance(exc, SyntaxError):
            info["file"] = os.path.basename(str(exc.filename or ""))
            info["line"] = exc.lineno
            info["text"] = str(exc.text or "")[:200]
        return info

    # -- objects ------------------------------------------------------------
    def _resolve(self, marker: dict):
        if "__ref__" in marker:
            return self.objects[marker["__ref__"]]
        return RemoteProxy(self, marker["__remote__"], marker.get("methods", []),
                           marker.get("attributes", []), marker.get("prefetch", {}))

    def _target(self, target):
        if isinstance(target, dict):
            return self._resolve(target)
        module_name, _, path = str(target).partition(":")
        obj = importlib.import_module(module_name)
        for part in filter(None, path.split(".")):
            obj = getattr(obj, part)
        return obj

    def _args(self, request: dict):
        args = decode(request.get("args") or [], self.frames, self._resolve)
        kwargs = request.get("kwargs")
        kwargs = decode(kwargs, self.frames, self._resolve) if kwargs and kwargs != EMPTY_DICT else {}
        return list(args), dict(kwargs)

    def _invoke(self, request: dict, args, kwargs):
        obj = self._target(request["target"])
        method = request.get("method")
        fn = getattr(obj, method) if method else obj
        return fn(*args, **kwargs)

    def _reply_value(self, value, frames: list):
        return encode(value, frames)

    # -- operations ---------------------------------------------------------
    def op_call(self, request: dict, frames: list) -> dict:
        args, kwargs = self._args(request)
        echo = request.get("echo_args")  # copies of the arrays sent, to tell which the call changed
        sent = [np.array(a, copy=True) if type(a) is np.ndarray else None for a in args] if echo else None
        value = self._invoke(request, args, kwargs)
        if request.get("store"):
            self.objects[request["store"]] = value
        items = request.get("store_items")
        if items:  # keep each item of a returned tuple (a layer's (out, cache)) for later calls
            if type(value) not in (tuple, list) or len(value) != len(items):
                raise TypeError(f"returned {type_name(value)}"
                                f"{f' of {len(value)} values' if type(value) in (tuple, list) else ''}, "
                                f"not a tuple of {len(items)} values")
            for name, item in zip(items, value):
                self.objects[str(name)] = item
        reply = {"ok": True, "value": None if request.get("discard") else encode(value, frames)}
        if request.get("store") and ("then" in request or "assign" in request):
            self._then(value, request, reply)
        if echo:
            # which array arguments did the call change in place?
            reply["mutated"] = [bool(s is not None and not _same(s, a)) for s, a in zip(sent, args)]
        return reply

    def _then(self, obj, request: dict, reply: dict) -> None:
        """After a construction: the `then` calls on the new object in order (stopping at the first
        that raises, reported as then_error), then the `assign` attributes, whatever happened."""
        for i, call in enumerate(request.get("then") or []):
            try:
                args, kwargs = self._args(call)
                getattr(obj, str(call["method"]))(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - reported for the grader to judge
                reply["then_error"] = {"index": i, "error": self._error(exc)}
                break
        if "assign" in request:
            try:
                self._assign(obj, request["assign"])
            except BaseException as exc:  # noqa: BLE001 - the student's __setattr__ may raise anything
                if "then_error" not in reply:
                    reply["then_error"] = {"index": len(request.get("then") or []), "error": self._error(exc)}

    def op_fetch(self, request: dict, frames: list) -> dict:
        """A kept object's value itself (Student.fetch)."""
        return {"ok": True, "value": encode(self._target(request["target"]), frames)}

    def op_getattrs(self, request: dict, frames: list) -> dict:
        target = self._target(request["target"])
        return {"ok": True, "value": encode({str(n): getattr(target, str(n)) for n in request["names"]}, frames)}

    def _assign(self, target, encoded) -> None:
        for name, value in decode(encoded, self.frames, self._resolve).items():
            setattr(target, str(name), value)

    def op_setattrs(self, request: dict, frames: list) -> dict:
        self._assign(self._target(request["target"]), request["value"])
        return {"ok": True, "value": None}

    def op_batch(self, request: dict, frames: list) -> dict:
        results, ops = [], {"getattrs": self.op_getattrs, "setattrs": self.op_setattrs}
        for i, call in enumerate(request["calls"]):
            try:
                op = ops.get(call.get("op"), self.op_call)
                results.append(op(call, frames)["value"])
            except BaseException as exc:  # noqa: BLE001
                return {"ok": False, "error": self._error(exc), "index": i, "value": results}
        return {"ok": True, "value": results}

    def op_evaluate(self, request: dict, frames: list) -> dict:
        """The target's method at points the grader chose, each the base inputs with one entry
        replaced by a value the grader computed: {"bases": {attr: array}, "points": [[where, index,
        value], ...]}, where is ["attr", name] or ["arg", position]. Replies every raw return value;
        the grader checks them and computes any difference."""
        args, kwargs = self._args(request)
        target = self._target(request["target"])
        bases = {str(name): np.array(base) for name, base in
                 decode(request.get("bases") or EMPTY_DICT, self.frames, self._resolve).items()}
        method = getattr(target, request["method"])
        values = []
        for (kind, key), index, value in request["points"]:
            moved_attr = str(key) if kind == "attr" else None
            for name, base in bases.items():  # every point starts from the same weights
                if name != moved_attr:
                    setattr(target, name, base.copy())
            call_args = [a.copy() if type(a) is np.ndarray else a for a in args]
            moved = np.array(bases[moved_attr] if moved_attr else call_args[int(key)], dtype=np.float64)
            moved.flat[int(index)] = float(value)
            if moved_attr:
                setattr(target, moved_attr, moved)
            else:
                call_args[int(key)] = moved
            values.append(method(*call_args, **kwargs))
        for name, base in bases.items():
            setattr(target, name, base.copy())
        return {"ok": True, "value": encode(values, frames)}

    def op_module(self, request: dict, frames: list) -> dict:
        """A module of the grader's own (plain code, no secrets) that student code may be given."""
        import types
        name = str(request["name"])
        module = types.ModuleType(name)
        exec(compile(str(request["source"]), f"<grader:{name}>", "exec"), module.__dict__)
        sys.modules[name] = module
        return {"ok": True, "value": None}

    def op_import(self, request: dict, frames: list) -> dict:
        importlib.import_module(str(request["module"]))
        return {"ok": True, "value": None}

    # -- loop ---------------------------------------------------------------
    def handle(self, request: dict) -> None:
        frames: list = []
        op = getattr(self, "op_" + str(request.get("op")), None)
        try:
            if op is None:
                raise ValueError(f"unknown operation {request.get('op')!r}")
            reply = op(request, frames)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, Skipped... all reported
            frames = []
            reply = {"ok": False, "error": self._error(exc)}
        _flush_output()
        self.channel.send_raw(reply, frames)

    def serve(self) -> None:
        while True:
            try:
                request, self.frames = self.channel.receive_raw()
            except ChannelError:
                return
            self.handle(request)


class RemoteProxy:
    """Stands in the worker for an object that lives in the grader (e.g. a network)."""

    def __init__(self, server: Server, name: str, methods, attributes, prefetch=None):
        object.__setattr__(self, "_server", server)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_methods", set(methods))
        object.__setattr__(self, "_attributes", set(attributes))
        object.__setattr__(self, "_prefetch", dict(prefetch or {}))
        object.__setattr__(self, "_cached", {})  # method -> the result sent ahead of its call

    def _callback(self, op: str, **fields):
        server = object.__getattribute__(self, "_server")
        frames: list = []
        message = {"callback": object.__getattribute__(self, "_name"), "cop": op}
        for key, value in fields.items():
            message[key] = encode(value, frames)
        server.channel.send_raw(message, frames)
        reply, reply_frames = server.channel.receive_raw()
        if not reply.get("ok"):
            raise RuntimeError(str(reply.get("message", "the call was refused")))
        if "prefetched" in reply:
            method = object.__getattribute__(self, "_prefetch")[fields.get("method")]["method"]
            object.__getattribute__(self, "_cached")[method] = decode(reply["prefetched"], reply_frames)
        return decode(reply.get("value"), reply_frames)

    def _call(self, name, args, kwargs):
        cached = object.__getattribute__(self, "_cached")
        if name in cached:
            value = cached.pop(name)
            served = [rule["args"] for rule in object.__getattribute__(self, "_prefetch").values()
                      if rule["method"] == name]
            try:
                if not kwargs and any(list(args) == list(a) for patterns in served for a in patterns):
                    return value
            except Exception:  # noqa: BLE001 - an argument that will not compare: ask the grader
                pass
        return self._callback("call", method=name, args=list(args), kwargs=kwargs)

    def __getattr__(self, name):
        if name in object.__getattribute__(self, "_methods"):
            return lambda *args, **kwargs: self._call(name, args, kwargs)
        if name in object.__getattribute__(self, "_attributes"):
            return self._callback("getattr", method=name)
        raise AttributeError(f"{object.__getattribute__(self, '_name')!r} has no attribute {name!r}")

    def __setattr__(self, name, value):
        self._callback("setattr", method=name, value=value)

    def __repr__(self):
        return f"<network {object.__getattribute__(self, '_name')}>"


def _flush_output() -> None:
    """What the student printed reaches the pipe now: the worker ends with SIGKILL, which would
    lose whatever sat in Python's buffers (and with it, their output in results.json)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a student may have replaced the stream with anything
            pass


def _same(a: np.ndarray, b) -> bool:
    return type(b) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype and \
        bool(np.array_equal(a, b, equal_nan=True))


def serve(sock, scratch: str) -> None:
    """Entry point in the sandboxed child."""
    sys.path.insert(0, scratch)
    Server(Channel(sock), scratch).serve()
