"""Launch a policy pack and talk to it over Pulumi's Analyzer gRPC protocol.

This mirrors what the Pulumi CLI does for a Python pack: the pack folder is the working
directory, the language host runs ``python -u -m pulumi.policy <engine> <program>``, the stack's
identity and config travel in ``PULUMI_*`` environment variables, and the plugin prints the port
it listens on as the first line of stdout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path

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


class AnalyzerPlugin:
    def __init__(
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
            )
        except OSError as exc:
            raise PackError(f"policy pack {project.label}: cannot start {args[0]}: {exc}") from None
        try:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
            self._stderr_thread.start()
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
    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self._stderr.append(raw.decode("utf-8", "replace").rstrip())

    def stderr_tail(self, lines: int = 15) -> str:
        tail = list(self._stderr)[-lines:]
        return "\n".join(f"    {line}" for line in tail)

    def _read_port(self) -> int:
        line: list[bytes] = []
        done = threading.Event()

        def reader() -> None:
            assert self.process.stdout is not None
            line.append(self.process.stdout.readline())
            done.set()

        threading.Thread(target=reader, daemon=True).start()
        if not done.wait(self.start_timeout):
            self.close()
            raise PackError(
                f"policy pack {self.project.label} printed no port within "
                f"{self.start_timeout:g}s; it may be hanging at import.\n{self.stderr_tail()}"
            )
        text = _ANSI.sub("", line[0].decode("utf-8", "replace")).strip()
        if not text.isdigit():
            if not text:  # stdout closed: the process is exiting, let it finish
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            code = self.process.poll()
            self._stderr_thread.join(timeout=2)
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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> AnalyzerPlugin:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
