"""Suppressions: a finding the gate is told to accept for a while, with the reason why.

Written where the resource's config is, so that they are reviewed like the config they excuse:
in a stack's config (``obsgov:suppressions`` in ``Pulumi.<env>.yaml``, or in a team's
``Pulumi.<stack>.yaml``) or in the accounts registry (``suppressions:`` beside ``accounts:``
and ``workloads:``, scoped to one workload or account). Each names the policy, which resources
(all, a logical name, a glob on logical names, or a URN), a reason and the last day it applies
(``expires``, an ISO date in quotes: YAML would read a bare date as a date, which obsgov
refuses). Every report lists them; from the day after ``expires`` the finding counts again.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from .types import Model, ResourceName

MAX_DAYS = 366  # a suppression is a reviewed exception, not a permanent one


def _iso_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD, in quotes")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None
    return value


def _policy(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value):
        raise ValueError("must be a policy name (e.g. obsgov-logs-loggroup-require-retention)")
    return value


def _reason(value: str) -> str:
    if len(value.split()) < 3:
        raise ValueError("must say why in a few words (who accepted the risk, until what)")
    return value


class Suppression(Model):
    """One suppression in a stack's config."""

    policy: Annotated[str, AfterValidator(_policy)]
    # "" or absent: every resource (of the scope); else a logical name, a glob on logical
    # names (fnmatch: * and ?) or a URN
    resource: str = ""
    reason: Annotated[str, AfterValidator(_reason)]
    expires: Annotated[str, AfterValidator(_iso_date)]

    @property
    def expiry(self) -> dt.date:
        return dt.date.fromisoformat(self.expires)


class RegistrySuppression(Suppression):
    """One suppression in the accounts registry: for one workload's or one account's
    resources."""

    workload: ResourceName | None = None
    account: ResourceName | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> RegistrySuppression:
        if (self.workload is None) == (self.account is None):
            raise ValueError("name exactly one of workload or account")
        return self


Suppressions = Annotated[list[Suppression], Field(default_factory=list)]
RegistrySuppressions = Annotated[list[RegistrySuppression], Field(default_factory=list)]
