"""Which policy packs judge a stack, and the config layers each pack gets.

The order of precedence mirrors what a user expects from the Pulumi CLI: explicit
``--policy-pack`` folders first (each with at most one ``--policy-pack-config``), else the packs
the stack's ``obsgov:policyPacks`` lists, else every pack under ``policies/``. Every pack gets the
environment's layer first and the stack's per-environment pack file after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from obsgov.config.loader import EnvironmentConfig, display_path
from obsgov.errors import InputError

from . import pack_config as cfg
from .environment_layer import EnvironmentLayer
from .floors import FloorLayer, floor_errors
from .launch import refuse_duplicates
from .project import PolicyPackProject, discover_policy_packs, load_policy_pack

if TYPE_CHECKING:
    from .launch import GateOptions

POLICIES_ROOT = Path(__file__).resolve().parents[2] / "policies"

SelectedPack = tuple[PolicyPackProject, list[cfg.Layer]]


def stack_pack_files(env: EnvironmentConfig, directory: Path) -> list[cfg.Layer]:
    """The per-environment config files the stack's ``policyPacks`` list gives for a pack."""
    layers: list[cfg.Layer] = []
    for i, ref in enumerate(env.settings.policy_packs):
        if ref.config and (env.stack_file.parent / ref.path).resolve() == directory.resolve():
            layers.append(
                cfg.load_pack_config_file(
                    (env.stack_file.parent / ref.config).resolve(),
                    f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].config",
                )
            )
    return layers


def select_packs(
    env: EnvironmentConfig | None,
    packs: Sequence[Path] | None,
    configs: Sequence[Path] | None,
    root: Path = POLICIES_ROOT,
) -> list[SelectedPack]:
    packs, configs = list(packs or []), list(configs or [])
    if configs and len(configs) != len(packs):
        raise InputError.single(
            "--policy-pack-config",
            "",
            f"got {len(configs)} config file(s) for {len(packs)} --policy-pack folder(s); "
            "give one --policy-pack-config per --policy-pack, in the same order",
        )
    base_layers: list[cfg.Layer] = (
        [FloorLayer(env), EnvironmentLayer(env)] if env is not None else []
    )
    chosen: list[SelectedPack] = []
    if packs:
        for directory in packs:
            project = load_policy_pack(directory)
            layers = list(base_layers)
            if env is not None:
                layers += stack_pack_files(env, project.directory)
            chosen.append((project, layers))
        for i, config in enumerate(configs):
            chosen[i][1].append(cfg.load_pack_config_file(config))
        refuse_duplicates([project for project, _ in chosen])
        return chosen
    if env is not None and env.settings.policy_packs:
        for i, ref in enumerate(env.settings.policy_packs):
            directory = (env.stack_file.parent / ref.path).resolve()
            option = f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].path"
            project = load_policy_pack(directory, option)
            chosen.append((project, [*base_layers, *stack_pack_files(env, directory)]))
        refuse_duplicates(
            [project for project, _ in chosen],
            f"{display_path(env.stack_file)}: config.obsgov:policyPacks",
        )
        return chosen
    for directory in discover_policy_packs(root):
        chosen.append((load_policy_pack(directory), list(base_layers)))
    if not chosen:
        raise InputError.single("--policy-pack", "", f"no policy packs found under {root}")
    return chosen


def environment_pack_config(
    env: EnvironmentConfig, project: PolicyPackProject, options: GateOptions | None = None
) -> dict:
    """The ``--policy-pack-config`` document the real CLI needs to judge ``env`` as the gate
    does: the environment's layers merged by :func:`config.merge_layers`, exactly as the gate
    merges them, and validated as the gate validates them (:class:`PolicyConfigError`), so the
    file is never one the pack rejects. The pack is started once to learn its schemas."""
    from google.protobuf import empty_pb2

    from obsgov.config.loader import PROJECT

    from .engine import GateOptions, PolicyConfigError, launch_pack

    options = options or GateOptions(stack_config=env.config_map)
    with launch_pack(project, env.stack, PROJECT, True, options) as plugin:
        info = plugin.call("GetAnalyzerInfo", empty_pb2.Empty())
    schemas = cfg.policies_from_info(info)
    initial = cfg.initial_config_from_info(info)
    layers: list[cfg.Layer] = [
        FloorLayer(env),
        EnvironmentLayer(env),
        *stack_pack_files(env, project.directory),
    ]
    resolved = cfg.resolve_layers(layers, schemas)
    document = cfg.merge_layers(resolved, schemas, initial)
    reconciled = cfg.reconcile(schemas, initial, [document])
    errors = floor_errors(resolved, reconciled) + cfg.validate(schemas, reconciled)
    if errors:
        version = project.version or info.version
        raise PolicyConfigError(
            [f"validating policy config: {info.name} {version}  {e}" for e in errors]
        )
    return cfg.to_document(document)


def stack_pack_projects(
    env: EnvironmentConfig, root: Path = POLICIES_ROOT
) -> list[PolicyPackProject]:
    """The packs the stack's ``policyPacks`` lists, else every pack under ``root``."""
    return [project for project, _ in select_packs(env, None, None, root)]
