"""Policy pack configuration, reconciled and validated the way the Pulumi CLI does it.

The CLI reconciles exactly one config file per pack (``ReconcilePolicyPackConfig`` in
``pkg/resource/analyzer/config.go``): each policy's schema ``default`` values and its declared
enforcement level, then the pack's ``initial_config``, then the file; in each, the ``all`` key
sets every policy's level first, then per-policy keys set a level and merge properties. obsgov's
several layers (environment, per-environment file, ``--policy-pack-config``) are first merged
into one such file by :func:`merge_layers` (a later layer's ``all`` folded into per-policy
keys), and that one document is reconciled, so the gate and ``obsgov policy config`` agree. The result is validated against each policy's config schema
(``{"type": "object", "properties": ..., "required": ...}``) with a JSON Schema library, with
errors worded as the CLI (gojsonschema) words them.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format

from obsgov.errors import InputError
from obsgov.io import display_path, read_json, read_text

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
LEVEL_FROM_PROTO = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
LEVEL_TO_PROTO = {v: k for k, v in LEVEL_FROM_PROTO.items()}


@dataclass
class PolicyConfig:
    enforcement_level: str | None = None
    properties: dict[str, Any] | None = None


PackConfig = dict[str, PolicyConfig]


class SourcedConfig(dict):
    """A config layer that knows where it came from, so an error can name it (the floors,
    :func:`obsgov.gate.floors.floor_errors`)."""

    def __init__(self, config: PackConfig, source: str) -> None:
        super().__init__(config)
        self.source = source


@dataclass(frozen=True)
class PolicySchemaInfo:
    name: str
    enforcement_level: str
    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)

    @property
    def has_schema(self) -> bool:
        return bool(self.properties or self.required)


# A config layer is a mapping of policy name (or "all") to config, or a function of the pack's
# policy schemas that returns one, for layers that depend on what the pack declares.
Layer = Mapping[str, PolicyConfig] | Callable[[list[PolicySchemaInfo]], Mapping[str, PolicyConfig]]


def resolve_layers(
    layers: Iterable[Layer], policies: list[PolicySchemaInfo]
) -> list[Mapping[str, PolicyConfig]]:
    return [layer(policies) if callable(layer) else layer for layer in layers]


def policies_from_info(info) -> list[PolicySchemaInfo]:
    out = []
    for policy in info.policies:
        has_schema = policy.HasField("configSchema")
        out.append(
            PolicySchemaInfo(
                name=policy.name,
                enforcement_level=LEVEL_FROM_PROTO.get(policy.enforcementLevel, "advisory"),
                properties=json_format.MessageToDict(policy.configSchema.properties)
                if has_schema
                else {},
                required=list(policy.configSchema.required) if has_schema else [],
            )
        )
    return out


def initial_config_from_info(info) -> PackConfig:
    result: PackConfig = {}
    for name, config in info.initialConfig.items():
        props = json_format.MessageToDict(config.properties) or None
        result[name] = PolicyConfig(LEVEL_FROM_PROTO.get(config.enforcementLevel), props)
    return result


# --------------------------------------------------------------------------- parsing


def _level(value: Any, source: str, key: str) -> str:
    if value not in LEVELS:
        raise InputError.single(
            source,
            key,
            f"{value!r} is not a valid enforcement level (expected one of {', '.join(LEVELS)})",
        )
    return value


def parse_pack_config(data: Any, source: str) -> PackConfig:
    """Parse the CLI's ``--policy-pack-config`` format (raises InputError naming ``source``)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError.single(source, "", "must be a JSON object keyed by policy name or all")
    result: PackConfig = {}
    for key, value in data.items():
        if key == "environments":  # reserved by the CLI for Pulumi ESC
            continue
        if isinstance(value, str):
            result[key] = PolicyConfig(_level(value, source, key), None)
        elif isinstance(value, dict):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
            if level is not None:
                _level(level, source, f"{key}.enforcementLevel")
            if level is None and not props:
                continue
            result[key] = PolicyConfig(level, props or None)
        else:
            raise InputError.single(
                source, key, f"{json.dumps(value)} is not a valid value; must be a string or object"
            )
    return result


def load_pack_config_file(path: Path, option: str = "--policy-pack-config") -> SourcedConfig:
    """A ``--policy-pack-config`` file, read by the shared input layer (strict UTF-8, no
    duplicate keys, bounded size and depth); an empty file is no config, as for the CLI
    (``parsePolicyPackConfig``)."""
    if not path.exists() and not path.is_symlink():
        raise InputError.single(option, "", f"{path} does not exist")
    if not read_text(path).strip():
        return SourcedConfig({}, display_path(path))
    return SourcedConfig(parse_pack_config(read_json(path), display_path(path)), display_path(path))


# --------------------------------------------------------------------------- reconciliation


def _apply(result: PackConfig, layer: Mapping[str, PolicyConfig]) -> None:
    """``applyConfig``: ``all``'s level first, then every key, ``all`` included, as a policy
    of that name. So ``{"all": {props}}`` with no level leaves a policy ``all`` with an empty
    level, which ``Configure`` refuses (the CLI fails "invalid enforcement level")."""
    everything = layer.get("all")
    if everything is not None and everything.enforcement_level in LEVELS:
        for config in result.values():
            config.enforcement_level = everything.enforcement_level
    for name, given in layer.items():
        if name == "all" and not given.properties:
            continue  # only a level: nothing is left under the name once applied
        current = result.setdefault(name, PolicyConfig())
        if given.enforcement_level in LEVELS:
            current.enforcement_level = given.enforcement_level
        if given.properties:
            current.properties = dict(current.properties or {})
            current.properties.update(copy.deepcopy(given.properties))


def merge_layers(
    layers: Iterable[Mapping[str, PolicyConfig]],
    policies: Iterable[PolicySchemaInfo],
    initial: Mapping[str, PolicyConfig] = {},
) -> PackConfig:
    """Several config layers as the one ``--policy-pack-config`` document the CLI reconciles.

    A layer's ``all`` applies to every policy the pack has (and every name configured so far)
    before that layer's own keys, so it overrides earlier layers' per-policy levels but not
    later ones: it is folded into per-policy keys and the document has no ``all`` key."""
    known = [p.name for p in policies] + [n for n in initial if n != "all"]
    merged: PackConfig = {}
    for layer in layers:
        everything = layer.get("all")
        if everything is not None and everything.enforcement_level in LEVELS:
            for name in [*known, *merged]:
                merged.setdefault(
                    name, PolicyConfig()
                ).enforcement_level = everything.enforcement_level
        for name, given in layer.items():
            if name == "all" and not given.properties:
                continue  # folded into every policy's level above
            current = merged.setdefault(name, PolicyConfig())
            if given.enforcement_level in LEVELS:
                current.enforcement_level = given.enforcement_level
            if given.properties:
                current.properties = {
                    **(current.properties or {}),
                    **copy.deepcopy(given.properties),
                }
    return merged


def to_document(config: Mapping[str, PolicyConfig]) -> dict[str, Any]:
    """A pack config in the CLI's file format (what ``parse_pack_config`` reads back)."""
    document: dict[str, Any] = {}
    for name, entry in sorted(config.items()):
        if entry.enforcement_level and not entry.properties:
            document[name] = entry.enforcement_level
        elif entry.enforcement_level or entry.properties:
            body: dict[str, Any] = dict(entry.properties or {})
            if entry.enforcement_level:
                body["enforcementLevel"] = entry.enforcement_level
            document[name] = body
    return document


def unknown_policy_names(
    config: Mapping[str, PolicyConfig], policies: Iterable[PolicySchemaInfo]
) -> list[str]:
    """Configured names the pack does not have. The CLI passes them to the pack, which ignores
    them (``applyConfig`` keeps every key); obsgov does the same but says so."""
    names = {p.name for p in policies}
    return sorted(n for n in config if n != "all" and n not in names)


def reconcile(
    policies: Iterable[PolicySchemaInfo],
    initial: Mapping[str, PolicyConfig],
    layers: Iterable[Mapping[str, PolicyConfig]],
) -> PackConfig:
    result: PackConfig = {}
    for policy in policies:
        defaults = {
            k: copy.deepcopy(v["default"])
            for k, v in policy.properties.items()
            if isinstance(v, dict) and "default" in v
        }
        result[policy.name] = PolicyConfig(policy.enforcement_level, defaults or None)
    _apply(result, initial)
    for layer in layers:
        _apply(result, layer)
    return result


# --------------------------------------------------------------------------- validation

_GO_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
    "NoneType": "null",
}


def _field(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(root)"


def _number(value: Any) -> Any:
    # Schemas arrive through protobuf Structs, where every number is a double.
    return int(value) if isinstance(value, float) and value.is_integer() else value


_BOUND_WORDING = {
    "minimum": "Must be greater than or equal to {}",
    "maximum": "Must be less than or equal to {}",
    "minLength": "String length must be greater than or equal to {}",
    "maxLength": "String length must be less than or equal to {}",
    "minItems": "Array must have at least {} items",
}
_PATTERN_WORDING = "Does not match pattern '{}'"


def _describe(error: jsonschema.ValidationError) -> tuple[str, str]:
    """(field, description) in gojsonschema's words."""
    field_name = _field(error.absolute_path)
    v = error.validator
    if v == "required":
        # jsonschema words it "{property!r} is a required property"; gojsonschema names the
        # property as it is, so the repr is read back (a name may hold a quote or a backslash).
        missing = ast.literal_eval(error.message.removesuffix(" is a required property"))
        return field_name, f"{missing} is required"
    if v == "type":
        given = _GO_TYPES.get(type(error.instance).__name__, type(error.instance).__name__)
        if isinstance(error.instance, float) and error.instance.is_integer():
            given = "integer"
        expected = error.validator_value
        expected = ", ".join(expected) if isinstance(expected, list) else expected
        return field_name, f"Invalid type. Expected: {expected}, given: {given}"
    if v == "enum":
        allowed = ", ".join(json.dumps(x) for x in error.validator_value)
        return field_name, f"{field_name} must be one of the following: {allowed}"
    if v in _BOUND_WORDING:
        return field_name, _BOUND_WORDING[v].format(_number(error.validator_value))
    if v == "pattern":
        return field_name, _PATTERN_WORDING.format(error.validator_value)
    return field_name, error.message


def _descriptions(error: jsonschema.ValidationError) -> list[tuple[str, str]]:
    """jsonschema reports every property ``additionalProperties: false`` refuses in one error;
    gojsonschema reports each in its own (validation.go, ``AdditionalPropertyNotAllowedError``)."""
    if error.validator != "additionalProperties":
        return [_describe(error)]
    known = error.schema.get("properties", {})
    patterns = error.schema.get("patternProperties", {})
    extras = [
        key
        for key in error.instance
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]
    field_name = _field(error.absolute_path)
    return [(field_name, f"Additional property {key} is not allowed") for key in sorted(extras)]


def validate(policies: Iterable[PolicySchemaInfo], config: PackConfig) -> list[str]:
    errors: list[str] = []
    for policy in policies:
        if not policy.has_schema:
            continue
        schema: dict[str, Any] = {"type": "object"}
        if policy.properties:
            schema["properties"] = policy.properties
        if policy.required:
            schema["required"] = policy.required
        props = (config.get(policy.name) or PolicyConfig()).properties or {}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(
            validator.iter_errors(props), key=lambda e: (list(e.absolute_path), e.message)
        ):
            for field_name, description in _descriptions(error):
                text = description if field_name == "(root)" else f"{field_name}: {description}"
                errors.append(f"{policy.name}: {text}")
    return errors
