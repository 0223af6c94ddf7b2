"""Shared fixtures: the shipped example environments, inline environments built from them, and
their synthesized resource graphs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.loader import load_environment
from obsgov.graph import ResourceGraph
from obsgov.synth import synthesize

from .support.caching import clear_session_caches, session_cache
from .support.environments import (
    EXAMPLE_STACKS,
    ROOT,
    STACKS,
    InlineEnvironment,
    minimal,
    read,
    shipped,
)

__all__ = ["EXAMPLE_STACKS", "ROOT", "STACKS", "InlineEnvironment", "read"]

# A team program without a virtualenv runs, as under the Pulumi CLI, with the interpreter
# PULUMI_PYTHON_CMD names, else python3 on PATH (obsgov.synth.environment): the tests' own
# interpreter, which has the Pulumi SDK, whatever python3 the machine has.
os.environ["PULUMI_PYTHON_CMD"] = sys.executable


def pytest_sessionstart(session: pytest.Session) -> None:
    clear_session_caches()


@pytest.fixture
def inline_env(tmp_path: Path) -> Callable[..., InlineEnvironment]:
    """A copy of a shipped environment in a temp folder, editable as plain dicts."""
    return lambda stack="dev": shipped(tmp_path / "stacks", stack)


@pytest.fixture
def scenario(tmp_path: Path) -> Callable[..., InlineEnvironment]:
    """The smallest valid environment (see ``tests.support.environments.minimal``)."""
    return lambda stack="dev": minimal(tmp_path / "stacks", stack)


@session_cache
def _example_graph(stack: str, preview: bool) -> ResourceGraph:
    env = load_environment(stack, STACKS / f"Pulumi.{stack}.yaml")
    return synthesize(env, preview=preview)


@pytest.fixture
def example_graph() -> Callable[..., ResourceGraph]:
    """Synthesize a shipped stack (cached per test session: graphs are read-only here)."""
    return _example_graph


@pytest.fixture
def example_env() -> Callable[[str], EnvironmentConfig]:
    return lambda stack: load_environment(stack, STACKS / f"Pulumi.{stack}.yaml")


@pytest.fixture
def aws_credentials(monkeypatch):
    """Fake credentials for moto (never real ones)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """No credentials anywhere boto3 looks, so code must take its offline path."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
