"""``obsgov deploy --stack ENV``: ``pulumi up`` on every stack of an environment, for users
outside GitHub Actions (the deploy workflow does the same as a job matrix).

Thin on purpose: the Pulumi Automation API (``pulumi.automation``, which drives the Pulumi CLI)
runs ``pulumi up`` on the project's own program (a local workspace in the project folder) with
the policy packs and configs ``obsgov policy config`` writes. The environment's stack goes
first (it holds the central accounts whose outputs the shards read); if it fails nothing else
runs. Then the shards, a few at once; a failed shard does not stop the others, and every
failure is reported. Needs the Pulumi CLI, a backend and AWS credentials: not run offline
(the tests drive it with a stand-in for ``pulumi up``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from obsgov.config.environment import EnvironmentConfig

from .environment_gate import environment_stacks


@dataclass(frozen=True)
class Deployed:
    stack: str
    ok: bool
    detail: str  # the update's summary, or why it failed


#: (stack, project folder, policy pack args) -> summary; raises on a failed update
Up = Callable[[str, Path, Sequence[str]], str]


def automation_up(stack: str, project: Path, policy_args: Sequence[str]) -> str:
    from pulumi import automation as auto

    packs = [policy_args[i + 1] for i, a in enumerate(policy_args) if a == "--policy-pack"]
    configs = [policy_args[i + 1] for i, a in enumerate(policy_args) if a == "--policy-pack-config"]
    selected = auto.select_stack(stack_name=stack, work_dir=str(project))
    result = selected.up(policy_packs=packs, policy_pack_configs=configs)
    return f"{result.summary.result}: {result.summary.resource_changes or {}}"


def deploy_environment(
    env: EnvironmentConfig,
    project: Path,
    policy_args: Callable[[str], Sequence[str]],
    up: Up = automation_up,
    workers: int = 4,
) -> list[Deployed]:
    stacks = environment_stacks(env)

    def one(stack: str) -> Deployed:
        try:
            return Deployed(stack, True, up(stack, project, policy_args(stack)))
        except Exception as exc:  # a failed update is reported, not raised: others go on
            return Deployed(stack, False, f"{type(exc).__name__}: {exc}")

    central = one(stacks[0])
    if not central.ok or len(stacks) == 1:
        return [central]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [central, *pool.map(one, stacks[1:])]
