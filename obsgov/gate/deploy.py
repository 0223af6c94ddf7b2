"""``obsgov deploy --stack ENV``: ``pulumi up`` on every stack of an environment, for users
outside GitHub Actions, and for the deploy workflow's shards step (``--shards-only``).

Thin on purpose: the Pulumi Automation API (``pulumi.automation``, which drives the Pulumi CLI)
runs ``pulumi up`` on the project's own program (a local workspace in the project folder) with
the policy packs and configs ``obsgov policy config`` writes, creating a stack the backend does
not have yet (with the secrets provider given, as ``pulumi stack init --secrets-provider``).
The environment's stack goes first (it holds the central accounts whose outputs the shards
read); if it fails nothing else runs. Then the shards, a few at once; a failed shard does not
stop the others, and every failure is reported. ``--shards-only`` (the workflow deployed the
environment's stack in its own steps, after its preview) and ``--only STACK`` (one stack again,
a failed shard say) choose fewer. Needs the Pulumi CLI, a backend and AWS credentials: not run
offline (the tests drive it with a stand-in for ``pulumi up``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from obsgov.config.environment import EnvironmentConfig
from obsgov.errors import InputError

from .environment_gate import environment_stacks


@dataclass(frozen=True)
class Deployed:
    stack: str
    ok: bool
    detail: str  # the update's summary, or why it failed


#: (stack, project folder, policy pack args) -> summary; raises on a failed update
Up = Callable[[str, Path, Sequence[str]], str]


def automation_up(
    stack: str, project: Path, policy_args: Sequence[str], secrets_provider: str | None = None
) -> str:
    from pulumi import automation as auto

    packs = [policy_args[i + 1] for i, a in enumerate(policy_args) if a == "--policy-pack"]
    configs = [policy_args[i + 1] for i, a in enumerate(policy_args) if a == "--policy-pack-config"]
    selected = auto.create_or_select_stack(
        stack_name=stack,
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(secrets_provider=secrets_provider or None),
    )
    result = selected.up(policy_packs=packs, policy_pack_configs=configs)
    return f"{result.summary.result}: {result.summary.resource_changes or {}}"


def chosen_stacks(
    env: EnvironmentConfig, only: Sequence[str] = (), shards_only: bool = False
) -> list[str]:
    """The stacks to deploy, in the environment's order: all, its shards, or those named."""
    stacks = environment_stacks(env)
    if shards_only:
        if only:
            raise InputError.single("--only", "", "--only and --shards-only choose apart")
        return stacks[1:]
    if not only:
        return stacks
    unknown = [s for s in only if s not in stacks]
    if unknown:
        raise InputError.single(
            "--only",
            "",
            f"{', '.join(unknown)} is not a stack of {env.stack} (its stacks: {', '.join(stacks)})",
        )
    return [s for s in stacks if s in only]


def deploy_environment(
    env: EnvironmentConfig,
    project: Path,
    policy_args: Callable[[str], Sequence[str]],
    up: Up = automation_up,
    workers: int = 4,
    stacks: Sequence[str] | None = None,
) -> list[Deployed]:
    """``pulumi up`` on ``stacks`` (default: every stack of the environment): the
    environment's stack first when it is one of them, then the rest ``workers`` at once."""
    chosen = environment_stacks(env) if stacks is None else list(stacks)

    def one(stack: str) -> Deployed:
        try:
            return Deployed(stack, True, up(stack, project, policy_args(stack)))
        except Exception as exc:  # a failed update is reported, not raised: others go on
            return Deployed(stack, False, f"{type(exc).__name__}: {exc}")

    done: list[Deployed] = []
    rest = [s for s in chosen if s != env.stack]
    if env.stack in chosen:
        central = one(env.stack)
        done.append(central)
        if not central.ok:
            return done  # the shards read its outputs: none runs
    if rest:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done += pool.map(one, rest)
    return done
