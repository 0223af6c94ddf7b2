"""Starting pack processes, early and in the background, and never leaving one behind."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from obsgov.errors import InputError

from .plugin import AnalyzerPlugin, PackError
from .project import PolicyPackProject


@dataclass
class GateOptions:
    stack_config: Mapping[str, str]
    organization: str = "organization"
    start_timeout: float = 60.0
    call_timeout: float = 300.0
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    # config keys holding secrets, sent in ConfigureStack (analyzer_plugin.go)
    stack_secret_keys: list[str] = field(default_factory=list)
    # ``pulumi policy analyze --file`` loads packs with neither ConfigureStack nor the
    # PULUMI_* environment (pkg/cmd/pulumi/policy/policy_analyze.go).
    configure_stack: bool = True
    # In preview and up the engine applies remediations before analysis; ``policy analyze``
    # only reports them (pkg/resource/deploy/analyze_snapshot.go, AnalyzeSnapshot).
    apply_remediations: bool = True
    # the folder of answers already given (obsgov.gate.verdict_cache); None: judge everything
    verdict_cache: Path | None = None


def launch_pack(
    project: PolicyPackProject, stack: str, project_name: str, dry_run: bool, options: GateOptions
) -> AnalyzerPlugin:
    return AnalyzerPlugin(
        project,
        stack=stack,
        project_name=project_name,
        organization=options.organization,
        dry_run=dry_run,
        config=options.stack_config,
        start_timeout=options.start_timeout,
        call_timeout=options.call_timeout,
        stack_environment=options.configure_stack,
    )


def refuse_duplicates(projects: Sequence[PolicyPackProject], option: str = "--policy-pack") -> None:
    """The same pack folder given twice would run its policies twice under one name; checked
    before any pack process starts."""
    seen: dict[str, int] = {}
    for i, project in enumerate(projects):
        key = str(project.directory)
        if key in seen:
            raise InputError.single(
                option,
                "",
                f"{project.directory} is given twice (positions {seen[key] + 1} and {i + 1}); "
                "give each policy pack once",
            )
        seen[key] = i


class PackLauncher:
    """Start pack processes in the background (while the program is being synthesized, say):
    a Python pack spends most of its start-up importing, on a core synthesis leaves idle."""

    def __init__(
        self,
        projects: Sequence[PolicyPackProject],
        *,
        stack: str,
        project_name: str,
        dry_run: bool,
        options: GateOptions,
    ) -> None:
        refuse_duplicates(projects)
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(projects)))
        self._futures: dict[str, Future[AnalyzerPlugin]] = {
            str(p.directory): self._pool.submit(
                launch_pack, p, stack, project_name, dry_run, options
            )
            for p in projects
        }

    def take(self, project: PolicyPackProject) -> Callable[[], AnalyzerPlugin]:
        future = self._futures.pop(str(project.directory))
        return future.result

    def close(self) -> None:
        """Stop packs that were started but never taken (the run was cut short)."""
        for future in self._futures.values():
            with contextlib.suppress(PackError):
                future.result().close()
        self._futures.clear()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> PackLauncher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def launcher_for(
    launcher: PackLauncher | None, project: PolicyPackProject
) -> Callable[[], AnalyzerPlugin] | None:
    return launcher.take(project) if launcher is not None else None
