"""boto3 plumbing for onboarding: one retry policy, hooks on every client, assumed sessions.

Every client is created here, inside a function, so tests (moto, botocore event hooks) and the
benchmark's call counter see every call, including those made with assumed-role credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from .errors import (
    EXIT_ACCESS_DENIED,
    EXIT_AWS,
    OnboardingError,
)

# Standard mode retries throttling (Throttling, TooManyRequestsException, ...) and transient
# errors with exponential backoff and jitter; five attempts rides out Organizations' low
# per-account rate limits.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})

_ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AccessDeniedForDependencyException",
}

Hook = tuple[str, Callable[..., Any]]


@dataclass
class Aws:
    """The caller's session, plus the event hooks every client gets."""

    region: str | None = None
    session: boto3.Session | None = None
    hooks: list[Hook] = field(default_factory=list)
    # run before handlers already registered (moto's own before-send stub, for one)
    first_hooks: list[Hook] = field(default_factory=list)
    session_name: str = "obsgov-onboarding"
    sleep: Callable[[float], None] = time.sleep

    def base(self) -> boto3.Session:
        if self.session is None:
            self.session = boto3.Session(region_name=self.region)
        return self.session

    def client(self, service: str, session: boto3.Session | None = None) -> Any:
        client = (session or self.base()).client(
            service, region_name=self.region, config=RETRY_CONFIG
        )
        for event, handler in self.hooks:
            client.meta.events.register(event, handler)
        for event, handler in self.first_hooks:
            client.meta.events.register_first(event, handler)
        return client

    def client_in(self, service: str, region: str, session: boto3.Session | None = None) -> Any:
        """A client for another Region (default VPCs are per Region)."""
        client = (session or self.base()).client(service, region_name=region, config=RETRY_CONFIG)
        for event, handler in self.hooks:
            client.meta.events.register(event, handler)
        for event, handler in self.first_hooks:
            client.meta.events.register_first(event, handler)
        return client

    def assume(self, role_arn: str, attempts: int = 1, wait: float = 5.0) -> boto3.Session:
        """A session with ``role_arn``'s credentials.

        ``attempts`` > 1 retries AccessDenied: IAM changes (a new account's access role, a new
        deployment role) take seconds to reach STS. The new session keeps the caller's profile
        (when it names one) so its settings, such as ``endpoint_url``, still apply;
        ``AWS_ENDPOINT_URL`` is read from the environment by every session anyway.
        """
        sts = self.client("sts")
        for attempt in range(1, attempts + 1):
            try:
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=self.session_name)[
                    "Credentials"
                ]
                break
            except ClientError as exc:
                if error_code(exc) not in _ACCESS_DENIED or attempt == attempts:
                    raise
                self.sleep(wait)
        base = self.base()
        profile = base.profile_name if base.profile_name in base.available_profiles else None
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
            profile_name=profile,
        )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def is_access_denied(exc: ClientError) -> bool:
    return error_code(exc) in _ACCESS_DENIED


def aws_failure(exc: Exception, doing: str) -> OnboardingError:
    """Word an AWS error for the user, with its exit code."""
    if isinstance(exc, NoCredentialsError):
        return OnboardingError(
            "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            EXIT_AWS,
        )
    if isinstance(exc, ClientError):
        code, message = error_code(exc), error_message(exc)
        if code in _ACCESS_DENIED:
            return OnboardingError(
                f"AWS denied {exc.operation_name} while {doing}: {message or code}; "
                "run with credentials of the management account (or a delegated "
                "administrator) that allow it",
                EXIT_ACCESS_DENIED,
            )
        return OnboardingError(
            f"AWS refused {exc.operation_name} while {doing}: {code}: {message}", EXIT_AWS
        )
    if isinstance(exc, BotoCoreError):
        return OnboardingError(f"AWS could not be reached while {doing}: {exc}", EXIT_AWS)
    raise exc


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items
