"""Judge every stack of an environment: its central stack and its member shards.

``obsgov preview --stack prod --all-stacks`` runs one ``obsgov preview --stack S --format json`` process per
stack (processes, so a stack's memory is returned when it is judged and one crash is one
stack's failure), at most :func:`worker_count` at a time, and aggregates one verdict: the
environment fails when any stack fails; bad input or an internal error in any stack is
reported as such (exit 2 or 3 beat 1).

``--changed-since REF`` judges only the stacks whose inputs changed since the git revision
REF (:func:`changed_stacks`): the program and the packs (code: every stack), the organisation
and pack config files (every stack), a stack's own file (that stack and, for an environment
stack, its shards), and the accounts registry read per stack: a shard reads its own accounts'
entries; the central stack reads the member accounts' identity and the few workload fields
the central accounts are built from (:func:`central_view`); every stack of the environment
reads the pack facts derived from the whole environment
(:func:`obsgov.gate.environment_layer.environment_facts`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.loader import PROJECT, load_environment, stack_file_for
from obsgov.config.stack_config import settings_from_config_map, stack_config_map
from obsgov.errors import InputError
from obsgov.io import display_path, read_yaml, write_atomic

#: What the program and the packs are made of: a change there can change any verdict.
CODE_PATHS = ("__main__.py", "Pulumi.yaml", "components", "obsgov", "policies", "requirements.txt")
#: Files of the stacks folder every stack reads.
SHARED_STACK_FILES = ("organization.yaml", "policy-packs", "physical-names.json")
#: A judged stack's memory budget: the issue's goal for any one process.
PROCESS_MEMORY_BYTES = 1 << 30


def shard_stack_name(environment_stack: str, shard: int) -> str:
    """Same naming as components/environment/stacks.py (the program's side)."""
    return f"{environment_stack}-members-{shard}"


def environment_stacks(env: EnvironmentConfig) -> list[str]:
    """The environment stack and its shard stacks, each of whose files must exist."""
    shards = env.settings.member_shards
    names = [env.stack]
    if shards is not None:
        names += [shard_stack_name(env.stack, n) for n in range(shards.count)]
    for name in names[1:]:
        stack_file_for(env.stack_file.parent, name, f"obsgov:memberShards of {env.stack}")
    return names


def worker_count(stacks: int, cpus: int | None = None, memory: int | None = None) -> int:
    """Bounded by the cores and by the memory each judged stack may take."""
    cpus = cpus or os.cpu_count() or 1
    if memory is None:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError):
            memory = PROCESS_MEMORY_BYTES
    return max(1, min(stacks, cpus, memory // PROCESS_MEMORY_BYTES))


# ------------------------------------------------------------------------- what changed


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def central_view(env: EnvironmentConfig) -> Any:
    """What the central stack reads of the member accounts (components/environment/
    central_account.py, organization_audit.py, model_lifecycle.py, views.py): each account's
    identity and placement, and per workload its name, kind, KPI namespace and served model."""
    view = []
    for account in env.member_accounts:
        workloads = [
            {
                "name": w.name,
                "kind": type(w).__name__,
                "namespace": getattr(w, "namespace", None),
                "group": getattr(w, "model_package_group", None),
                "model": getattr(w, "model_id", None),
            }
            for w in env.workloads_for(account)
        ]
        view.append(
            {
                "id": account.id,
                "name": account.name,
                "ou": account.organizational_unit,
                "workloads": workloads,
            }
        )
    return view


def shard_view(env: EnvironmentConfig, shard: int) -> Any:
    """Everything the registry says of a shard's accounts."""
    return [
        {
            "account": account.model_dump(mode="json"),
            "workloads": [w.model_dump(mode="json") for w in env.workloads_for(account)],
        }
        for account in env.member_accounts
        if env.shard_of(account) == shard
    ]


def _portable(value: Any, folder: Path) -> Any:
    """``value`` with every path into the stacks folder (the registry snapshot's) replaced by
    its place in the folder and its content: the folder as it was at REF is written elsewhere,
    and what the packs read is the file's content, not where it lies."""
    if isinstance(value, dict):
        return {k: _portable(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v, folder) for v in value]
    if isinstance(value, str) and value.startswith(str(folder) + os.sep):
        path = Path(value)
        return f"{path.relative_to(folder)}:{_tree_digest(path)}"
    return value


def stack_inputs(env: EnvironmentConfig) -> dict[str, str]:
    """stack -> digest of what that stack of ``env``'s environment reads from the stacks
    folder (the code is compared apart)."""
    from .environment_layer import environment_facts

    folder = env.stack_file.parent
    shared = _digest([_portable(environment_facts(env), folder), env.config_map])
    found = {env.stack: _digest([shared, central_view(env)])}
    shards = env.settings.member_shards
    for n in range(shards.count if shards else 0):
        name = shard_stack_name(env.stack, n)
        # a shard's config is its environment's (in ``shared``) with its own file's keys on
        # top (obsgov.config.loader): its own keys are all it adds. Reading them, not loading
        # the shard (which validates the whole registry again: 39 s for 20 shards of 1,000
        # accounts, twice per --changed-since), keeps the one-account gate small.
        found[name] = _digest([shared, _own_config(env, name), shard_view(env, n)])
    return found


def _own_config(env: EnvironmentConfig, stack: str) -> dict[str, str]:
    path = env.stack_file.parent / f"Pulumi.{stack}.yaml"
    return stack_config_map(read_yaml(path), display_path(path))


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise InputError.single("--changed-since", "", f"git {args[0]}: {detail.strip()}") from None
    return done.stdout


def repository_of(folder: Path) -> Path:
    """The git work tree holding ``folder`` (whose history --changed-since reads)."""
    return Path(_git(folder, "rev-parse", "--show-toplevel").strip())


def _stacks_at(root: Path, stacks_dir: Path, ref: str, into: Path) -> Path | None:
    """The stacks folder as it was at ``ref``, written under ``into``; None when it did not
    exist then."""
    relative = stacks_dir.resolve().relative_to(root.resolve())
    listing = _git(root, "ls-tree", "-r", "--name-only", ref, "--", str(relative))
    if not listing.strip():
        return None
    for name in listing.splitlines():
        blob = subprocess.run(
            ["git", "-C", str(root), "show", f"{ref}:{name}"], capture_output=True, check=True
        ).stdout
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
    return into / relative


def changed_stacks(
    env: EnvironmentConfig, ref: str, root: Path, code_paths: Sequence[str] = CODE_PATHS
) -> list[str]:
    """The stacks of ``env``'s environment whose inputs differ from revision ``ref``."""
    stacks = environment_stacks(env)
    _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}")
    present = [p for p in code_paths if (root / p).exists()]
    # with no path after "--" git diffs the whole tree (the stacks folder too): only ask when
    # the repository holds some of the program
    if present and _git(root, "diff", "--name-only", ref, "--", *present).strip():
        return stacks  # the program or the packs changed
    stacks_dir = env.stack_file.parent
    with tempfile.TemporaryDirectory() as folder:
        before_dir = _stacks_at(root, stacks_dir, ref, Path(folder))
        if before_dir is None or not (before_dir / env.stack_file.name).is_file():
            return stacks
        for shared in SHARED_STACK_FILES:
            if _tree_digest(stacks_dir / shared) != _tree_digest(before_dir / shared):
                return stacks
        try:
            before_env = load_environment(env.stack, before_dir / env.stack_file.name)
            before = stack_inputs(before_env)
        except InputError:
            return stacks  # what was there did not load: judge everything
    now = stack_inputs(env)
    return [s for s in stacks if before.get(s) != now.get(s)]


def _tree_digest(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not path.is_dir():
        return ""
    return _digest(
        {str(p.relative_to(path)): _tree_digest(p) for p in sorted(path.rglob("*")) if p.is_file()}
    )


# ------------------------------------------------------------------------- stack references


def referenced_by(env: EnvironmentConfig, stacks: Iterable[str]) -> dict[str, str]:
    """stack -> the config key naming it, for every stack that ``stacks`` (``env``'s stack
    and its shards) read through a StackReference (obsgov.synth.runner.referenced_stacks on
    each stack's settings: the environment's, with a shard's own keys on top)."""
    from obsgov.synth.runner import stacks_read_by

    found: dict[str, str] = {}
    for stack in stacks:
        settings: Any = env.settings
        if stack != env.stack:
            config = {**env.config_map, **_own_config(env, stack)}
            settings, problems = settings_from_config_map(config, stack)
            if settings is None:
                raise InputError(problems)
        for name, key in stacks_read_by(settings):
            found.setdefault(name, key)
    return found


def shared_stack_outputs(
    env: EnvironmentConfig,
    stacks: Sequence[str],
    folder: Path,
    given: dict[str, Any],
    organization: str = "organization",
) -> list[str]:
    """``--stack-outputs`` options giving every judged stack the outputs of the stacks it
    reads (the organisation stack; a shard's central stack when there is none), synthesized
    here once for the whole gate and written as JSON files under ``folder``. Without them
    each stack's process synthesized the organisation stack again (obsgov.synth.runner.
    deployed_outputs) and validated the registry once more to do it. Outputs in ``given``
    (the gate's own --stack-outputs) win, as in one stack's preview."""
    from obsgov.synth.runner import deployed_outputs

    options: list[str] = []
    for stack in referenced_by(env, stacks):
        name = f"{organization}/{PROJECT}/{stack}"
        if name in given:
            continue  # passed on with the gate's own --stack-outputs
        stack_file = env.stack_file.parent / f"Pulumi.{stack}.yaml"
        if not stack_file.is_file():
            continue  # each stack's preview reports it as the bad input it is
        target = folder / f"{stack}.outputs.json"
        outputs = deployed_outputs(stack_file, stack)
        write_atomic(target, json.dumps(outputs, sort_keys=True) + "\n")
        options += ["--stack-outputs", f"{name}={target}"]
    return options


# ------------------------------------------------------------------------- judging


@dataclass
class StackVerdict:
    stack: str
    exit_code: int
    text: str  # the stack's text block (stdout)
    errors: str  # stderr
    report: dict[str, Any] | None = None  # its JSON report


@dataclass
class EnvironmentVerdict:
    environment: str
    judged: list[StackVerdict]
    skipped: list[str] = field(default_factory=list)  # unchanged since --changed-since

    @property
    def exit_code(self) -> int:
        """Bad input (2) and internal errors (3) beat a verdict (1): the environment was not
        wholly judged."""
        codes = {v.exit_code for v in self.judged}
        for code in (3, 2, 4, 1):
            if code in codes:
                return code
        return max(codes | {0})

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "failed": self.exit_code != 0,
            "exitCode": self.exit_code,
            "stacks": {v.stack: v.report for v in self.judged},
            "exitCodes": {v.stack: v.exit_code for v in self.judged},
            "unchanged": self.skipped,
        }


Runner = Callable[[list[str]], subprocess.CompletedProcess]


#: The per-stack processes running now, so an interrupted environment gate stops them
#: instead of leaving them judging (and holding their packs) after it has gone.
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()

#: How long a stack's process may take to stop its packs once interrupted before it is killed.
STOP_GRACE_SECONDS = 10.0


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        with _running_lock:
            _running.add(process)
        try:
            out, err = process.communicate()
        finally:
            with _running_lock:
                _running.discard(process)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def stop_running_stacks(grace: float = STOP_GRACE_SECONDS) -> int:
    """Interrupt every per-stack process still running, then SIGKILL what outlives ``grace``;
    returns how many there were. SIGINT, as Ctrl-C in a terminal would deliver it: a stack's
    ``obsgov preview`` stops its packs on KeyboardInterrupt (obsgov/gate/engine.py closes them
    in a ``finally``), while SIGTERM's default action would end it at once and orphan them
    (they run in sessions of their own)."""
    with _running_lock:
        running = list(_running)
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return len(running)


def judge_stack(stack: str, options: Sequence[str], run: Runner = _run) -> StackVerdict:
    with tempfile.TemporaryDirectory() as folder:
        report_file = Path(folder) / "report.json"
        argv = [
            sys.executable,
            "-m",
            "obsgov.cli",
            "preview",
            "--stack",
            stack,
            *options,
            "--format",
            "json",
            "--output",
            str(report_file),
        ]
        done = run(argv)
        report = json.loads(report_file.read_text()) if report_file.is_file() else None
    return StackVerdict(stack, done.returncode, done.stdout, done.stderr, report)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) ends the environment gate as Ctrl-C does, so the
    per-stack processes are stopped (:func:`judge_environment`) instead of orphaned; the
    default action would end this process at once and leave them running."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def judge_environment(
    env: EnvironmentConfig,
    stacks: Iterable[str],
    options: Sequence[str] = (),
    workers: int | None = None,
    run: Runner = _run,
) -> EnvironmentVerdict:
    """Judge ``stacks`` in parallel processes; the others of the environment are skipped."""
    chosen = list(stacks)
    every = environment_stacks(env)
    skipped = [s for s in every if s not in chosen]
    if not chosen:
        return EnvironmentVerdict(env.stack, [], skipped)
    pool_size = workers or worker_count(len(chosen))
    pool = ThreadPoolExecutor(max_workers=pool_size)
    try:
        judged = list(pool.map(lambda s: judge_stack(s, options, run), chosen))
    except BaseException:
        # interrupted (Ctrl-C, or SIGTERM through sigterm_interrupts): the stacks not
        # started never start, and the running ones are stopped rather than left behind
        pool.shutdown(wait=False, cancel_futures=True)
        stop_running_stacks()
        raise
    pool.shutdown()
    return EnvironmentVerdict(env.stack, judged, skipped)
