"""Load and validate an environment: stack config, organization file and accounts registry.

Everything is validated at the edge and every problem is collected before raising, so a user
fixing a config sees the whole list at once (``InputError``), each entry naming its file and
key path. The same code runs in three places: the ``obsgov`` CLI (reading the YAML directly),
the Pulumi program under ``pulumi up`` (reading ``pulumi.Config``), and the offline
synthesizer.

The parts: files are read by :mod:`obsgov.io`; each file is checked against its model by
:mod:`.validation` (worded by :mod:`.wording`); the stack's flat config by
:mod:`.stack_config`; the rules across files by :mod:`.rules`; the result is an
:class:`~.environment.EnvironmentConfig`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

from .environment import EnvironmentConfig, default_tags
from .models import AccountsRegistry, OrganizationConfig
from .rules import Facts, check
from .stack_config import PROJECT, settings_from_config_map, stack_config_map
from .validation import Positions, validate_model, validate_registry

__all__ = [
    "PROJECT",
    "EnvironmentConfig",
    "default_tags",
    "display_path",
    "load_environment",
    "read_yaml",
    "stack_config_map",
    "stack_file_for",
]


_UNREADABLE = object()


def _read(path: Path, problems: list[Problem]) -> Any:
    """The file's data, or ``_UNREADABLE`` with its problems added to ``problems``."""
    try:
        return read_yaml(path)
    except InputError as exc:
        problems += exc.problems
        return _UNREADABLE


def load_environment(
    stack: str,
    stack_file: Path,
    config_map: Mapping[str, str] | None = None,
) -> EnvironmentConfig:
    """Validate a stack's environment. ``config_map`` is the flat Pulumi config; when omitted it
    is read from ``stack_file`` exactly as the Pulumi CLI would."""
    shown_stack = display_path(stack_file)
    if config_map is None:
        config_map = stack_config_map(read_yaml(stack_file), shown_stack)
    config_map = _with_environment_config(config_map, stack_file)
    settings, problems = settings_from_config_map(config_map, shown_stack)

    base = stack_file.parent
    if settings is not None:
        org_name, registry_name = settings.organization_file, settings.registry_file
    else:  # still check the other files, so every problem is reported in one go
        org_name = config_map.get(f"{PROJECT}:organizationFile", "organization.yaml")
        registry_name = config_map.get(f"{PROJECT}:registryFile", "accounts.yaml")
    org_path = base / org_name
    registry_path = base / registry_name
    shown_org, shown_registry = display_path(org_path), display_path(registry_path)

    org: OrganizationConfig | None = None
    registry: AccountsRegistry | None = None
    positions = Positions()
    data = _read(org_path, problems)
    if data is not _UNREADABLE:
        org, found = validate_model(OrganizationConfig, data, shown_org)
        problems += found
    data = _read(registry_path, problems)
    if data is not _UNREADABLE:
        registry, positions, found = validate_registry(data, shown_registry)
        problems += found
    if settings is not None and org is not None and registry is not None:
        problems += check(
            Facts(
                stack=stack,
                settings=settings,
                org=org,
                registry=registry,
                stack_file=shown_stack,
                org_file=shown_org,
                registry_file=shown_registry,
                positions=positions,
            )
        )
    if problems:
        raise InputError(_unique(problems))
    assert settings is not None
    assert org is not None
    assert registry is not None
    return EnvironmentConfig(
        stack=stack,
        stack_file=stack_file,
        settings=settings,
        organization_file=org_path.resolve(),
        org=org,
        registry_file=registry_path.resolve(),
        registry=registry,
        config_map=dict(config_map),
    )


def _with_environment_config(config_map: Mapping[str, str], stack_file: Path) -> dict[str, str]:
    """A member shard's stack file names only its environment stack and its number: the rest
    of its config is the environment stack's (read from the same folder, as the program reads
    it under ``pulumi up``), its own keys on top."""
    parent = config_map.get(f"{PROJECT}:shardOf")
    if not parent:
        return dict(config_map)
    parent_file = stack_file_for(stack_file.parent, parent, f"{display_path(stack_file)} shardOf")
    inherited = stack_config_map(read_yaml(parent_file), display_path(parent_file))
    return {**inherited, **config_map}


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once, in the order first found."""
    return list(dict.fromkeys(problems))


def stack_file_for(stacks_dir: Path, stack: str, option: str = "--stack") -> Path:
    """``<stacks_dir>/Pulumi.<stack>.yaml``; ``option`` names the argument in messages."""
    if not stack or any(c in stack for c in "/\\\0") or stack in (".", ".."):
        raise InputError.single(option, "", f"{stack!r} is not a stack name")
    if not stacks_dir.is_dir():
        raise InputError.single("--stacks-dir", "", f"{display_path(stacks_dir)} is not a folder")
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        available = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml")
        )
        raise InputError.single(
            option,
            "",
            f"no stack {stack!r}: {display_path(path)} does not exist "
            f"(available: {', '.join(available) or 'none'})",
        )
    return path
