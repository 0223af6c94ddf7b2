"""The tags a resource will carry, checked against tag rules; and which types take tags.

The taggable types are derived from the installed pulumi-aws SDK (every resource whose
constructor takes ``tags``), never maintained by hand: a new pulumi-aws release brings its new
taggable resources with it. A pulumi-aws-native type is taggable when its generated class takes
``tags`` (read from that one module, when the SDK is installed: it is too large to scan whole);
its tags are most often a list of ``{key, value}``, which :func:`effective_tags` reads as a map,
with the provider's ``defaultTags`` under them as pulumi-aws-native's Check merges them
(provider/pkg/default_tags/default_tags.go in pulumi/pulumi-aws-native).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .props import UNKNOWN_VALUE, UnknownValueError, as_dict, as_list, as_str, get, known_items
from .tag_rules import expectation, value_accepted

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")
_TAGS_ARG = re.compile(r"\btags: ")

TAG_RULE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string", "minLength": 1},
            "allowedValues": {"type": "array", "items": {"type": "string"}},
            "pattern": {"type": "string"},
        },
        "required": ["key"],
    },
}


@functools.lru_cache(maxsize=1)
def taggable_types() -> frozenset[str]:
    """Type tokens of pulumi-aws resources that accept ``tags`` (read from the SDK's source,
    which is much faster than importing all of its modules)."""
    import pulumi_aws

    root = Path(pulumi_aws.__file__).parent
    found = set()
    for path in root.glob("*/*.py"):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        match = _TOKEN.search(text)
        if not match:
            continue
        start = text.find("def _internal_init(")
        signature = text[start : text.find("):", start)] if start >= 0 else ""
        if _TAGS_ARG.search(signature):
            found.add(match.group(1))
    return frozenset(found)


def _native_module_path(resource_type: str) -> Path | None:
    """The generated module of a pulumi-aws-native type (``aws-native:quicksight:Dashboard``
    -> ``pulumi_aws_native/quicksight/dashboard.py``), None without the SDK."""
    package, _, rest = resource_type.partition(":")
    module, _, class_name = rest.rpartition(":")
    if package != "aws-native" or not module.isidentifier() or not class_name.isidentifier():
        return None
    try:
        import pulumi_aws_native
    except ImportError:
        return None
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()
    return Path(pulumi_aws_native.__file__).parent / module / f"{snake}.py"


@functools.cache
def native_taggable(resource_type: str) -> bool:
    """Whether a pulumi-aws-native type accepts tags, read from its generated module."""
    path = _native_module_path(resource_type)
    if path is None or not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    if f"'{resource_type}'" not in text:
        return False
    start = text.find("def _internal_init(")
    signature = text[start : text.find("):", start)] if start >= 0 else ""
    return bool(_TAGS_ARG.search(signature))


def is_taggable(resource_type: str) -> bool:
    if resource_type.startswith("aws-native:"):
        return native_taggable(resource_type)
    return resource_type in taggable_types()


def _tag_map(value: Any) -> dict[str, Any]:
    """A resource's tags as a map: pulumi-aws's map as it is; pulumi-aws-native's list of
    ``{key, value}`` by key (a value unknown until deployment is UNKNOWN_VALUE)."""
    if isinstance(value, Mapping):
        return known_items(value)
    out: dict[str, Any] = {}
    try:
        items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []
    except UnknownValueError:
        return out
    for item in items:
        tag = known_items(item)
        key = tag.get("key")
        if isinstance(key, str):
            out[key] = tag.get("value", UNKNOWN_VALUE)
    return out


def provider_default_tags(provider: Any) -> dict[str, Any]:
    """The provider's ``default_tags``; the engine sends nested provider config as JSON text."""
    if provider is None:
        return {}
    raw = get(provider.props, "defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return dict(as_dict(get(raw, "tags")))


def effective_tags(args: Any) -> dict[str, Any]:
    """Tags the resource will carry: the provider's default tags, overridden by its own (a
    resource tag wins even when empty, as in the AWS provider). A value that is unknown until
    deployment is :data:`~obsgov_policies.props.UNKNOWN_VALUE`, so that one unknown tag does
    not stop the other tags from being checked."""
    tags = provider_default_tags(args.provider)
    tags.update(_tag_map(get(args.props, "tags")))
    return tags


def _constraints(rule: Mapping[str, Any]) -> tuple[list[str] | None, str | None]:
    raw = rule.get("allowedValues")
    allowed = (
        [v for v in raw if isinstance(v, str)]
        if isinstance(raw, Sequence) and not isinstance(raw, str)
        else None
    )
    pattern = rule.get("pattern")
    return allowed, pattern if isinstance(pattern, str) else None


def check_tags(rules: Iterable[Mapping[str, Any]], tags: Mapping[str, Any]) -> list[str]:
    """Messages for every rule the tags break: absent tags first, in one message, then each
    tag whose value the rule does not accept (see :func:`~.tag_rules.value_accepted`)."""
    missing: list[str] = []
    invalid: list[str] = []
    for rule in rules:
        key = as_str(rule.get("key"))
        if not key:
            continue
        value = tags.get(key)
        if value is None:
            missing.append(key)
        elif value is UNKNOWN_VALUE:
            continue  # set, and judged once it is known
        elif not isinstance(value, str):
            invalid.append(f"Tag {key!r} must be a string.")
        else:
            allowed, pattern = _constraints(rule)
            if not value_accepted(value, allowed, pattern):
                invalid.append(
                    f"Tag {key!r} is {value!r}; expected {expectation(allowed, pattern)}."
                )
    messages = [f"Missing required tags: {', '.join(missing)}."] if missing else []
    return messages + invalid


def rules_from_config(config: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [r for r in as_list(config.get(key)) if isinstance(r, Mapping)]


def report_tag_violations(
    args: Any, config_key: str, report_violation: Any, skip_keys: frozenset[str] = frozenset()
) -> None:
    """The whole of a tagging policy: check the resource's tags against the rules under
    ``config_key`` in the policy's config.

    Every tag that can be judged is; then, if a required tag's value is unknown until
    deployment, its unknown value is read again so that the SDK reports its usual advisory
    "can't run policy ... during preview" for the part it could not judge.
    """
    rules = [
        r
        for r in rules_from_config(args.get_config(), config_key)
        if as_str(r.get("key")) not in skip_keys
    ]
    tags = effective_tags(args)
    for message in check_tags(rules, tags):
        report_violation(message)
    for rule in rules:
        key = as_str(rule.get("key"))
        if tags.get(key) is UNKNOWN_VALUE:
            own = get(args.props, "tags")  # raises the SDK's UnknownValueError when unknown
            if isinstance(own, Mapping):
                get(args.props, "tags", key)
