"""Any team's Pulumi project as the Pulumi CLI reads it, for ``obsgov preview --project``.

``Pulumi.yaml`` gives the name, the runtime, ``main``, ``stackConfigDir`` and the project-level
``config`` (types, defaults and values); ``Pulumi.<stack>.yaml`` gives the stack's config. The
config the program gets is built as the CLI builds it (``mergeConfig`` and
``validateStackConfigValues`` in sdk/go/common/workspace/config.go, the config types and their
checks in project.go): bare keys take the project's namespace, the stack's values win over the
project's defaults and values, a project key with neither that the stack does not set is
missing, and explicitly typed keys are checked against their type. Errors are worded as the
CLI words them. Offline, ``secure:`` values cannot be decrypted: the program gets them as the
secret ``[secret]`` and their types go unchecked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.config.stack_config import is_secure_value
from obsgov.config.wording import SECRET
from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

SUPPORTED_RUNTIMES = ("python",)
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
CONFIG_ATTRIBUTES = ("type", "description", "items", "default", "value", "secret")
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
STACK_TAGS_KEY = "pulumi:tags"
DEFAULT_REGION = "us-east-1"


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


@dataclass
class StackConfig:
    """The flat config the program gets, which keys are secret, and the stack's tags."""

    stack: str
    file: Path
    config: dict[str, str]
    secret_keys: list[str]
    tags: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def provider_config(self, package: str = "aws") -> dict[str, str]:
        """The package's keys without their namespace: what the engine configures the default
        provider with."""
        prefix = f"{package}:"
        return {k[len(prefix) :]: v for k, v in self.config.items() if k.startswith(prefix)}

    @property
    def region(self) -> str:
        """The default provider's region: ``aws:region``, else the environment's, as the
        provider falls back to it."""
        return (
            self.config.get("aws:region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )


def stack_name(stack: str) -> str:
    """``org/project/dev`` and ``dev`` name the same stack file (the CLI keeps the last part)."""
    return stack.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------- Pulumi.yaml
def _is_primitive(value: Any) -> bool:
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
        if _is_primitive(entry) or isinstance(entry, list):
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
        if t.type is not None and t.default is not None:
            if not value_has_type(t.type, t.items, t.default):
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
    if isinstance(runtime, dict):
        runtime = runtime.get("name")
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
    )


# ------------------------------------------------------------------------- Pulumi.<stack>.yaml
@dataclass
class _Value:
    """One config value as the CLI holds it: its text, whether it is a secret, and the value
    type checks see (the parsed object for a non-string value)."""

    text: str
    secret: bool = False
    checked: Any = None
    from_stack: bool = True


def _has_secure(value: Any) -> bool:
    if is_secure_value(value):
        return True
    if isinstance(value, dict):
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _hide(value: Any) -> Any:
    if is_secure_value(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v) for v in value]
    return value


def _json(value: Any) -> str:
    # Go's encoding/json: sorted keys, no spaces
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _stack_value(raw: Any) -> _Value:
    if is_secure_value(raw):
        return _Value(SECRET, secret=True)
    if isinstance(raw, str):
        return _Value(raw, checked=raw)
    if raw is None:
        return _Value("", checked="")
    secret = _has_secure(raw)
    plain = _hide(raw)
    return _Value(_json(plain), secret=secret, checked=plain)


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return "a config key must be a non-empty string"
    if key.count(":") > 1 or key.startswith(":") or key.endswith(":"):
        return "must be <key> or <namespace>:<key>"
    return None


def parse_config_flags(flags: Sequence[str], project: str) -> dict[str, str]:
    """``--config key=value`` as the CLI reads it: bare keys take the project's namespace."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for flag in flags:
        key, sep, value = flag.partition("=")
        problem = "expected key=value" if not sep else _key_problem(key)
        if problem:
            problems.append(Problem("--config", "", f"{flag!r}: {problem}"))
            continue
        values[_namespaced(project, key)] = value
    if problems:
        raise InputError(problems)
    return values


def _read_stack_file(file: Path, project: PulumiProject, notes: list[str]) -> dict[str, _Value]:
    shown = display_path(file)
    document = read_yaml(file)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InputError.single(shown, "", "must be a mapping with a config: key")
    problems: list[Problem] = []
    for key in sorted(set(document) - set(STACK_FILE_KEYS), key=str):
        problems.append(
            Problem(
                shown,
                str(key),
                f"is not a key of a Pulumi stack file (expected {', '.join(STACK_FILE_KEYS)})",
            )
        )
    if document.get("environment"):
        notes.append(
            f"{shown}: environment: Pulumi ESC environments cannot be opened offline; "
            "give the config they would add with --config or --config-file"
        )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        problems.append(Problem(shown, "config", "must be a mapping of key: value"))
        config = {}
    values: dict[str, _Value] = {}
    for key, raw in config.items():
        problem = _key_problem(key)
        name = _namespaced(project.name, key) if not problem else ""
        if not problem and name in values:
            problem = f"repeats {name} (given both with and without the project name)"
        if problem:
            problems.append(Problem(shown, f"config.{key}", problem))
            continue
        values[name] = _stack_value(raw)
    if problems:
        raise InputError(problems)
    return values


def _missing_keys_message(stack: str, keys: list[str]) -> str:
    """``missingStackConfigurationKeysError`` in config.go."""
    if len(keys) == 1:
        listed = f"'{keys[0]}'"
    else:
        keys = sorted(keys)
        listed = ", ".join(f"'{k}'" for k in keys[:-2])
        listed = (listed + ", " if listed else "") + f"'{keys[-2]}' and '{keys[-1]}'"
    plural = "values" if len(keys) > 1 else "value"
    return f"Stack '{stack}' is missing configuration {plural} {listed}"


def _project_value(value: Any) -> _Value:
    """``createConfigValue``: strings, integers and booleans as their text, the rest as JSON."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return _Value(text, checked=text, from_stack=False)
    if _is_primitive(value):
        return _Value(str(value), checked=str(value), from_stack=False)
    return _Value(_json(value), checked=value, from_stack=False)


def load_stack_config(
    project: PulumiProject,
    stack: str,
    config_file: Path | None = None,
    flags: Sequence[str] = (),
) -> StackConfig:
    """The stack's config as the CLI hands it to the program. ``config_file`` replaces the
    stack's settings file (the CLI's ``--config-file``); ``flags`` are ``--config key=value``
    and win over both. Raises :class:`ProjectError` with the CLI's words for config the CLI
    would refuse, :class:`InputError` for files it cannot read."""
    name = stack_name(stack)
    overrides = parse_config_flags(flags, project.name)
    notes: list[str] = []
    file = config_file or project.stack_file(stack)
    if config_file is None and not file.exists():
        # The CLI starts a stack without a settings file with no config of its own.
        notes.append(f"{display_path(file)} does not exist: stack {name} has no config of its own")
        values: dict[str, _Value] = {}
    else:
        values = _read_stack_file(file, project, notes)
    for key, text in overrides.items():
        values[key] = _Value(text, checked=text)

    missing: list[str] = []
    for key in sorted(project.config):
        declared = project.config[key]
        full = _namespaced(project.name, key)
        if full in values:
            continue
        if declared.default is not None:
            values[full] = _project_value(declared.default)
        elif declared.value is not None:
            values[full] = _project_value(declared.value)
        elif full.split(":", 1)[0] == project.name:
            missing.append(key)
    if missing:
        raise ProjectError(_missing_keys_message(name, missing), notes)
    for key in sorted(project.config):
        declared = project.config[key]
        value = values.get(_namespaced(project.name, key))
        if declared.type is None or value is None:
            continue
        if declared.secret and not (value.secret and value.from_stack):
            raise ProjectError(
                f"Stack '{name}' with configuration key '{key}' must be encrypted as it's secret",
                notes,
            )
        if value.secret:
            continue  # cannot be decrypted offline, so its type cannot be checked
        if not value_has_type(declared.type, declared.items, value.checked):
            raise ProjectError(
                f"Stack '{name}' with configuration key '{key}' must be of type "
                f"'{full_type_name(declared.type, declared.items)}'",
                notes,
            )

    config = {k: v.text for k, v in sorted(values.items())}
    tags = project.builtin_tags()
    raw_tags = values.get(STACK_TAGS_KEY)
    if raw_tags is not None:
        parsed = raw_tags.checked
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise InputError.single(
                display_path(file), f"config.{STACK_TAGS_KEY}", "must map tag names to strings"
            )
        tags.update(parsed)
    return StackConfig(
        stack=name,
        file=file,
        config=config,
        secret_keys=sorted(k for k, v in values.items() if v.secret),
        tags=tags,
        notes=notes,
    )
