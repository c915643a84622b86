"""A report part computed elsewhere while the reports are drawn: asked for only when a page
needs it (the decision is the last thing both reports need, the slowest to compute).

:func:`resolve` returns a plain value as it is and waits for a :class:`Pending` one, so the
report writers take either. :class:`Forked` computes in a forked process (the other core),
:class:`Later` on first use here, :class:`Inbox` receives it from the parent (the Markdown
worker's side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Pending:
    """A value not known yet; :meth:`get` waits for it (once) and tells the listeners."""

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._listeners: list[Callable[[Any], None]] = []

    def _compute(self) -> Any:
        raise NotImplementedError

    def get(self) -> Any:
        if not self._done:
            self._value = self._compute()
            self._done = True
            for listener in self._listeners:
                listener(self._value)
        return self._value

    def then(self, listener: Callable[[Any], None]) -> None:
        """Call ``listener(value)`` when the value is known (now if it already is)."""
        if self._done:
            listener(self._value)
        else:
            self._listeners.append(listener)

    def cancel(self) -> None:
        """Stop computing it (nothing if it is computed here)."""


class Known(Pending):
    """A value known from the start."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self._value, self._done = value, True


def pending(value: Any) -> Pending:
    """``value`` as a :class:`Pending` (itself if it is one)."""
    return value if isinstance(value, Pending) else Known(value)


def resolve(value: Any) -> Any:
    """``value``, waiting for it if it is :class:`Pending`."""
    return value.get() if isinstance(value, Pending) else value


class Later(Pending):
    """Computed by ``call()`` here, the first time it is asked for."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__()
        self._call = call

    def _compute(self) -> Any:
        return self._call()


class Inbox(Pending):
    """The next object put on ``queue`` (a :class:`multiprocessing.SimpleQueue`)."""

    def __init__(self, queue: Any) -> None:
        super().__init__()
        self._queue = queue

    def _compute(self) -> Any:
        return self._queue.get()


class Forked(Pending):
    """``call(*args)`` in a forked process (fork shares the parent's memory: nothing is
    pickled but the answer); computed here where fork is unavailable."""

    def __init__(self, call: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        import multiprocessing
        import os

        self._call, self._args = call, args
        self._proc: Any = None
        if not hasattr(os, "fork"):
            return
        ctx = multiprocessing.get_context("fork")
        self._reader, writer = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(writer, call, args), daemon=True)
        self._proc.start()
        writer.close()  # the child's end: a child that dies closes the pipe

    def _compute(self) -> Any:
        if self._proc is None:
            return self._call(*self._args)
        proc, reader = self._proc, self._reader
        try:
            status, value = reader.recv()
        except EOFError:  # the child died before answering
            status, value = "died", None
        proc.join()
        reader.close()
        self._proc = None
        if status == "died":
            raise RuntimeError(f"report process died (exit code {proc.exitcode})")
        return answer(status, value, "report part")

    def cancel(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.is_alive():
                proc.kill()  # not SIGTERM: the CLI turns that into KeyboardInterrupt
            proc.join()
            self._reader.close()
            self._proc = None


def _child(writer: Any, call: Callable[..., Any], args: tuple) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not for us
    try:
        sent = ("ok", call(*args))
    except BaseException as exc:  # report any failure to the parent
        sent = failure(exc)
    writer.send(sent)
    writer.close()


def failure(exc: BaseException) -> tuple[str, Any]:
    """A child's failure for the parent (:func:`answer` reads it there):
    ``("interrupted", None)`` for Ctrl-C, ``("raise", exc)`` to raise again (an OSError
    stays an OSError), or ``("error", text)`` when ``exc`` cannot be pickled."""
    import pickle

    if isinstance(exc, KeyboardInterrupt):
        return ("interrupted", None)
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("raise", exc)


def answer(status: str, value: Any, what: str) -> Any:
    """A child's answer in the parent: ``value`` if ``status`` is "ok", else its failure
    (:func:`failure`) raised here; ``what`` names the child in a RuntimeError."""
    if status == "ok":
        return value
    if status == "interrupted":
        raise KeyboardInterrupt
    if status == "raise":  # the child's own exception (a ValueError stays one)
        raise value
    raise RuntimeError(f"{what} failed: {value}")


__all__ = ["Forked", "Inbox", "Known", "Later", "Pending", "answer", "failure", "pending",
           "resolve"]  # fmt: skip
