"""What pulumi-aws's ``Check`` adds to a resource's inputs, offline.

The engine hands the provider's ``Check`` output, not the program's inputs, to the program (as
the resource's preview outputs) and to the packs (``Analyze``): ``analyzeAll`` in
pkg/resource/deploy/step_generator.go takes the checked inputs. pulumi-aws's ``Check`` (the
Terraform bridge) adds, in preview as in an update:

* a generated physical name: every resource with an input ``name`` is auto-named
  ``<logical name>-<7 random hex>`` up to 255 characters (``setAutonaming`` in the provider's
  autonaming.go); S3 buckets name ``bucket`` in lower case up to 63, IAM roles and EventBridge
  rules up to 64 (resources.go). A ``namePrefix`` (``bucketPrefix``) leaves the name to AWS.
* ``tagsAll``: the provider's ``defaultTags`` merged with the resource's ``tags`` (unknown when
  either is), an empty map when there are none (``applyTags`` in the provider's tags.go).

The 7 hex characters are random in the provider; here they are derived from the stack, type
and logical name, so the same program always yields the same graph.

The generated SDK also tells which output properties the provider computes: a getter typed
``Output[Optional[T]]`` is an optional input the provider leaves null when it is not set; any
other output it computes (unknown in preview until the resource exists).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
from collections.abc import Mapping
from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# type token -> (property, maximum length, lower case) where resources.go overrides the default
AUTONAME_OVERRIDES: dict[str, tuple[str, int, bool]] = {
    "aws:s3/bucket:Bucket": ("bucket", 63, True),
    "aws:s3/bucketV2:BucketV2": ("bucket", 63, True),
    "aws:iam/role:Role": ("name", 64, False),
    "aws:cloudwatch/eventRule:EventRule": ("name", 64, False),
}
AUTONAME_DEFAULT = ("name", 255, False)
RANDOM_HEX = 7


@functools.cache
def _sdk_class(type_token: str, suffix: str = "") -> type | None:
    """The generated class of a pulumi-aws type (``suffix="Args"`` for its inputs)."""
    package, _, rest = type_token.partition(":")
    module_token, _, class_name = rest.rpartition(":")
    if package != "aws" or not class_name:
        return None
    module = module_token.split("/", 1)[0]
    try:
        sdk = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
    except ImportError:
        return None
    found = getattr(sdk, class_name + suffix, None)
    return found if isinstance(found, type) else None


def _getters(cls: type | None) -> dict[str, Any]:
    """Wire name -> the getter of every ``@pulumi.getter`` property of ``cls``."""
    if cls is None:
        return {}
    found: dict[str, Any] = {}
    for klass in cls.__mro__:
        for value in vars(klass).values():
            getter = getattr(value, "fget", None)
            name = getattr(getter, "_pulumi_name", None)
            if isinstance(name, str):
                found.setdefault(name, getter)
    return found


@functools.cache
def input_names(type_token: str) -> frozenset[str]:
    return frozenset(_getters(_sdk_class(type_token, "Args")))


@functools.cache
def output_names(type_token: str) -> frozenset[str]:
    return frozenset(_getters(_sdk_class(type_token)))


def _is_optional(getter: Any) -> bool:
    try:
        annotation = inspect.signature(getter).return_annotation
    except (TypeError, ValueError):
        return False
    return "Optional[" in str(annotation)


@functools.cache
def computed_outputs(type_token: str) -> frozenset[str]:
    """Outputs the provider computes when the program leaves them unset: every output but
    those the schema calls optional (``Output[Optional[T]]``), which stay null."""
    return frozenset(
        name
        for name, getter in _getters(_sdk_class(type_token)).items()
        if not _is_optional(getter)
    )


def _contains_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def generated_name(logical_name: str, seed: str, max_length: int, lower: bool) -> str | None:
    """``<logical name>-<7 hex>``; None where that is longer than the property allows (the
    provider's Check fails there and the name stays the program's problem)."""
    suffix = hashlib.sha256(seed.encode()).hexdigest()[:RANDOM_HEX]
    name = f"{logical_name}-{suffix}"
    if lower:
        name = name.lower()
    return name if len(name) <= max_length else None


def _native_tags_are_a_list(type_token: str) -> bool:
    """Whether a pulumi-aws-native resource's ``tags`` is a list of ``{key, value}`` (most
    Cloud Control types), read from its generated inputs class."""
    package, _, rest = type_token.partition(":")
    module, _, class_name = rest.rpartition(":")
    if package != "aws-native" or not class_name:
        return False
    try:
        sdk = importlib.import_module(f"pulumi_aws_native.{module}")
    except ImportError:
        return False
    args = getattr(sdk, class_name + "Args", None)
    if not isinstance(args, type):
        return False
    tags = inspect.signature(args).parameters.get("tags")
    return tags is not None and "Sequence" in str(tags.annotation)


def native_check(
    type_token: str, inputs: Mapping[str, Any], default_tags: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The inputs as pulumi-aws-native's Check returns them: the provider's default tags
    appended to a list-shaped ``tags`` (none set counts as an empty list) for the keys the
    resource does not set itself (``MergeDefaultTags`` in the provider's
    provider/pkg/default_tags/default_tags.go). Unknown default tags leave the tags unknown."""
    checked = dict(inputs)
    if not default_tags and default_tags is not None:
        return checked
    if not _native_tags_are_a_list(type_token):
        return checked
    tags = checked.get("tags")
    if default_tags is None or _contains_unknown(tags):
        checked["tags"] = UNKNOWN
        return checked
    own = [t for t in tags if isinstance(t, Mapping)] if isinstance(tags, list) else []
    present = {t.get("key") for t in own}
    checked["tags"] = own + [
        {"key": k, "value": v}
        for k, v in default_tags.items()
        if k not in present and isinstance(v, str)
    ]
    return checked


def check(
    type_token: str,
    logical_name: str,
    inputs: Mapping[str, Any],
    default_tags: Mapping[str, Any] | None,
    seed: str,
) -> dict[str, Any]:
    """The inputs as pulumi-aws's Check returns them (``default_tags`` None: unknown)."""
    if type_token.startswith("aws-native:"):
        return native_check(type_token, inputs, default_tags)
    checked = dict(inputs)
    names = input_names(type_token)
    if not names:
        return checked
    field, max_length, lower = AUTONAME_OVERRIDES.get(type_token, AUTONAME_DEFAULT)
    if field in names and checked.get(field) is None and not checked.get(f"{field}Prefix"):
        name = generated_name(logical_name, seed, max_length, lower)
        if name is not None:
            checked[field] = name
    if "tags" in names and "tagsAll" in output_names(type_token):
        tags = checked.get("tags")
        if default_tags is None or _contains_unknown(tags):
            checked["tagsAll"] = UNKNOWN
        else:
            merged = {k: v for k, v in default_tags.items() if isinstance(v, str)}
            if isinstance(tags, Mapping):
                merged.update({k: v for k, v in tags.items() if v is not None})
            checked["tagsAll"] = merged
    return checked
