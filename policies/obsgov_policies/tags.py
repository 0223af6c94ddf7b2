"""Tag rules shared by the tagging policies, and the list of taggable resource types.

The taggable types are derived from the installed pulumi-aws SDK (every resource whose
constructor takes ``tags``), never maintained by hand: a new pulumi-aws release brings its new
taggable resources with it.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from .props import as_dict, as_list, as_str, get

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
        signature = text[start:text.find("):", start)] if start >= 0 else ""
        if _TAGS_ARG.search(signature):
            found.add(match.group(1))
    return frozenset(found)


def is_taggable(resource_type: str) -> bool:
    return resource_type in taggable_types()


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
    """Tags the resource will carry: the provider's default tags, overridden by its own."""
    tags = provider_default_tags(args.provider)
    tags.update(as_dict(get(args.props, "tags")))
    return tags


def check_tags(rules: Iterable[Mapping[str, Any]], tags: Mapping[str, Any]) -> list[str]:
    """Messages for every rule the tags break, in rule order."""
    missing: list[str] = []
    invalid: list[str] = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        key = as_str(rule.get("key"))
        if not key:
            continue
        if key not in tags or tags[key] in (None, ""):
            missing.append(key)
            continue
        value = tags[key]
        if not isinstance(value, str):
            invalid.append(f"Tag {key!r} must be a string.")
            continue
        allowed = [v for v in as_list(rule.get("allowedValues")) if isinstance(v, str)]
        pattern = as_str(rule.get("pattern"))
        if allowed and value not in allowed:
            invalid.append(f"Tag {key!r} is {value!r}; expected one of {', '.join(allowed)}.")
        elif pattern and not _fullmatch(pattern, value):
            invalid.append(f"Tag {key!r} is {value!r}; expected a value matching {pattern}.")
    messages = []
    if missing:
        messages.append(f"Missing required tags: {', '.join(missing)}.")
    return messages + invalid


def _fullmatch(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def rules_from_config(config: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [r for r in as_list(config.get(key)) if isinstance(r, Mapping)]


