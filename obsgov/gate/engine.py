"""The engine side of a policy run: what ``pulumi preview --policy-pack`` does, offline.

Every pack is started (:mod:`.launch`) and configured (:meth:`.driver.PackSession.configure`)
concurrently. Then, as ``pkg/resource/deploy/step_generator.go`` does for each resource,
remediations run first, pack after pack in the order given, each seeing the inputs the
previous one produced; then every pack analyzes the (remediated) resources and the stack,
concurrently, each pack in its own process. Results are reported packs by ``name@version`` and
violations by level, severity, policy and URN, as the CLI's display orders them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from obsgov.errors import InputError
from obsgov.graph import ResourceGraph

from . import pack_config as cfg
from .driver import IN_FLIGHT, PackSession, pack_order, violation_order
from .launch import GateOptions, PackLauncher, launch_pack, launcher_for, refuse_duplicates
from .plugin import AnalyzerPlugin, PackError
from .project import PolicyPackProject
from .requests import Requests, _Wire
from .results import (
    GateRun,
    PackResult,
    PolicyConfigError,
    PolicyMeta,
    Remediation,
    Violation,
)

__all__ = [
    "GateOptions",
    "GateRun",
    "IN_FLIGHT",
    "PackLauncher",
    "PackResult",
    "PolicyConfigError",
    "PolicyMeta",
    "Remediation",
    "Requests",
    "Violation",
    "_Wire",
    "launch_pack",
    "run_gate",
    "run_pack",
    "synthesize_and_gate",
    "synthesize_program_and_gate",
]

Launched = Callable[[], AnalyzerPlugin] | None


class _Pack:
    """One pack's run: its result, and its session while the process lives."""

    def __init__(self, project: PolicyPackProject, layers: Sequence[cfg.Layer]) -> None:
        self.project = project
        self.layers = layers
        self.result = PackResult(project=project)
        self.session: PackSession | None = None
        self.started = time.perf_counter()
        self.closed = False

    def step(self, action: Callable[[PackSession], None]) -> None:
        """Run one protocol step; a pack that crashes or hangs fails closed, alone."""
        if self.session is None or self.result.error:
            return
        try:
            action(self.session)
        except PackError as exc:
            self.result.error = str(exc)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.session is not None:
            self.session.plugin.close()
            self.session = None
        self.result.violations.sort(key=violation_order)
        self.result.seconds = time.perf_counter() - self.started


def _start(pack: _Pack, graph: ResourceGraph, options: GateOptions, launched: Launched) -> None:
    try:
        plugin = (
            launched()
            if launched is not None
            else launch_pack(pack.project, graph.stack, graph.project, graph.preview, options)
        )
    except PackError as exc:
        pack.result.error = str(exc)
        return
    pack.session = PackSession(plugin, pack.project, graph, options, pack.result)
    try:
        pack.step(lambda s: s.configure(pack.layers))
    except BaseException:
        pack.close()
        raise


def _judge(
    graph: ResourceGraph,
    packs: Sequence[_Pack],
    options: GateOptions,
    requests: Requests,
    launched: Sequence[Launched],
    workers: int,
) -> None:
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            starts = [
                pool.submit(_start, pack, graph, options, launch)
                for pack, launch in zip(packs, launched, strict=True)
            ]
            problems = [f.exception() for f in starts]
        for problem in problems:
            if problem is not None and not isinstance(problem, PolicyConfigError):
                raise problem
        config_errors = [p for p in problems if isinstance(p, PolicyConfigError)]
        if config_errors:
            # loadPolicyPlugins (pkg/engine/update.go) gathers every pack's config errors
            # and reports them sorted, not the first pack's alone
            raise PolicyConfigError(sorted(line for e in config_errors for line in e.lines))
        refuse_same_names(packs)
        for pack in packs:  # remediation chains across packs, in order
            pack.step(lambda s: s.remediate(requests) if s.remediates else None)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(_analyze, pack, requests) for pack in packs]:
                future.result()
    finally:
        for pack in packs:
            pack.close()


def refuse_same_names(packs: Sequence[_Pack]) -> None:
    """Two folders holding packs of one name: the CLI keys packs by folder and runs both,
    but reports, configs (keyed by pack name in --policy-pack-config's world) and the
    display's ``name@version`` would merge them into one. Refused once their names are known,
    before any resource is judged."""
    seen: dict[str, _Pack] = {}
    for pack in packs:
        name = pack.result.name
        if not name:
            continue
        if name in seen:
            raise InputError.single(
                "--policy-pack",
                "",
                f"{seen[name].project.directory} and {pack.project.directory} are both the "
                f"policy pack {name!r}; their results would be reported as one pack: give "
                "each pack once",
            )
        seen[name] = pack


def _analyze(pack: _Pack, requests: Requests) -> None:
    pack.step(lambda s: s.analyze(requests))
    pack.step(lambda s: s.analyze_stack(requests))
    pack.close()


def run_pack(
    project: PolicyPackProject,
    graph: ResourceGraph,
    config_layers: Sequence[cfg.Layer],
    options: GateOptions,
    wire: Requests | None = None,
    launched: Launched = None,
) -> PackResult:
    """Judge ``graph`` with one pack. ``launched`` hands over a pack process started earlier
    (see :class:`PackLauncher`); otherwise the pack is started here."""
    pack = _Pack(project, config_layers)
    _judge(graph, [pack], options, wire or Requests(graph), [launched], 1)
    return pack.result


def run_gate(
    graph: ResourceGraph,
    packs: Sequence[tuple[PolicyPackProject, Sequence[cfg.Layer]]],
    options: GateOptions,
    max_workers: int | None = None,
    launcher: PackLauncher | None = None,
) -> GateRun:
    """Run every pack against ``graph``; packs are reported sorted by ``name@version``."""
    started = time.perf_counter()
    refuse_duplicates([project for project, _ in packs])
    live = graph.__class__(
        project=graph.project,
        stack=graph.stack,
        preview=graph.preview,
        resources=[r for r in graph.resources if not r.pending_delete],
        accounts=graph.accounts,
        source=graph.source,
        unanswered_invokes=graph.unanswered_invokes,
        derived_invokes=graph.derived_invokes,
        stack_references=graph.stack_references,
        sources=graph.sources,
    )
    runs = [_Pack(project, layers) for project, layers in packs]
    launched = [launcher_for(launcher, project) for project, _ in packs]
    workers = max_workers or min(len(packs), 4) or 1
    _judge(live, runs, options, Requests(live), launched, workers)
    results = sorted((r.result for r in runs), key=pack_order)
    return GateRun(graph=live, packs=results, seconds=time.perf_counter() - started)


def synthesize_and_gate(
    env, packs, options: GateOptions, preview: bool = True, stack_outputs=None
) -> GateRun:
    """What ``obsgov preview`` does: start the packs, synthesize meanwhile (in a child
    process, :mod:`obsgov.synth.apart`), then judge.
    ``stack_outputs``: the referenced stacks' outputs given with ``--stack-outputs``."""
    from obsgov.config.loader import PROJECT
    from obsgov.synth.apart import synthesis_apart

    # the synthesis starts first, in its own process; the packs start while it runs
    with (
        synthesis_apart(env, preview=preview, stack_outputs=stack_outputs) as pending,
        PackLauncher(
            [p for p, _ in packs],
            stack=env.stack,
            project_name=PROJECT,
            dry_run=preview,
            options=options,
        ) as launcher,
    ):
        graph = pending.result()
        return run_gate(graph, packs, options, launcher=launcher)


def synthesize_program_and_gate(
    program,
    packs,
    options: GateOptions,
    on_graph: Callable[[ResourceGraph], None] | None = None,
    timeout: float | None = None,
) -> GateRun:
    """``obsgov preview --project``: a team's program (an
    :class:`obsgov.synth.project_runner.ProgramRun`) synthesized in its own process while the
    packs start, then judged."""
    from obsgov.synth.project_runner import DEFAULT_TIMEOUT, synthesize_program

    with PackLauncher(
        [p for p, _ in packs],
        stack=program.stack,
        project_name=program.project,
        dry_run=program.preview,
        options=options,
    ) as launcher:
        graph = synthesize_program(program, timeout=timeout or DEFAULT_TIMEOUT)
        if on_graph is not None:
            on_graph(graph)
        return run_gate(graph, packs, options, launcher=launcher)
