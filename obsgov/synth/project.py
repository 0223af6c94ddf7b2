"""Any team's Pulumi project as the Pulumi CLI reads it, for ``obsgov preview --project``.

``Pulumi.yaml`` gives the name, the runtime, ``main``, ``stackConfigDir`` and the project-level
``config`` (types, defaults and values); ``Pulumi.<stack>.yaml`` gives the stack's config, which
:mod:`obsgov.synth.stack_file` reads and merges. The
config the program gets is built as the CLI builds it (``mergeConfig`` and
``validateStackConfigValues`` in sdk/go/common/workspace/config.go, the config types and their
checks in project.go): bare keys take the project's namespace, the stack's values win over the
project's defaults and values, a project key with neither that the stack does not set is
missing, and explicitly typed keys are checked against their type. Errors are worded as the
CLI words them. ``secure:`` values are decrypted with the passphrase when it is set
(:mod:`obsgov.synth.stack_file`); otherwise the program gets them as the secret ``[secret]``
and their types go unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

SUPPORTED_RUNTIMES = ("python",)
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
CONFIG_ATTRIBUTES = ("type", "description", "items", "default", "value", "secret")
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")


class ProjectError(Exception):
    """The project's config is not one the CLI would run; worded as the CLI words it.
    ``notes`` say what may explain it (a stack file that does not exist)."""

    def __init__(self, message: str, notes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.notes = list(notes)


@dataclass(frozen=True)
class ConfigType:
    """One key of ``Pulumi.yaml``'s ``config`` (``ProjectConfigType``)."""

    key: str
    type: str | None = None
    items: Mapping[str, Any] | None = None
    default: Any = None
    value: Any = None
    secret: bool = False


@dataclass(frozen=True)
class PulumiProject:
    directory: Path
    file: Path
    name: str
    runtime: str
    main: Path
    stack_config_dir: Path
    description: str | None = None
    config: Mapping[str, ConfigType] = field(default_factory=dict)
    # runtime.options: virtualenv, toolchain, typechecker (obsgov.synth.environment)
    options: Mapping[str, Any] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        """Where the CLI keeps the stack's settings: beside Pulumi.yaml or in stackConfigDir,
        with the project file's extension (``DetectProjectStackPath`` in paths.go)."""
        return self.stack_config_dir / f"Pulumi.{stack_name(stack)}{self.file.suffix}"

    @property
    def program(self) -> Path:
        """The file the program starts in: ``main`` itself, or its ``__main__.py``."""
        return self.main / "__main__.py" if self.main.is_dir() else self.main

    def builtin_tags(self) -> dict[str, str]:
        """The stack tags the CLI derives from Pulumi.yaml (``pulumi:project``,
        ``pulumi:runtime``, ``pulumi:description``)."""
        tags = {"pulumi:project": self.name, "pulumi:runtime": self.runtime}
        if self.description:
            tags["pulumi:description"] = self.description
        return tags


def stack_name(stack: str) -> str:
    """``org/project/dev`` and ``dev`` name the same stack file (the CLI keeps the last part)."""
    return stack.rsplit("/", 1)[-1]


DEFAULT_ORGANIZATION = "organization"


def stack_organization(stack: str, project: str) -> str:
    """The organization a stack name gives: ``acme/p/dev`` and ``acme/dev`` are acme's; a
    bare ``dev`` is the DIY backend's ``organization``. A project part that is not the
    project's is refused in the CLI's words (``backend.go``)."""
    parts = stack.split("/")
    if len(parts) == 3 and parts[1] != project:
        raise ProjectError(f"provided project name {parts[1]!r} doesn't match Pulumi.yaml")
    if len(parts) > 3 or any(not p for p in parts):
        raise ProjectError(
            f"{stack!r} is not a stack name: expected <stack>, <org>/<stack> or "
            "<org>/<project>/<stack>"
        )
    return parts[0] if len(parts) > 1 else DEFAULT_ORGANIZATION


# ---------------------------------------------------------------------------------- Pulumi.yaml
def is_primitive(value: Any) -> bool:
    return isinstance(value, (str, int, bool)) and not isinstance(value, float)


def _namespaced_by_project(project: str, key: str) -> bool:
    return ":" not in key or key.startswith(project + ":")


def full_type_name(type_name: str | None, items: Mapping[str, Any] | None) -> str:
    """``InferFullTypeName``: ``array<string>`` for typed arrays."""
    if items is not None:
        return f"array<{full_type_name(items.get('type'), items.get('items'))}>"
    return type_name or ""


def value_has_type(type_name: str | None, items: Mapping[str, Any] | None, value: Any) -> bool:
    """``ValidateConfigValue`` in project.go: integers may be whole floats or integer text,
    booleans may be the text true or false."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value == int(value)
        if isinstance(value, str):
            try:
                int(value, 10)
            except ValueError:
                return False
            return value.strip() == value and "_" not in value
        return False
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(value_has_type(items.get("type"), items.get("items"), item) for item in value)


def _config_types(
    raw: Any, project: str, shown: str, problems: list[Problem]
) -> dict[str, ConfigType]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(shown, "config", "must be a mapping of key to config type"))
        return {}
    types: dict[str, ConfigType] = {}
    for key, entry in raw.items():
        where = f"config.{key}"
        if is_primitive(entry) or isinstance(entry, list):
            # RewriteShorthandConfigValues: a project key's shorthand is its default, another
            # namespace's is its value
            entry = {"default": entry} if _namespaced_by_project(project, key) else {"value": entry}
        if not isinstance(entry, dict):
            problems.append(Problem(shown, where, "must be a value or a config type mapping"))
            continue
        unknown = sorted(set(entry) - set(CONFIG_ATTRIBUTES))
        if unknown:
            problems.append(
                Problem(
                    shown,
                    where,
                    f"'{unknown[0]}' not allowed; the allowed attributes are "
                    + ", ".join(f"'{a}'" for a in CONFIG_ATTRIBUTES),
                )
            )
            continue
        type_name, items = entry.get("type"), entry.get("items")
        if type_name is not None and type_name not in CONFIG_TYPES:
            problems.append(
                Problem(shown, f"{where}.type", f"must be one of {', '.join(CONFIG_TYPES)}")
            )
            continue
        if items is not None and not isinstance(items, dict):
            problems.append(Problem(shown, f"{where}.items", "must be a mapping with a type"))
            continue
        config_type = ConfigType(
            key=key,
            type=type_name,
            items=items,
            default=entry.get("default"),
            value=entry.get("value"),
            secret=bool(entry.get("secret")),
        )
        message = _check_config_type(project, config_type)
        if message:
            problems.append(Problem(shown, where, message))
            continue
        types[key] = config_type
    return types


def _check_config_type(project: str, t: ConfigType) -> str | None:
    """``Project.Validate`` in project.go, with its words."""
    if t.default is not None and t.value is not None:
        return f"project config '{t.key}' cannot have both a 'default' and 'value' attribute"
    if _namespaced_by_project(project, t.key):
        if t.type == "array" and t.items is None:
            return (
                f"The configuration key '{t.key}' declares an array but does not specify the "
                "underlying type via the 'items' attribute"
            )
        if (
            t.type is not None
            and t.default is not None
            and not value_has_type(t.type, t.items, t.default)
        ):
            return (
                f"The default value specified for configuration key '{t.key}' is not of the "
                f"expected type '{full_type_name(t.type, t.items)}'"
            )
        return None
    if t.type is not None:
        return (
            f"Configuration key '{t.key}' is not namespaced by the project and should not "
            "define a type"
        )
    if t.default is not None:
        return (
            f"Configuration key '{t.key}' is not namespaced by the project and should not "
            "define a default value. Did you mean to use the 'value' attribute instead of "
            "'default'?"
        )
    if t.value is None:
        return f"Configuration key '{t.key}' is namespaced and must provide an attribute 'value'"
    return None


def _string(data: Mapping[str, Any], key: str, shown: str, problems: list[Problem]) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(Problem(shown, key, "must be a string"))
        return None
    return value


def load_project(directory: Path, option: str = "--project") -> PulumiProject:
    """Read ``directory``'s Pulumi.yaml; every problem is reported at once (exit 2)."""
    shown_dir = display_path(directory)
    if not directory.is_dir():
        raise InputError.single(option, "", f"{shown_dir} is not a folder")
    file = next((directory / n for n in PROJECT_FILES if (directory / n).exists()), None)
    if file is None:
        raise InputError.single(
            option, "", f"{shown_dir} is not a Pulumi project: it has no Pulumi.yaml"
        )
    shown = display_path(file)
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise InputError.single(shown, "", "must be a mapping (name, runtime, ...)")
    problems: list[Problem] = []
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(
            Problem(shown, "name", "project is missing a non-empty string 'name' attribute")
        )
        name = ""
    runtime = data.get("runtime")
    options: Any = {}
    if isinstance(runtime, dict):
        options = runtime.get("options") or {}
        runtime = runtime.get("name")
        if not isinstance(options, dict):
            problems.append(Problem(shown, "runtime.options", "must be a mapping"))
            options = {}
    if runtime is None:
        problems.append(Problem(shown, "runtime", "project is missing a 'runtime' attribute"))
    elif runtime not in SUPPORTED_RUNTIMES:
        problems.append(
            Problem(
                shown,
                "runtime",
                f"is {runtime!r}; obsgov runs only Python programs (runtime: python)",
            )
        )
    main = _string(data, "main", shown, problems)
    description = _string(data, "description", shown, problems)
    config = data.get("config")
    stack_dir = _string(data, "stackConfigDir", shown, problems)
    if isinstance(config, str):  # the old spelling of stackConfigDir
        if stack_dir is not None:
            problems.append(
                Problem(
                    shown,
                    "config",
                    "Should not use both config and stackConfigDir to define the stack "
                    "directory. Use only stackConfigDir instead.",
                )
            )
        stack_dir, config = config, None
    types = _config_types(config, name, shown, problems)
    main_path = (directory / main) if main else directory
    if runtime not in SUPPORTED_RUNTIMES:
        pass  # where a program in another language starts is no concern of obsgov's
    elif main and not main_path.exists():
        problems.append(Problem(shown, "main", f"{display_path(main_path)} does not exist"))
    elif main_path.is_dir() and not (main_path / "__main__.py").is_file():
        problems.append(
            Problem(
                shown,
                "main" if main else "",
                f"{display_path(main_path)} has no __main__.py for the Python program",
            )
        )
    if problems:
        raise InputError(problems)
    assert isinstance(runtime, str)
    return PulumiProject(
        directory=directory,
        file=file,
        name=name,
        runtime=runtime,
        main=main_path,
        stack_config_dir=directory / stack_dir if stack_dir else directory,
        description=description,
        config=types,
        options=options,
    )
