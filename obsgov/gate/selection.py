"""Which policy packs judge a stack, and the config layers each pack gets.

The order of precedence mirrors what a user expects from the Pulumi CLI: explicit
``--policy-pack`` folders first (each with at most one ``--policy-pack-config``), else the packs
the stack's ``obsgov:policyPacks`` lists, else every pack under ``policies/``. Every pack gets the
environment's layer first and the stack's per-environment pack file after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from obsgov.config.loader import EnvironmentConfig, display_path
from obsgov.errors import InputError

from . import config as cfg
from .envconfig import EnvironmentLayer
from .project import PolicyPackProject, discover_policy_packs, load_policy_pack

POLICIES_ROOT = Path(__file__).resolve().parents[2] / "policies"

SelectedPack = tuple[PolicyPackProject, list[cfg.Layer]]


def stack_pack_files(env: EnvironmentConfig, directory: Path) -> list[cfg.Layer]:
    """The per-environment config files the stack's ``policyPacks`` list gives for a pack."""
    layers: list[cfg.Layer] = []
    for i, ref in enumerate(env.settings.policy_packs):
        if ref.config and (env.stack_file.parent / ref.path).resolve() == directory.resolve():
            layers.append(cfg.load_pack_config_file(
                (env.stack_file.parent / ref.config).resolve(),
                f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].config"))
    return layers


def select_packs(
    env: Optional[EnvironmentConfig],
    packs: Optional[Sequence[Path]],
    configs: Optional[Sequence[Path]],
    root: Path = POLICIES_ROOT,
) -> list[SelectedPack]:
    packs, configs = list(packs or []), list(configs or [])
    if configs and len(configs) != len(packs):
        raise InputError.single(
            "--policy-pack-config", "",
            f"got {len(configs)} config file(s) for {len(packs)} --policy-pack folder(s); "
            "give one --policy-pack-config per --policy-pack, in the same order",
        )
    base_layers: list[cfg.Layer] = [EnvironmentLayer(env)] if env is not None else []
    chosen: list[SelectedPack] = []
    if packs:
        for i, directory in enumerate(packs):
            project = load_policy_pack(directory)
            layers = list(base_layers)
            if env is not None:
                layers += stack_pack_files(env, project.directory)
            if configs:
                layers.append(cfg.load_pack_config_file(configs[i]))
            chosen.append((project, layers))
        return chosen
    if env is not None and env.settings.policy_packs:
        for i, ref in enumerate(env.settings.policy_packs):
            directory = (env.stack_file.parent / ref.path).resolve()
            option = f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].path"
            project = load_policy_pack(directory, option)
            chosen.append((project, [*base_layers, *stack_pack_files(env, directory)]))
        return chosen
    for directory in discover_policy_packs(root):
        chosen.append((load_policy_pack(directory), list(base_layers)))
    if not chosen:
        raise InputError.single("--policy-pack", "", f"no policy packs found under {root}")
    return chosen


def environment_pack_config(env: EnvironmentConfig, project: PolicyPackProject) -> dict:
    """The ``--policy-pack-config`` document the real CLI needs to judge ``env`` as the gate
    does: the pack is started once to learn its policies' config schemas."""
    from google.protobuf import empty_pb2

    from obsgov.config.loader import PROJECT

    from .engine import GateOptions, launch_pack
    from .envconfig import environment_layer, pack_config_document

    with launch_pack(project, env.stack, PROJECT, True,
                     GateOptions(stack_config=env.config_map)) as plugin:
        schemas = cfg.policies_from_info(plugin.call("GetAnalyzerInfo", empty_pb2.Empty()))
    layers = [environment_layer(env, schemas), *stack_pack_files(env, project.directory)]
    return pack_config_document(layers)  # type: ignore[arg-type]
