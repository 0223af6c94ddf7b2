"""Value types and validators shared by every config model, and the base model."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from obsgov_policies import aws_limits


def _refuse(check: Callable[[Any], str | None], value: Any) -> Any:
    reason = check(value)
    if reason:
        raise ValueError(reason)
    return value


def _aws(check: Callable[[Any], str | None]) -> AfterValidator:
    """A validator from one of :mod:`obsgov_policies.aws_limits`' rules."""
    # A module-level function rather than a closure: the validators are built at import time,
    # where a mutation run cannot switch a closure's mutants in.
    return AfterValidator(functools.partial(_refuse, check))


def _account_id(value: str) -> str:
    reason = aws_limits.account_id_problem(value)
    if reason:
        raise ValueError(reason)
    return value


def _org_id(value: str) -> str:
    if not re.fullmatch(r"o-[a-z0-9]{10,32}", value):
        raise ValueError("must look like o-xxxxxxxxxx (o- then 10-32 lowercase letters or digits)")
    return value


def _ou_id(value: str) -> str:
    if not re.fullmatch(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}", value):
        raise ValueError("must look like ou-xxxx-xxxxxxxx")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise ValueError("must be an email address")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from None
    return value


def _resource_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}", value):
        raise ValueError("must be 1-63 letters, digits or hyphens, starting with a letter or digit")
    return value


# The values CloudWatch Logs' PutRetentionPolicy accepts.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention_days(value: int) -> int:
    if value not in RETENTION_DAYS:
        raise ValueError(
            "must be one of the values CloudWatch Logs accepts: "
            + ", ".join(map(str, RETENTION_DAYS))
        )
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
TagKey = Annotated[str, _aws(aws_limits.tag_key_problem)]
TagValue = Annotated[str, _aws(aws_limits.tag_value_problem)]
Tags = Annotated[dict[str, str], _aws(aws_limits.tags_problem)]
Namespace = Annotated[str, _aws(aws_limits.namespace_problem)]
MetricName = Annotated[str, _aws(aws_limits.metric_name_problem)]
Dimensions = Annotated[dict[str, str], _aws(aws_limits.dimensions_problem)]
OrgId = Annotated[str, AfterValidator(_org_id)]
OuId = Annotated[str, AfterValidator(_ou_id)]
Email = Annotated[str, AfterValidator(_email)]
Regex = Annotated[str, AfterValidator(_regex)]
ResourceName = Annotated[str, AfterValidator(_resource_name)]
Environment = Literal["dev", "staging", "prod"]


class Model(BaseModel):
    # allow_inf_nan=False: AWS's numbers are finite, and "inf" would otherwise pass as a
    # float from YAML or from a Pulumi config string and fail much later without a key path.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
    )
