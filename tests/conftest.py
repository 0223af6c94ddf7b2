"""Shared fixtures: the shipped example environments, inline environments built from them, and
their synthesized resource graphs."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from obsgov.config.loader import EnvironmentConfig, load_environment
from obsgov.graph import ResourceGraph
from obsgov.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
EXAMPLE_STACKS = ("dev", "staging", "prod")


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@dataclass
class InlineEnvironment:
    """A copy of a shipped environment in a temp folder, editable as plain dicts."""

    directory: Path
    stack: str
    stack_doc: dict
    organization: dict
    registry: dict

    @property
    def stack_file(self) -> Path:
        return self.directory / f"Pulumi.{self.stack}.yaml"

    def write(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.stack_file.write_text(yaml.safe_dump(self.stack_doc, sort_keys=False))
        (self.directory / "organization.yaml").write_text(
            yaml.safe_dump(self.organization, sort_keys=False))
        (self.directory / "accounts.yaml").write_text(yaml.safe_dump(self.registry, sort_keys=False))
        return self.stack_file

    def load(self) -> EnvironmentConfig:
        self.write()
        return load_environment(self.stack, self.stack_file)

    def synthesize(self, preview: bool = True) -> ResourceGraph:
        return synthesize(self.load(), preview=preview)


@pytest.fixture
def inline_env(tmp_path: Path) -> Callable[..., InlineEnvironment]:
    def make(stack: str = "dev") -> InlineEnvironment:
        return InlineEnvironment(
            directory=tmp_path / "stacks",
            stack=stack,
            stack_doc=copy.deepcopy(read(STACKS / f"Pulumi.{stack}.yaml")),
            organization=copy.deepcopy(read(STACKS / "organization.yaml")),
            registry=copy.deepcopy(read(STACKS / "accounts.yaml")),
        )

    return make


@functools.lru_cache(maxsize=None)
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
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """No credentials anywhere boto3 looks, so code must take its offline path."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
