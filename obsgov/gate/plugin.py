"""Launch a policy pack and talk to it over Pulumi's Analyzer gRPC protocol.

This mirrors what the Pulumi CLI does for a Python pack: the pack folder is the working
directory, the language host runs ``python -u -m pulumi.policy <engine> <program>``, the stack's
identity and config travel in ``PULUMI_*`` environment variables, and the plugin prints the port
it listens on as the first line of stdout.

A pack is untrusted code: it may spawn processes that outlive it and keep its pipes open, or
print without end. So it runs in a session (and process group) of its own that stopping it
kills whole, its stdin is closed, and its pipes are read to the end by reader threads that
stop on request: no call here waits on a pipe a process outside the gate's control holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import selectors
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc

from .project import PolicyPackProject

MAX_MESSAGE = 400 * 1024 * 1024  # the same ceiling pulumi_policy sets on its server
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def activate_virtualenv(env: dict[str, str], venv: Path) -> dict[str, str]:
    """As the language host's ``ActivateVirtualEnv`` (sdk/python/toolchain/toolchain.go): the
    virtualenv's bin first on PATH, VIRTUAL_ENV set, PYTHONHOME removed."""
    env = {k: v for k, v in env.items() if k != "PYTHONHOME"}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def go_json(value: Mapping[str, str]) -> str:
    """``json.Marshal`` in Go, which writes the config the engine hands a pack
    (``constructConfig`` in sdk/go/common/resource/plugin/analyzer_plugin.go): a map's keys
    sorted, no spaces, non-ASCII as is, and ``<``, ``>``, ``&``, U+2028, U+2029 escaped."""
    text = json.dumps(dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


class PackError(Exception):
    """A pack that crashed, hung or spoke nonsense; the gate fails closed on it."""


#: Longest line kept whole from a pack's output; a longer one is cut into pieces, so a pack
#: that prints without a newline cannot make the reader hold its output in memory.
MAX_LINE = 64 * 1024
#: How often a reader looks up from an idle pipe to see whether it was told to stop.
POLL_SECONDS = 0.1
#: How long a pack may take to exit after SIGTERM before its process group is killed.
TERMINATE_SECONDS = 5.0


class PipeReader:
    """Reads one of a child's pipes on a daemon thread, line by line, until the pipe's end
    or :meth:`stop`. The thread alone reads and closes the pipe: a process that keeps the
    pipe open (a pack's grandchild, a daemon it detached) never blocks another thread."""

    def __init__(self, stream: IO[bytes], on_line: Callable[[bytes], None], name: str) -> None:
        self._stream = stream
        self._on_line = on_line
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pending = b""
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._stream.fileno(), selectors.EVENT_READ)
                while not self._stop.is_set():
                    if not selector.select(POLL_SECONDS):
                        continue
                    chunk = os.read(self._stream.fileno(), 65536)
                    if not chunk:
                        break
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self._on_line(line)
                    while len(pending) > MAX_LINE:
                        self._on_line(pending[:MAX_LINE])
                        pending = pending[MAX_LINE:]
            if pending:
                self._on_line(pending)
        except (OSError, ValueError):
            pass  # the pipe broke or was closed: nothing more to read
        finally:
            self.finished.set()
            with contextlib.suppress(OSError):
                self._stream.close()

    def stop(self, wait: float = 1.0) -> None:
        self._stop.set()
        self._thread.join(wait)


class AnalyzerPlugin:
    def __init__(  # noqa: PLR0913 - keyword-only: the engine's analyzer launch settings
        self,
        project: PolicyPackProject,
        *,
        stack: str,
        project_name: str,
        organization: str,
        dry_run: bool,
        config: Mapping[str, str],
        start_timeout: float = 60.0,
        call_timeout: float = 300.0,
        stack_environment: bool = True,
    ) -> None:
        self.project = project
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self._stderr: deque[str] = deque(maxlen=60)
        # constructEnv's maybeAppendEnv sets only the non-empty ones; an empty one leaves
        # whatever the environment holds. The engine sets no PYTHONUNBUFFERED: the language
        # host's "-u" is what keeps the port line unbuffered.
        stack_env = {
            name: value
            for name, value in (
                ("PULUMI_CONFIG", go_json(config)),
                ("PULUMI_PROJECT", project_name),
                ("PULUMI_STACK", stack),
                ("PULUMI_ORGANIZATION", organization),
                ("PULUMI_DRY_RUN", "true" if dry_run else "false"),
            )
            if value
        }
        env = {k: v for k, v in os.environ.items() if k not in stack_env}
        if stack_environment:
            env.update(stack_env)
        # Runtime options (virtualenv, toolchain) are the language host's business: they pick
        # the interpreter and are not passed on to the pack.
        python = project.python()
        if project.virtualenv is not None:
            env = activate_virtualenv(env, project.virtualenv)
        args = [python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", project.program()]
        try:
            self.process = subprocess.Popen(
                args,
                cwd=project.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # its own session and process group: stopping the pack stops what it started
                start_new_session=True,
            )
        except OSError as exc:
            raise PackError(f"policy pack {project.label}: cannot start {args[0]}: {exc}") from None
        self._first_line: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self._port_taken = False
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            PipeReader(self.process.stderr, self._keep, f"{project.label} stderr"),
            PipeReader(self.process.stdout, self._stdout_line, f"{project.label} stdout"),
        ]
        threading.Thread(target=self._stdout_closed, daemon=True).start()
        try:
            port = self._read_port()
            self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
            try:
                grpc.channel_ready_future(self.channel).result(timeout=self.start_timeout)
            except grpc.FutureTimeoutError:
                raise PackError(
                    f"policy pack {project.label}: port {port} never accepted connections"
                ) from None
            self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        except BaseException:
            # Whatever went wrong while starting (a timeout, an interrupt), the process goes.
            self.close()
            raise

    # ------------------------------------------------------------------ process
    def _keep(self, raw: bytes) -> None:
        self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def _stdout_line(self, raw: bytes) -> None:
        """The first line is the port; the rest is the pack's output, kept with stderr's
        for the report of a failure (and drained, so a chatty pack never blocks)."""
        if not self._port_taken:
            self._port_taken = True
            self._first_line.put(raw + b"\n")
        else:
            self._keep(raw)

    def _stdout_closed(self) -> None:
        self._readers[1].finished.wait()
        if not self._port_taken:
            self._port_taken = True
            self._first_line.put(b"")  # stdout ended before a line: readline's b""

    def stderr_tail(self, lines: int = 15) -> str:
        tail = list(self._stderr)[-lines:]
        return "\n".join(f"    {line}" for line in tail)

    def _read_port(self) -> int:
        try:
            first = self._first_line.get(timeout=self.start_timeout)
        except queue.Empty:
            self.close()
            raise PackError(
                f"policy pack {self.project.label} printed no port within "
                f"{self.start_timeout:g}s; it may be hanging at import.\n{self.stderr_tail()}"
            ) from None
        text = _ANSI.sub("", (first or b"").decode("utf-8", "replace")).strip()
        if not text.isdigit():
            if not text:  # stdout closed: the process is exiting, let it finish
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)
            code = self.process.poll()
            self._readers[0].finished.wait(timeout=2)
            status = f"exited with code {code}" if code is not None else "is still running"
            self.close()
            got = f"printed {text!r} instead of a port" if text else "printed no port"
            raise PackError(
                f"policy pack {self.project.label} {got} and {status}.\n{self.stderr_tail()}"
            )
        return int(text)

    # ------------------------------------------------------------------ calls
    def call(self, method: str, request):
        try:
            return getattr(self.stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as exc:
            raise self._rpc_failure(method, exc) from None

    def call_async(self, method: str, request):
        """Start a call; hand the future to :meth:`result`."""
        return getattr(self.stub, method).future(request, timeout=self.call_timeout)

    def result(self, method: str, future):
        try:
            return future.result()
        except grpc.RpcError as exc:
            raise self._rpc_failure(method, exc) from None

    def _rpc_failure(self, method: str, exc: grpc.RpcError) -> PackError:
        time.sleep(0.1)  # let stderr catch up with a crash
        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            what = f"did not answer {method} within {self.call_timeout:g}s"
        elif self.process.poll() is not None:
            what = f"exited with code {self.process.returncode} during {method}"
        else:
            details = exc.details() if hasattr(exc, "details") else str(exc)
            what = f"failed {method}: {details}"
        return PackError(f"policy pack {self.project.label} {what}\n{self.stderr_tail()}")

    def close(self) -> None:
        channel = getattr(self, "channel", None)
        if channel is not None:
            channel.close()
        stop_process_group(self.process)
        for reader in getattr(self, "_readers", ()):
            reader.stop()

    def __enter__(self) -> AnalyzerPlugin:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    # the group is gone (or what remains of it is not ours)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def stop_process_group(process: subprocess.Popen, grace: float = TERMINATE_SECONDS) -> None:
    """Stop a process started in its own session and everything it started there: SIGTERM
    to the group, up to ``grace`` seconds for the leader to exit, then SIGKILL to whatever of
    the group is left, the leader included. A process that left the session (a daemon that
    called setsid) is out of reach; :class:`PipeReader` makes sure nothing waits on it."""
    _signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _signal_group(process, signal.SIGKILL)
    process.wait()
