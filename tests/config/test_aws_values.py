"""Every value the config passes to AWS is checked against what AWS accepts (issue 33).

The limits come from botocore's service models (min, max, pattern, enum of each parameter),
read at run time, and from the AWS documentation where the model carries none (each
:class:`~obsgov.config.aws_api.Docs` rule names its page). The walk below fails when a config
field has no entry in :data:`~obsgov.config.aws_api.FIELDS`: a new value cannot reach AWS
unchecked.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from obsgov.config import aws_api
from obsgov.config.aws_api import FIELDS, Api, Checked, Docs, NotSent, Within
from obsgov.config.models import AccountsRegistry, OrganizationConfig, StackSettings
from obsgov.errors import InputError
from obsgov.io import display_path

ROOTS = (StackSettings, OrganizationConfig, AccountsRegistry)


def _declared_by(model: type[BaseModel], name: str) -> str:
    for klass in model.__mro__:
        if name in vars(klass).get("__annotations__", {}):
            return klass.__name__
    raise AssertionError(f"{model.__name__}.{name} is declared nowhere")


def _leaf_kinds(annotation) -> Iterator[tuple[str, object]]:
    """("value", type) for each leaf a field can hold, ("key", type) for a mapping's keys,
    ("model", class) for a nested model."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _leaf_kinds(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType) or origin in (list, tuple, set):
        for arg in typing.get_args(annotation):
            yield from _leaf_kinds(arg)
    elif origin is dict:
        key, value = typing.get_args(annotation)
        yield "key", key
        yield from _leaf_kinds(value)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "model", annotation
    elif annotation is not type(None):
        yield "value", annotation


def config_fields() -> set[str]:
    """Every leaf of the three documents, as FIELDS names it."""
    found: set[str] = set()
    seen: set[type] = set()
    todo: list[type[BaseModel]] = list(ROOTS)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            key = f"{_declared_by(model, name)}.{name}"
            for kind, what in _leaf_kinds(field.annotation):
                if kind == "model":
                    todo.append(what)  # type: ignore[arg-type]
                elif kind == "key":
                    found.add(f"{key}{{}}")
                else:
                    found.add(key)
    return found


def test_every_config_value_says_what_aws_does_with_it():
    """Fails when a field is added without saying which AWS parameter it feeds (or why AWS
    never sees it), and when an entry outlives its field."""
    fields = config_fields()
    assert len(fields) > 150
    missing = sorted(fields - set(FIELDS))
    assert missing == [], f"config values with no entry in obsgov.config.aws_api.FIELDS: {missing}"
    stale = sorted(set(FIELDS) - fields)
    assert stale == [], f"FIELDS entries for fields that no longer exist: {stale}"
    assert all(FIELDS[key] for key in fields)


def _apis() -> list[Api]:
    found = []
    for entry in FIELDS.values():
        for target in entry:
            if isinstance(target, Api):
                found.append(target)
            elif isinstance(target, (Within, Checked)) and target.api is not None:
                found.append(target.api)
    return sorted(set(found), key=str)


@pytest.mark.parametrize("api", _apis(), ids=str)
def test_every_parameter_named_exists_in_botocore_and_its_pattern_compiles(api):
    shape = api.resolve()
    assert shape.type_name in ("string", "integer", "long", "double", "float", "boolean", "list")
    limits = api.constraints()
    if "pattern" in limits:
        aws_api._compiled(limits["pattern"])


def test_documented_rules_name_their_source_and_the_rest_say_why():
    for key, entry in FIELDS.items():
        for target in entry:
            if isinstance(target, Docs):
                assert target.source.startswith(("https://docs.aws.amazon.com/", "botocore"))
            elif isinstance(target, (Within, NotSent)):
                assert len(target.how if isinstance(target, Within) else target.why) > 15, key


def test_values_other_rules_check_use_the_same_limits():
    """Tags are checked, with the tag named, by the tag rules through
    obsgov_policies.aws_limits (which the packs share): its limits are the Tag shape's."""
    from obsgov.config import rules
    from obsgov_policies import aws_limits

    checked = {t for entry in FIELDS.values() for t in entry if isinstance(t, Checked)}
    assert checked
    for target in checked:
        assert callable(getattr(rules, target.by.removeprefix("rules.")))
        limits = target.api.constraints()
        maximum = (
            aws_limits.TAG_KEY_MAX if target.api.shape == "TagKey" else aws_limits.TAG_VALUE_MAX
        )
        assert limits["max"] == maximum
        assert limits["pattern"] == "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"
        assert "".join(sorted(aws_limits.TAG_SYMBOLS)) == "+-./:=@_"


def test_limits_are_read_from_botocore_not_retyped():
    """What the checks apply is botocore's data: the variant name's 63 and pattern, the
    instance types' enum, the metadata key's 1-128."""
    assert Api("sagemaker", "ProductionVariant", "VariantName").constraints() == {
        "min": 0,
        "max": 63,
        "pattern": "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "type": "string",
    }
    instance_types = Api("opensearch", "ClusterConfig", "InstanceType").constraints()["enum"]
    assert "r6g.large.search" in instance_types
    assert "r6g.huge.search" not in instance_types


def test_java_patterns_read_as_aws_reads_them():
    """Smithy patterns are Java's: \\p{L} classes, surrogate pairs, whole-value matches,
    ASCII \\w (so an IAM role name cannot hold é)."""
    key = Api("sagemaker", "CustomerMetadataKey")
    assert key.problem("team:owner") is None
    assert key.problem("équipe") is None
    assert "is not a valid SageMaker CustomerMetadataKey" in (key.problem("a;b") or "")
    role = Api("iam", "CreateRoleRequest", "RoleName")
    assert role.problem("Obsgov_Role") is None
    assert "is not a valid IAM RoleName" in (role.problem("rolé") or "")
    glue = Api("glue", "DatabaseInput", "Name")
    assert glue.problem("logs \U0001f600") is None  # a supplementary character is allowed


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("obsgov-archive", None),
        ("Bad_Bucket!", "lowercase letters, digits, dots and hyphens"),
        ("my..bucket", "two adjacent dots"),
        ("192.168.5.4", "formatted as an IP address"),
        ("ab", "3-63 characters"),
        ("xn--bucket", "the prefix xn-- is reserved"),
        ("logs-s3alias", "the suffix -s3alias is reserved"),
    ],
)
def test_bucket_names_follow_the_s3_naming_rules(value, problem):
    """docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"""
    found = aws_api.bucket_name_problem(value)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("rate(1 hour)", None),
        ("rate(5 minutes)", None),
        ("cron(0 12 * * ? *)", None),
        ("every hour", "is not a schedule expression"),
        ("rate(1 hours)", "write rate(1 hour)"),
        ("rate(5 minute)", "write rate(5 minutes)"),
        ("rate(0 minutes)", "positive whole number"),
        ("cron(0 12 * * *)", "six fields"),
        ("cron(0 12 * * MON *)", "exactly one of day-of-month and day-of-week must be ?"),
    ],
)
def test_schedule_expressions_follow_eventbridge_rules(value, problem):
    """docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"""
    found = aws_api.schedule_expression_problem(value)
    assert (found is None) if problem is None else (problem in (found or ""))


# --------------------------------------------------------------------------- through validate

DRIFT = {
    "captureBucket": "obsgov-capture",
    "baselineBucket": "obsgov-baselines",
    "reportBucket": "obsgov-reports",
    "kmsKeyArn": "arn:aws:kms:eu-west-1:100000000002:key/abc",
}


def _stack(key: str, value):
    return lambda env: env.config.update({key: value})


def _workload(field: str, value):
    return lambda env: env.workloads[0].update({field: value})


# The AWS-invalid values, each with the problem validate must report.
INVALID = [
    (
        "region-that-does-not-exist",
        _stack("aws:region", "eu-fake-1"),
        "stack",
        "config.aws:region",
        "'eu-fake-1' is not an AWS Region botocore knows",
    ),
    *(
        (
            f"dedicated-master-count-{count}",
            _stack("obsgov:openSearch", {"dedicatedMasterCount": count}),
            "stack",
            "config.obsgov:openSearch.dedicatedMasterCount",
            "must be 0 (none), 3 or 5: OpenSearch refuses 1, and 2 or 4 cannot keep a quorum",
        )
        for count in (1, 2, 4)
    ),
    (
        "one-subnet-with-three-zones",
        _stack("obsgov:openSearch", {"subnetIds": ["subnet-0a1b2c3d4e5f60711"]}),
        "stack",
        "config.obsgov:openSearch",
        "subnetIds must name exactly 3 subnets, one per Availability Zone the domain spans "
        "(3: zoneAwareness on, instanceCount 3); it names 1",
    ),
    # UltraWarm: dedicated masters, no T2/T3 data nodes, 2 to 150 warm nodes of botocore's
    # types; cold storage needs UltraWarm (OpenSearch developer guide, "UltraWarm storage",
    # "Cold storage", "Quotas")
    (
        "ultrawarm-without-dedicated-masters",
        _stack("obsgov:openSearch", {"warmEnabled": True, "dedicatedMasterCount": 0}),
        "stack",
        "config.obsgov:openSearch",
        "warmEnabled needs dedicated master nodes (dedicatedMasterCount >= 1): UltraWarm is "
        "refused on a domain without them",
    ),
    (
        "ultrawarm-on-t3-data-nodes",
        _stack("obsgov:openSearch", {"warmEnabled": True, "instanceType": "t3.medium.search"}),
        "stack",
        "config.obsgov:openSearch",
        "warmEnabled cannot be used with t3.medium.search data nodes: UltraWarm needs a data "
        "node type other than T2 or T3",
    ),
    (
        "cold-storage-without-ultrawarm",
        _stack("obsgov:openSearch", {"coldStorage": True}),
        "stack",
        "config.obsgov:openSearch",
        "coldStorage needs warmEnabled: cold storage requires UltraWarm",
    ),
    *(
        (
            f"ultrawarm-count-{count}",
            _stack("obsgov:openSearch", {"warmEnabled": True, "warmCount": count}),
            "stack",
            "config.obsgov:openSearch.warmCount",
            f"must be 2 to 150 UltraWarm nodes; it is {count}",
        )
        for count in (1, 151)
    ),
    (
        "schedule-in-words",
        _stack("obsgov:driftMonitoring", {**DRIFT, "schedule": "every hour"}),
        "stack",
        "config.obsgov:driftMonitoring.schedule",
        "'every hour' is not a schedule expression: use rate(5 minutes) or cron(0 * * * ? *)",
    ),
    (
        "bucket-with-capitals-and-punctuation",
        _stack("obsgov:driftMonitoring", {**DRIFT, "captureBucket": "Bad_Bucket!"}),
        "stack",
        "config.obsgov:driftMonitoring.captureBucket",
        "'Bad_Bucket!' is not an S3 bucket name: lowercase letters, digits, dots and hyphens, "
        "starting and ending with a letter or digit",
    ),
    (
        "bucket-with-two-dots",
        _stack("obsgov:centralAudit", {"archive": {"bucketName": "my..bucket"}}),
        "stack",
        "config.obsgov:centralAudit.archive.bucketName",
        "'my..bucket' is not an S3 bucket name: two adjacent dots",
    ),
    (
        "bucket-like-an-ip-address",
        _stack("obsgov:centralAudit", {"trail": {"dataEvents": {"s3Buckets": ["192.168.5.4"]}}}),
        "stack",
        "config.obsgov:centralAudit.trail.dataEvents.s3Buckets[0]",
        "'192.168.5.4' is not an S3 bucket name: it is formatted as an IP address",
    ),
    (
        "quicksight-principal-without-a-name",
        _stack("obsgov:quickSight", {"principals": ["arn:aws:quicksight:"]}),
        "stack",
        "config.obsgov:quickSight.principals[0]",
        "'arn:aws:quicksight:' is not a QuickSight principal",
    ),
    (
        "variant-name-of-100-characters-with-spaces",
        _workload("variantName", "all traffic " * 8 + "to the end"),
        "accounts",
        "workloads[0].variantName",
        "must be 0-63 characters for SageMaker VariantName (this one has 106)",
    ),
    (
        "variant-name-with-spaces",
        _workload("variantName", "all traffic"),
        "accounts",
        "workloads[0].variantName",
        "'all traffic' is not a valid SageMaker VariantName (AWS's pattern: "
        "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})",
    ),
    (
        "empty-required-metadata-key",
        _stack("obsgov:modelApproval", {"requiredMetadata": [""]}),
        "stack",
        "config.obsgov:modelApproval.requiredMetadata[0]",
        "must be 1-128 characters for SageMaker CustomerMetadataKey (this one has 0)",
    ),
    (
        "instance-type-opensearch-does-not-sell",
        _stack("obsgov:openSearch", {"instanceType": "r6g.huge.search"}),
        "stack",
        "config.obsgov:openSearch.instanceType",
        "'r6g.huge.search' is not one of the values OpenSearch InstanceType accepts",
    ),
]


@pytest.mark.parametrize(
    ("edit", "file", "key_path", "message"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_validate_refuses_what_aws_would_refuse(scenario, edit, file, key_path, message):
    env = scenario()
    edit(env)
    with pytest.raises(InputError) as caught:
        env.load()
    shown = {
        "stack": display_path(env.stack_file),
        "accounts": display_path(env.directory / "accounts.yaml"),
    }[file]
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith(f"{shown}: {key_path}: {message}") for p in found), found


def test_only_values_the_user_wrote_are_named(scenario):
    """Defaults are obsgov's: a problem names a key the user wrote, and the shipped and
    minimal environments pass."""
    env = scenario()
    env.config["obsgov:openSearch"] = {"instanceCount": 3}
    assert env.load().settings.open_search.instance_count == 3
