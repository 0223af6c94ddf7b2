"""Synthesis in a process of its own, so the SDK's working memory leaves with it.

Under the mocks the Pulumi SDK keeps every resource's outputs, futures and tasks alive until
the program ends: synthesizing a 50-account shard (6,053 resources) took a process from
150 MiB to 717 MiB, and only 121 MiB (the graph) was still referenced afterwards. The freed
rest stayed in the process's heap (the allocator's arenas are left partly occupied), so the
policy run that followed started from 800 MiB and peaked at 965 MiB. In a child process the
synthesis peaks alone, the parent only ever holds the graph, and the child's memory goes back
to the system when it exits.

The child is a fresh interpreter (``python -m obsgov.synth.apart REQUEST RESULT``), not a
fork: a fork copies only the calling thread, so any lock another thread held (the packs'
launcher, an executor, gRPC) would stay held in the child. The environment is handed over
pickled, exactly as the parent loaded it (1.3 MB and 0.03 s at 1,000 accounts, against 1.8 s
to load it again), and the graph comes back pickled (13 MB, 0.4 s for 6,053 resources).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from obsgov.errors import InputError
from obsgov.graph import ResourceGraph

from .mocked_run import SynthesisError

CHILD_MODULE = "obsgov.synth.apart"
#: prctl(2): the signal a process gets when its parent ends (Linux; elsewhere not set)
_PR_SET_PDEATHSIG = 1


class PendingGraph:
    """A synthesis started by :func:`synthesis_apart`; :meth:`result` waits for its graph."""

    def __init__(self, process: subprocess.Popen, result_file: Path) -> None:
        self.process = process
        self._result_file = result_file

    def result(self) -> ResourceGraph:
        code = self.process.wait()
        try:
            kind, value = pickle.loads(self._result_file.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError):
            how = f"signal {-code}" if code < 0 else f"exit {code}"
            killed = "; was it killed for memory?" if code == -signal.SIGKILL else ""
            # not the program's fault nor the input's: an internal error (exit 3)
            raise RuntimeError(
                f"the synthesis process ended ({how}) without a graph{killed}"
            ) from None
        if kind == "graph":
            return value
        if kind == "input":
            raise InputError(value)
        if kind == "synthesis":
            raise SynthesisError(value)
        raise RuntimeError(value)  # the child's own crash: an internal error, not a verdict

    def stop(self) -> None:
        """End a child whose graph is no longer wanted (the caller failed or was stopped)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@contextlib.contextmanager
def synthesis_apart(
    env: Any,
    *,
    preview: bool = True,
    stack_outputs: Mapping[str, Any] | None = None,
    program: Path | None = None,
) -> Iterator[PendingGraph]:
    """Start synthesizing ``env`` in a child process; the block may start other work (the
    packs) before it calls ``result()``. A child still running when the block ends is
    killed."""
    request = {
        "env": env,
        "preview": preview,
        "stack_outputs": dict(stack_outputs or {}),
        "program": program,
        "parent": os.getpid(),
    }
    with tempfile.TemporaryDirectory(prefix="obsgov-synth-") as scratch:
        request_file, result_file = Path(scratch, "request"), Path(scratch, "result")
        request_file.write_bytes(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, str(request_file), str(result_file)],
            stdin=subprocess.DEVNULL,
        )
        pending = PendingGraph(process, result_file)
        try:
            yield pending
        finally:
            pending.stop()


def _end_with(parent: int) -> None:
    """Be killed when the parent ends, however it ends (a killed gate leaves no synthesis
    running); a parent already gone ends this process now."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _answer(request: dict[str, Any]) -> tuple[str, Any]:
    from .runner import DEFAULT_PROGRAM, synthesize

    try:
        graph = synthesize(
            request["env"],
            preview=request["preview"],
            stack_outputs=request["stack_outputs"],
            program=request["program"] or DEFAULT_PROGRAM,
        )
    except InputError as exc:
        return "input", exc.problems
    except SynthesisError as exc:
        return "synthesis", str(exc)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which exits 3
        return "crash", f"synthesis failed: {type(exc).__name__}: {exc}"
    return "graph", graph


def main(argv: list[str]) -> int:
    request_file, result_file = Path(argv[0]), Path(argv[1])
    request = pickle.loads(request_file.read_bytes())
    _end_with(request["parent"])
    answer = pickle.dumps(_answer(request), protocol=pickle.HIGHEST_PROTOCOL)
    # whole or not at all: a partial file would be read as a graph cut short
    partial = result_file.with_suffix(".partial")
    partial.write_bytes(answer)
    partial.replace(result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
