"""Bad input never crashes, never lies, never overwrites (issue 8's promise, case by case).

Every case runs a real command in a workspace (a copy of ``stacks/`` with ``policies/``
beside it, as the repository lays them out) after breaking one thing, and asserts:

* the exit code (2 for bad input; never 1, which would be a false verdict in CI);
* no traceback in the output;
* the message names the file and key path, or the option, the user must fix;
* no file in the workspace changed (its tree is hashed before and after).

The config breakages run against every command that loads an environment; the other cases
are specific to one command (output paths, state files, policy packs, arguments).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from obsgov.cli import app

from ..support.environments import ROOT, STACKS, compare, tree_digest

PROBE = ROOT / "tests" / "packs" / "probe"
OBSGOV = Path(sys.executable).parent / "obsgov"


# --------------------------------------------------------------------------- workspace


class Workspace:
    def __init__(self, root: Path, stack: str) -> None:
        self.root = root
        self.stack = stack
        self.other = "prod" if stack == "dev" else "dev"

    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def stack_file(self) -> Path:
        return self.root / "stacks" / f"Pulumi.{self.stack}.yaml"

    def yaml(self, name: str, edit: Callable[[dict], None]) -> None:
        path = self.path(name)
        data = yaml.safe_load(path.read_text())
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def config(self, edit: Callable[[dict], None]) -> None:
        self.yaml(f"stacks/Pulumi.{self.stack}.yaml", lambda d: edit(d["config"]))

    def registry(self, edit: Callable[[dict], None]) -> None:
        self.yaml("stacks/accounts.yaml", edit)

    def organization(self, edit: Callable[[dict], None]) -> None:
        self.yaml("stacks/organization.yaml", edit)

    def append(self, name: str, text: str) -> None:
        with self.path(name).open("a", encoding="utf-8") as handle:
            handle.write(text)

    def replace(self, name: str, old: bytes, new: bytes) -> Path:
        path = self.path(name)
        data = path.read_bytes()
        assert old in data, f"{old!r} not in {name}"
        path.write_bytes(data.replace(old, new, 1))
        return path

    def write(self, name: str, data) -> Path:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path

    def remove(self, name: str) -> Path:
        path = self.path(name)
        path.unlink()
        return path


def _workspace(tmp_path: Path, monkeypatch, stack: str) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(STACKS, root / "stacks")
    os.symlink(ROOT / "policies", root / "policies")
    monkeypatch.chdir(root)  # commands find ./stacks, messages show stacks/<file>
    return Workspace(root, stack)


def _first(kind: str) -> Callable[[dict], dict]:
    return lambda registry: next(w for w in registry["workloads"] if w["kind"] == kind)


def _alias_bomb() -> str:
    lines = ['  obsgov:l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        lines.append(f"  obsgov:l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[Workspace], object]  # what it returns is ignored
    names: tuple[str, ...]  # each must appear in the output ({stack}/{other} filled in)
    args: tuple[str, ...] = ()  # for command-specific cases
    code: int = 2
    xfail: str | None = None
    env: dict = field(default_factory=dict)


def _fifo(ws: Workspace, name: str) -> None:
    ws.remove(name)
    os.mkfifo(ws.path(name))


def _loop(ws: Workspace, name: str) -> None:
    ws.remove(name)
    os.symlink(name.rsplit("/", 1)[-1], ws.path(name))


def _folder(ws: Workspace, name: str) -> None:
    ws.remove(name)
    ws.path(name).mkdir()


STACK = "stacks/Pulumi.{stack}.yaml"
ACCOUNTS = "stacks/accounts.yaml"
ORG = "stacks/organization.yaml"
LOCK = "stacks/.accounts.yaml.lock"

#: One broken thing in the environment; every command that loads an environment must refuse it.
CONFIG_CASES = [
    Case(
        "stack-date-value",
        lambda ws: ws.append(
            f"stacks/Pulumi.{ws.stack}.yaml", "  obsgov:releaseDate: 2024-01-01\n"
        ),
        (f"{STACK}: config.obsgov:releaseDate: line", "is a date or time"),
    ),
    Case(
        "stack-binary-value",
        lambda ws: ws.append(
            f"stacks/Pulumi.{ws.stack}.yaml", "  obsgov:blob: !!binary aGVsbG8=\n"
        ),
        (f"{STACK}: config.obsgov:blob: line", "!!binary"),
    ),
    Case(
        "stack-recursive-alias",
        lambda ws: ws.append(f"stacks/Pulumi.{ws.stack}.yaml", "  obsgov:loop: &l [*l]\n"),
        (f"{STACK}: config.obsgov:loop[0]: line", "recursive alias"),
    ),
    Case(
        "stack-alias-bomb",
        lambda ws: ws.append(f"stacks/Pulumi.{ws.stack}.yaml", _alias_bomb()),
        (f"{STACK}: config.obsgov:l6: line", "expands to more than 1000000 values"),
    ),
    Case(
        "stack-integer-top-level-key",
        lambda ws: ws.append(f"stacks/Pulumi.{ws.stack}.yaml", "1: one\n"),
        (f"{STACK}: line", "has the key '1', which YAML reads as int"),
    ),
    Case(
        "stack-invalid-utf8",
        lambda ws: ws.replace(f"stacks/Pulumi.{ws.stack}.yaml", b"eu-west-1", b"eu-w\xe9st-1"),
        (f"{STACK}: is not valid UTF-8: byte 0xe9 at byte offset",),
    ),
    Case(
        "stack-empty",
        lambda ws: ws.write(f"stacks/Pulumi.{ws.stack}.yaml", ""),
        (
            f"{STACK}: config.obsgov:environment: is required",
            f"{STACK}: config.aws:region: is required",
        ),
    ),
    Case(
        "stack-is-a-list",
        lambda ws: ws.write(f"stacks/Pulumi.{ws.stack}.yaml", "- a\n"),
        (f"{STACK}: must be a mapping with a config: key",),
    ),
    Case(
        "stack-says-another-environment",
        lambda ws: ws.config(lambda c: c.update({"obsgov:environment": ws.other})),
        (f"{STACK}: config.obsgov:environment: is '{{other}}' but the stack is '{{stack}}'",),
    ),
    Case(
        "stack-top-level-environment",
        lambda ws: ws.yaml(
            f"stacks/Pulumi.{ws.stack}.yaml", lambda d: d.update({"environment": ws.other})
        ),
        (f"{STACK}: environment: imports Pulumi ESC environments",),
    ),
    Case(
        "stack-secret-where-plain-text-is-needed",
        lambda ws: ws.config(
            lambda c: c.update({"obsgov:notifications": {"emails": [{"secure": "v1:AAAA"}]}})
        ),
        (f"{STACK}: config.obsgov:notifications.emails[0]: is a secret (secure:)",),
    ),
    Case(
        "stack-registry-account-unknown",
        lambda ws: ws.config(
            lambda c: c.update(
                {"obsgov:modelApproval": {"enabled": True, "registryAccountId": "999999999999"}}
            )
        ),
        (f"{STACK}: config.obsgov:modelApproval.registryAccountId: 999999999999 is neither",),
    ),
    Case(
        "stack-registry-account-arabic-digits",
        lambda ws: ws.config(
            lambda c: c.update(
                {"obsgov:modelApproval": {"enabled": True, "registryAccountId": "١٠٠٠٠٠٠٠٠٠٠٢"}}
            )
        ),
        (f"{STACK}: config.obsgov:modelApproval.registryAccountId: must be 12 ASCII digits",),
    ),
    Case(
        "stack-infinite-band-width",
        lambda ws: ws.config(
            lambda c: c["obsgov:alarmDefaults"].update({"anomalyBandWidth": float("inf")})
        ),
        (f"{STACK}: config.obsgov:alarmDefaults.anomalyBandWidth: line", "is not a finite number"),
    ),
    Case(
        "stack-unknown-key-typo",
        lambda ws: ws.config(lambda c: c.update({"obsgov:logRetentionDay": 30})),
        (
            f"{STACK}: config.obsgov:logRetentionDay: is not a known key (did you mean "
            "logRetentionDays?)",
        ),
    ),
    # ---- values AWS would refuse (limits from botocore's models; tests/config/test_aws_values)
    Case(
        "stack-region-aws-does-not-have",
        lambda ws: ws.config(lambda c: c.update({"aws:region": "eu-fake-1"})),
        (f"{STACK}: config.aws:region: 'eu-fake-1' is not an AWS Region botocore knows",),
    ),
    Case(
        "stack-even-dedicated-master-count",
        lambda ws: ws.config(lambda c: c["obsgov:openSearch"].update(dedicatedMasterCount=4)),
        (f"{STACK}: config.obsgov:openSearch.dedicatedMasterCount: must be 0 (none), 3 or 5",),
    ),
    Case(
        "workload-variant-name-aws-refuses",
        lambda ws: ws.registry(lambda r: _first("ml-endpoint")(r).update(variantName="x y" * 40)),
        (
            f"{ACCOUNTS}: workloads[",
            "].variantName: must be 0-63 characters for SageMaker VariantName",
        ),
    ),
    Case(
        "registry-invalid-utf8",
        lambda ws: ws.replace(ACCOUNTS, b"ml-platform", b"ml-plat\xe9form"),
        (f"{ACCOUNTS}: is not valid UTF-8: byte 0xe9",),
    ),
    Case(
        "registry-duplicate-key",
        lambda ws: ws.replace(
            ACCOUNTS,
            b"    name: ml-serving-dev\n",
            b"    name: ml-serving-dev\n    name: ml-serving-two\n",
        ),
        (f"{ACCOUNTS}: accounts[0].name: line", "duplicate key 'name'"),
    ),
    Case(
        "registry-boolean-top-level-key",
        lambda ws: ws.append(ACCOUNTS, "true: x\n"),
        (f"{ACCOUNTS}: line", "has the key 'true', which YAML reads as bool"),
    ),
    Case("registry-missing", lambda ws: ws.remove(ACCOUNTS), (f"{ACCOUNTS}: file not found",)),
    Case(
        "registry-is-a-folder",
        lambda ws: _folder(ws, ACCOUNTS),
        (f"{ACCOUNTS}: is a folder, expected a file",),
    ),
    Case(
        "registry-is-a-fifo",
        lambda ws: _fifo(ws, ACCOUNTS),
        (f"{ACCOUNTS}: is not a regular file",),
    ),
    Case(
        "registry-accounts-not-a-list",
        lambda ws: ws.write(ACCOUNTS, "accounts: 5\n"),
        (f"{ACCOUNTS}: accounts: must be a list",),
    ),
    Case(
        "account-id-arabic-digits",
        lambda ws: ws.registry(lambda r: r["accounts"][0].update(id="٢٠٠٠٠٠٠٠٠٠٠١")),
        (f"{ACCOUNTS}: accounts[0].id: must be 12 ASCII digits (0-9)",),
    ),
    Case(
        "account-id-unquoted",
        lambda ws: ws.registry(lambda r: r["accounts"][0].update(id=200000000001)),
        (f"{ACCOUNTS}: accounts[0].id: must be a string (quote it",),
    ),
    Case(
        "account-tag-value-too-long",
        lambda ws: ws.registry(lambda r: r["accounts"][0]["tags"].update(team="x" * 300)),
        (f"{ACCOUNTS}: accounts[0].tags.team: tag values must be at most 256 characters",),
    ),
    Case(
        "account-tag-value-bad-character",
        lambda ws: ws.registry(lambda r: r["accounts"][0]["tags"].update(team="ml;ops")),
        (f"{ACCOUNTS}: accounts[0].tags.team: tag values may hold only",),
    ),
    Case(
        "account-tag-key-reserved",
        lambda ws: ws.registry(lambda r: r["accounts"][0]["tags"].update({"aws:team": "x"})),
        (f"{ACCOUNTS}: accounts[0].tags.aws:team: tag keys must not start with aws:",),
    ),
    Case(
        "account-tag-redefines-environment",
        lambda ws: ws.registry(lambda r: r["accounts"][0]["tags"].update(environment="x")),
        (f"{ACCOUNTS}: accounts[0].tags.environment: redefines the derived tag",),
    ),
    Case(
        "account-unknown-organizational-unit",
        lambda ws: ws.registry(lambda r: r["accounts"][0].update(organizationalUnit="x")),
        (f"{ACCOUNTS}: accounts[0].organizationalUnit: unknown organizational unit 'x'",),
    ),
    Case(
        "account-duplicate-id",
        lambda ws: ws.registry(lambda r: r["accounts"][1].update(id=r["accounts"][0]["id"])),
        (f"{ACCOUNTS}: accounts[1].id: duplicate id",),
    ),
    Case(
        "workload-duplicate",
        lambda ws: ws.registry(lambda r: r["workloads"].append(dict(r["workloads"][0]))),
        (f"{ACCOUNTS}: workloads[", ".name: duplicate"),
    ),
    Case(
        "workload-model-id-breaks-tag-schema",
        lambda ws: ws.registry(lambda r: _first("ml-endpoint")(r).update(modelId="Fraud_X")),
        (f"{ACCOUNTS}: workloads[", ".modelId: 'Fraud_X' is not valid for tag 'model-id'"),
    ),
    Case(
        "workload-infinite-slo",
        lambda ws: ws.registry(
            lambda r: _first("ml-endpoint")(r)["slo"].update(latencyP99Ms=float("inf"))
        ),
        (f"{ACCOUNTS}: workloads[", ".slo.latencyP99Ms: line", "is not a finite number"),
    ),
    Case(
        "workload-kpi-namespace-emoji",
        lambda ws: ws.registry(lambda r: _first("business-kpi")(r).update(namespace="Shop 🛒")),
        (f"{ACCOUNTS}: workloads[", ".namespace: a CloudWatch namespace must be printable ASCII"),
    ),
    Case(
        "workload-kpi-empty-dimension-name",
        lambda ws: ws.registry(lambda r: _first("business-kpi")(r).update(dimensions={"": "x"})),
        (f"{ACCOUNTS}: workloads[", ".dimensions: '': a dimension name must hold"),
    ),
    Case("organization-symlink-loop", lambda ws: _loop(ws, ORG), (f"{ORG}: is a symlink loop",)),
    Case(
        "organization-duplicate-key",
        lambda ws: ws.replace(
            ORG,
            b"  platformCostCentre: CC-1000\n",
            b"  platformCostCentre: CC-1000\n  platformCostCentre: CC-1001\n",
        ),
        (f"{ORG}: organization.platformCostCentre: line", "duplicate key"),
    ),
    Case(
        "organization-syntax-error",
        lambda ws: ws.append(ORG, "  - [unclosed\n"),
        (f"{ORG}: line", "invalid YAML"),
    ),
    Case(
        "organization-cost-centre-aws-refuses",
        lambda ws: ws.organization(
            lambda o: o["organization"].update(platformCostCentre="CC-1000 ✓")
        ),
        (f"{ORG}: organization.platformCostCentre: tag values may hold only",),
    ),
    Case(
        "organization-tag-key-too-long",
        lambda ws: ws.organization(lambda o: o["tagSchema"]["pipelines"][0].update(key="k" * 129)),
        (f"{ORG}: tagSchema.pipelines[0].key: tag keys must be at most 128 characters",),
    ),
]

#: How each environment-loading command is run (the stack is the one the edits target).
COMMANDS = {
    "validate": ("dev", ("validate", "--stack", "dev")),
    "synth": ("dev", ("synth", "--stack", "dev", "--json", "out/graph.json")),
    "preview": (
        "dev",
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--format",
            "json",
            "--output",
            "out/report.json",
        ),
    ),
    "report": ("dev", ("report", "--stack", "dev", "--format", "json", "--out", "out/r.json")),
    "policy-config": (
        "dev",
        (
            "policy",
            "config",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--output",
            "out/probe.json",
        ),
    ),
    "registry-snapshot": (
        "prod",
        (
            "registry",
            "snapshot",
            "--env",
            "prod",
            "--output",
            "out/snapshot.json",
            "--no-assume-role",
        ),
    ),
}


# --------------------------------------------------------------------------- state files


def _state(stack: str = "dev", **resource_overrides) -> dict:
    topic = {
        "urn": f"urn:pulumi:{stack}::obsgov::aws:sns/topic:Topic::t",
        "custom": True,
        "type": "aws:sns/topic:Topic",
        "id": "t",
        "inputs": {},
        "outputs": {},
    }
    topic.update(resource_overrides)
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": f"urn:pulumi:{stack}::obsgov::pulumi:pulumi:Stack::obsgov-{stack}",
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                },
                topic,
            ]
        },
    }


def _state_file(text) -> Callable[[Workspace], object]:
    return lambda ws: ws.write("state.json", text)


ANALYZE = (
    "policy",
    "analyze",
    "--file",
    "state.json",
    "--stack",
    "dev",
    "--policy-pack",
    str(PROBE),
)

COMMAND_CASES = [
    # ---- state files for `policy analyze`
    Case(
        "state-invalid-json", _state_file('{"version": 3,'), ("state.json", "invalid JSON"), ANALYZE
    ),
    Case(
        "state-invalid-utf8",
        _state_file(b'{"version": 3, "x": "\xff"}'),
        ("state.json: is not valid UTF-8",),
        ANALYZE,
    ),
    Case(
        "state-duplicate-key",
        _state_file('{"version": 3, "version": 4}'),
        ("state.json", "duplicate key 'version'"),
        ANALYZE,
    ),
    Case("state-nan", _state_file('{"version": NaN}'), ("state.json", "NaN"), ANALYZE),
    Case("state-empty", _state_file(""), ("state.json",), ANALYZE),
    Case(
        "state-symlink-loop",
        lambda ws: os.symlink("state.json", ws.path("state.json")),
        ("state.json", "symlink loop"),
        ANALYZE,
    ),
    Case("state-missing", lambda ws: None, ("state.json", "not found"), ANALYZE),
    Case("state-is-a-list", _state_file("[]"), ("state.json",), ANALYZE),
    Case(
        "state-deeply-nested",
        _state_file(json.dumps(_state(inputs={"a": json.loads("[" * 500 + "]" * 500)}))),
        ("state.json", "nested"),
        ANALYZE,
    ),
    Case(
        "state-unsupported-version",
        _state_file(json.dumps({**_state(), "version": 0})),
        ("state.json: version: this stack's deployment is too old (version 0",),
        ANALYZE,
    ),
    Case(
        "state-unsupported-feature",
        _state_file(json.dumps({**_state(), "version": 4, "features": ["warp"]})),
        ("state.json: features: this stack's deployment needs support for the following",),
        ANALYZE,
    ),
    Case(
        "state-duplicate-live-urn",
        _state_file(
            json.dumps(
                {
                    "version": 3,
                    "deployment": {
                        "resources": [
                            *_state()["deployment"]["resources"],
                            _state()["deployment"]["resources"][1],
                        ]
                    },
                }
            )
        ),
        ("state.json: deployment.resources[2].urn: duplicate resource",),
        ANALYZE,
    ),
    Case(
        "state-several-stacks-with-stack-option",
        _state_file(
            json.dumps(
                {
                    "version": 3,
                    "deployment": {
                        "resources": [
                            *_state()["deployment"]["resources"],
                            *_state("prod")["deployment"]["resources"],
                        ]
                    },
                }
            )
        ),
        ("--stack: state.json holds the resources of several stacks (dev/obsgov, prod/obsgov)",),
        ANALYZE,
    ),
    Case(
        "state-secret-without-passphrase",
        _state_file(
            json.dumps(
                {
                    **_state(
                        inputs={
                            "policy": {
                                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                "ciphertext": "v1:AAAAAAAAAAAAAAAA:AAAA",
                            }
                        }
                    ),
                }
            )
        ),
        ("state.json: deployment.secrets_providers: holds 1 encrypted secret value obsgov",),
        ANALYZE,
    ),
    Case(
        "state-nested-100k-deep",
        _state_file('{"version": 3, "deployment": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("state.json: is nested more than 200 levels deep",),
        ANALYZE,
    ),
    Case(
        "state-type-is-a-number",
        _state_file(json.dumps(_state(type=5))),
        ("state.json", "type"),
        ANALYZE,
    ),
    Case(
        "state-dependencies-not-a-list",
        _state_file(json.dumps(_state(dependencies=7))),
        ("state.json", "dependencies"),
        ANALYZE,
    ),
    Case(
        "state-inputs-a-list",
        _state_file(json.dumps(_state(inputs=[1, 2]))),
        ("state.json", "inputs"),
        ANALYZE,
    ),
    Case(
        "state-malformed-urn",
        _state_file(json.dumps(_state(urn="not-a-urn"))),
        ("state.json", "urn"),
        ANALYZE,
    ),
    Case(
        "state-of-another-stack",
        _state_file(json.dumps(_state("prod"))),
        ("state.json", "--stack"),
        ANALYZE,
    ),
    Case(
        "analyze-output-is-the-state-file",
        _state_file(json.dumps(_state())),
        ("--output", "inputs"),
        (*ANALYZE, "--format", "json", "--output", "state.json"),
    ),
    Case(
        "analyze-output-is-the-registry",
        _state_file(json.dumps(_state())),
        ("--output", "inputs"),
        (*ANALYZE, "--format", "json", "--output", ACCOUNTS),
    ),
    # ---- output paths
    Case(
        "synth-json-is-an-input",
        lambda ws: None,
        ("--output", "is one of this command's inputs (stacks/accounts.yaml)"),
        ("synth", "--stack", "dev", "--json", ACCOUNTS),
    ),
    Case(
        "synth-json-through-symlink-to-an-input",
        lambda ws: os.symlink("stacks/Pulumi.dev.yaml", ws.path("graph.json")),
        ("--output", "is one of this command's inputs (stacks/Pulumi.dev.yaml)"),
        ("synth", "--stack", "dev", "--json", "graph.json"),
    ),
    Case(
        "synth-json-parent-is-a-file",
        lambda ws: ws.write("file", ""),
        ("--output: file/graph.json: file is not a folder",),
        ("synth", "--stack", "dev", "--json", "file/graph.json"),
    ),
    Case(
        "synth-json-folder-missing",
        lambda ws: None,
        ("--output: nowhere/graph.json: folder nowhere does not exist",),
        ("synth", "--stack", "dev", "--json", "nowhere/graph.json"),
    ),
    Case(
        "synth-json-is-a-folder",
        lambda ws: ws.path("graphdir").mkdir(),
        ("--output", "graphdir"),
        ("synth", "--stack", "dev", "--json", "graphdir"),
    ),
    Case(
        "synth-json-symlink-loop",
        lambda ws: os.symlink("loop.json", ws.path("loop.json")),
        ("--output: loop.json", "symlink loop"),
        ("synth", "--stack", "dev", "--json", "loop.json"),
    ),
    Case(
        "preview-output-is-an-input",
        lambda ws: None,
        ("--output", "inputs"),
        ("preview", "--stack", "dev", "--format", "json", "--output", ORG),
    ),
    Case(
        "preview-output-folder-missing",
        lambda ws: None,
        ("--output", "does not exist"),
        ("preview", "--stack", "dev", "--format", "sarif", "--output", "no/where.sarif"),
    ),
    Case(
        "preview-format-needs-output",
        lambda ws: None,
        ("--format sarif needs --output",),
        ("preview", "--stack", "dev", "--format", "sarif"),
    ),
    Case(
        "preview-unknown-format",
        lambda ws: None,
        ("--format", "'xml' is not one of"),
        ("preview", "--stack", "dev", "--format", "xml", "--output", "r.xml"),
    ),
    Case(
        "report-unknown-format",
        lambda ws: None,
        ("--format", "'pdf' is not one of html, json, md"),
        ("report", "--stack", "dev", "--format", "pdf"),
    ),
    Case(
        "report-html-needs-out",
        lambda ws: None,
        ("--format html needs --output FILE",),
        ("report", "--stack", "dev"),
    ),
    Case(
        "report-out-is-an-input",
        lambda ws: None,
        ("--output", "inputs"),
        ("report", "--stack", "dev", "--out", ORG),
    ),
    Case(
        "report-unknown-cost-assumption",
        lambda ws: ws.config(lambda c: c.update({"obsgov:costAssumptions": {"logGb": 3}})),
        (f"{STACK}: config.obsgov:costAssumptions.logGb: is not a known assumption",),
        ("report", "--stack", "dev", "--format", "md"),
    ),
    Case(
        "report-negative-cost-assumption",
        lambda ws: ws.config(lambda c: c.update({"obsgov:costAssumptions": {"bucketGb": -1}})),
        (f"{STACK}: config.obsgov:costAssumptions.bucketGb:", "greater than or equal to 0"),
        ("report", "--stack", "dev", "--format", "md"),
    ),
    Case(
        "report-assumptions-file-unknown-key",
        lambda ws: ws.write("a.yaml", "bucketGB: 4\n"),
        ("a.yaml: bucketGB: is not a known assumption",),
        ("report", "--stack", "dev", "--format", "md", "--assumptions", "a.yaml"),
    ),
    Case(
        "report-prices-file-missing",
        lambda ws: None,
        ("nowhere.yaml: file not found",),
        ("report", "--stack", "dev", "--format", "md", "--prices", "nowhere.yaml"),
    ),
    Case(
        "report-against-is-not-a-report",
        lambda ws: ws.write("old.json", json.dumps({"cost": {"byAccount": {"1": "x"}}})),
        (
            "old.json: cost.byAccount: must map account ids to monthly USD numbers",
            "old.json: cost.monthlyUsd: must be a number",
            "old.json: controls: must be a list of {control, status} objects",
        ),
        ("report", "--stack", "dev", "--format", "md", "--against", "old.json"),
    ),
    Case(
        "report-live-prices-unreachable",
        lambda ws: None,
        ("error: Could not connect to the endpoint URL",),
        ("report", "--stack", "dev", "--format", "md", "--prices", "live"),
        code=4,
        env={
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    ),
    Case(
        "report-against-invalid-json",
        lambda ws: ws.write("old.json", "{"),
        ("old.json",),
        ("report", "--stack", "dev", "--format", "md", "--against", "old.json"),
    ),
    Case(
        "policy-config-output-is-an-input",
        lambda ws: None,
        ("--output", "inputs"),
        (
            "policy",
            "config",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--output",
            "stacks/Pulumi.dev.yaml",
        ),
    ),
    Case(
        "snapshot-output-is-an-input",
        lambda ws: None,
        ("--output", "inputs"),
        ("registry", "snapshot", "--env", "prod", "--output", ACCOUNTS),
    ),
    Case(
        "policy-config-out-dir-cannot-be-created",
        lambda ws: None,
        ("--out-dir: /proc/obsgov/sub cannot be written in /proc",),
        ("policy", "config", "--stack", "dev", "--out-dir", "/proc/obsgov/sub"),
    ),
    Case(
        "policy-bundle-out-cannot-be-created",
        lambda ws: None,
        ("--out-dir: /proc/obsgov cannot be written in /proc",),
        ("policy", "bundle", "--out", "/proc/obsgov"),
    ),
    Case(
        "policy-config-out-dir-is-a-file",
        lambda ws: ws.write("file", ""),
        ("'--out-dir'", "is a file"),
        ("policy", "config", "--stack", "dev", "--out-dir", "file"),
    ),
    Case(
        "pack-timeout-infinite",
        lambda ws: None,
        ("'--pack-timeout': inf is not a number of seconds",),
        ("preview", "--stack", "dev", "--pack-timeout", "inf"),
    ),
    Case(
        "pack-start-timeout-infinite",
        lambda ws: None,
        ("'--pack-start-timeout': inf is not a number of seconds",),
        ("policy", "config", "--stack", "dev", "--out-dir", "out", "--pack-start-timeout", "inf"),
    ),
    Case(
        "drift-jsonl-line-nested-100k-deep",
        lambda ws: ws.write("deep.jsonl", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n"),
        ("deep.jsonl",),
        ("drift", "baseline", "--data", "deep.jsonl", "--out", "out/baseline.json"),
    ),
    Case(
        "registry-bom-on-edit",
        lambda ws: (
            ws.write(LOCK, ""),  # an edit takes the registry's lock first; it stays
            ws.write(ACCOUNTS, b"\xef\xbb\xbf" + ws.path(ACCOUNTS).read_bytes()),
            ws.write(
                "kpi.yaml",
                "kind: business-kpi\nname: orders\naccount: analytics-dev\n"
                "namespace: Shop\nmetricName: Orders\n",
            ),
        ),
        (f"{ACCOUNTS}: starts with a byte-order mark (U+FEFF), which obsgov cannot keep",),
        ("workloads", "add", "kpi.yaml", "--env", "dev"),
    ),
    Case(
        "registry-alias-of-a-removed-entry",
        lambda ws: (
            ws.write(LOCK, ""),
            ws.replace(
                ACCOUNTS,
                b"    modelQuality:\n      metric: AUC\n      threshold: 0.85\n",
                b"    modelQuality: &quality\n      metric: AUC\n      threshold: 0.85\n",
            ),
            ws.replace(
                ACCOUNTS,
                b"    modelQuality:\n      metric: AUC\n      threshold: 0.85\n",
                b"    modelQuality: *quality\n",
            ),
        ),
        ("the file repeats values through YAML anchors and aliases (&quality (line",),
        ("workloads", "remove", "fraud-scoring-dev", "--env", "dev"),
    ),
    # ---- policy packs and their config
    Case(
        "pack-folder-missing",
        lambda ws: None,
        ("--policy-pack", "is not a folder"),
        ("preview", "--stack", "dev", "--policy-pack", "nowhere"),
    ),
    Case(
        "pack-without-manifest",
        lambda ws: ws.path("pack").mkdir(),
        ("--policy-pack", "has no PulumiPolicy.yaml"),
        ("preview", "--stack", "dev", "--policy-pack", "pack"),
    ),
    Case(
        "pack-manifest-is-a-folder",
        lambda ws: ws.path("pack/PulumiPolicy.yaml").mkdir(parents=True),
        ("PulumiPolicy.yaml",),
        ("preview", "--stack", "dev", "--policy-pack", "pack"),
    ),
    Case(
        "pack-manifest-options-a-list",
        lambda ws: ws.write("pack/PulumiPolicy.yaml", "runtime:\n  name: python\n  options: [a]\n"),
        ("PulumiPolicy.yaml", "runtime.options"),
        ("preview", "--stack", "dev", "--policy-pack", "pack"),
    ),
    Case(
        "pack-manifest-duplicate-key",
        lambda ws: ws.write("pack/PulumiPolicy.yaml", "runtime: python\nruntime: nodejs\n"),
        ("PulumiPolicy.yaml", "duplicate key 'runtime'"),
        ("preview", "--stack", "dev", "--policy-pack", "pack"),
    ),
    Case(
        "pack-given-twice",
        lambda ws: None,
        ("--policy-pack",),
        ("preview", "--stack", "dev", "--policy-pack", str(PROBE), "--policy-pack", str(PROBE)),
    ),
    Case(
        "pack-name-from-two-folders",
        lambda ws: shutil.copytree(PROBE, ws.path("copy-of-probe")),
        (
            "--policy-pack:",
            "copy-of-probe are both the policy pack 'probe'",
        ),
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--policy-pack",
            "copy-of-probe",
        ),
    ),
    Case(
        "pack-config-count-mismatch",
        lambda ws: ws.write("c.json", "{}"),
        ("--policy-pack-config", "one --policy-pack-config per --policy-pack"),
        ("preview", "--stack", "dev", "--policy-pack-config", "c.json"),
    ),
    Case(
        "pack-config-invalid-json",
        lambda ws: ws.write("c.json", "{"),
        ("c.json", "invalid JSON"),
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--policy-pack-config",
            "c.json",
        ),
    ),
    Case(
        "pack-config-duplicate-key",
        lambda ws: ws.write("c.json", '{"all": "advisory", "all": "mandatory"}'),
        ("c.json", "duplicate key 'all'"),
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--policy-pack-config",
            "c.json",
        ),
    ),
    Case(
        "pack-config-invalid-utf8",
        lambda ws: ws.write("c.json", b'{"all": "\xff"}'),
        ("c.json: is not valid UTF-8",),
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--policy-pack-config",
            "c.json",
        ),
    ),
    Case(
        "pack-config-missing",
        lambda ws: None,
        ("c.json",),
        (
            "preview",
            "--stack",
            "dev",
            "--policy-pack",
            str(PROBE),
            "--policy-pack-config",
            "c.json",
        ),
    ),
    # ---- arguments and environment
    Case("missing-stack-option", lambda ws: None, ("--stack",), ("validate",)),
    Case(
        "unknown-stack",
        lambda ws: None,
        ("--stack: no stack 'qa'", "available: dev, org, prod, staging"),
        ("validate", "--stack", "qa"),
    ),
    Case(
        "stack-name-is-a-path",
        lambda ws: None,
        ("--stack: '../dev' is not a stack name",),
        ("synth", "--stack", "../dev"),
    ),
    Case(
        "snapshot-unknown-env-names-env",
        lambda ws: None,
        ("--stack: no stack 'qa'",),
        ("registry", "snapshot", "--env", "qa"),
    ),
    Case(
        "stacks-dir-is-a-file",
        lambda ws: ws.write("notdir", ""),
        ("--stacks-dir",),
        ("validate", "--stack", "dev", "--stacks-dir", "notdir"),
    ),
    Case(
        "pack-timeout-zero",
        lambda ws: None,
        ("--pack-timeout",),
        ("preview", "--stack", "dev", "--pack-timeout", "0"),
    ),
    Case(
        "unknown-option", lambda ws: None, ("--colour",), ("validate", "--stack", "dev", "--colour")
    ),
    Case(
        "snapshot-malformed-endpoint-url",
        lambda ws: None,
        ("environment variable AWS_ENDPOINT_URL: 'http//localhost' is not an endpoint URL",),
        ("registry", "snapshot", "--env", "prod", "--output", "s.json", "--no-assume-role"),
        env={
            "AWS_ENDPOINT_URL": "http//localhost",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
        },
    ),
    Case(
        "inventory-malformed",
        lambda ws: ws.write(
            "stacks/physical-names.json", '{"formatVersion": 1, "stacks": {"dev": [["a"]]}}'
        ),
        ("stacks/physical-names.json: stacks.dev: expected a list of 6-string claims",),
        ("policy", "config", "--stack", "dev", "--out-dir", "out"),
    ),
    Case(
        "snapshot-environment-without-registry",
        lambda ws: None,
        ("stacks/Pulumi.dev.yaml: config.obsgov:modelApproval.registryAccountId: is not set",),
        ("registry", "snapshot", "--env", "dev", "--output", "s.json"),
    ),
]


def _params():
    for case in CONFIG_CASES:
        for command, (stack, args) in COMMANDS.items():
            yield pytest.param(case, stack, args, id=f"{command}:{case.id}", marks=_marks(case))
    for case in COMMAND_CASES:
        yield pytest.param(
            case, "dev", case.args, id=f"{case.args[0]}:{case.id}", marks=_marks(case)
        )


def _marks(case: Case):
    return [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []


def _render(text: str, ws: Workspace) -> str:
    return text.replace("{stack}", ws.stack).replace("{other}", ws.other)


@pytest.mark.parametrize(("case", "stack", "args"), list(_params()))
def test_bad_input(case: Case, stack: str, args: tuple[str, ...], tmp_path, monkeypatch):
    ws = _workspace(tmp_path, monkeypatch, stack)
    ws.path("out").mkdir()
    case.edit(ws)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    before = tree_digest(ws.root)
    started = time.perf_counter()
    result = CliRunner().invoke(app, list(args))
    elapsed = time.perf_counter() - started
    output = result.output
    assert result.exit_code == case.code, output
    assert "Traceback" not in output
    assert not isinstance(result.exception, RecursionError)
    for name in case.names:
        assert _render(name, ws) in output, output
    assert not compare(before, tree_digest(ws.root)), "a refused command changed files"
    assert elapsed < 30, f"{case.id} took {elapsed:.1f}s"


def test_there_are_at_least_80_cases_across_all_commands():
    params = list(_params())
    assert len(params) >= 80
    commands = {p.id.split(":")[0] for p in params}
    assert {
        "validate",
        "synth",
        "preview",
        "policy",
        "policy-config",
        "registry",
        "registry-snapshot",
    } <= commands


# --------------------------------------------------------------------------- real processes


SUBPROCESS_CASES = [
    (
        "stack-alias-bomb",
        ("validate", "--stack", "dev"),
        "stacks/Pulumi.dev.yaml: config.obsgov:l6: line",
    ),
    (
        "organization-symlink-loop",
        ("synth", "--stack", "dev"),
        "stacks/organization.yaml: is a symlink loop",
    ),
    (
        "stack-says-another-environment",
        ("validate", "--stack", "dev"),
        "stacks/Pulumi.dev.yaml: config.obsgov:environment: is 'prod' but the stack is 'dev'",
    ),
    (
        "registry-invalid-utf8",
        ("preview", "--stack", "dev"),
        "stacks/accounts.yaml: is not valid UTF-8: byte 0xe9",
    ),
]


@pytest.mark.parametrize(
    ("case_id", "args", "expected"), SUBPROCESS_CASES, ids=[c[0] for c in SUBPROCESS_CASES]
)
def test_bad_input_in_a_real_process(case_id, args, expected, tmp_path, monkeypatch):
    """The console script itself: stderr carries the message, no traceback, exit 2."""
    ws = _workspace(tmp_path, monkeypatch, "dev")
    next(c for c in CONFIG_CASES if c.id == case_id).edit(ws)
    before = tree_digest(ws.root)
    done = subprocess.run(
        [str(OBSGOV), *args], cwd=ws.root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not compare(before, tree_digest(ws.root))


# --------------------------------------------------------------------------- wrong writes

# Each output path names a file the project reads on its next run; obsgov must refuse it
# (exit 2, naming the option) and leave every file of the repository as it was. The commands
# run from a copy of the repository, so that obsgov's own project is the copy and a command
# that does write lands in the copy, never in the checkout under test.
TEAM = ROOT / "tests" / "fixtures" / "team_projects" / "checkout-api"
WRONG_WRITES = [
    (
        "preview-json-over-a-registry-snapshot",
        ("preview", "--stack", "prod", "--policy-pack", "policies/tagging", "--format", "json"),
        ("--output", "stacks/registry-snapshot.prod.json"),
    ),
    ("synth-json-over-the-program", ("synth", "--stack", "dev"), ("--output", "__main__.py")),
    ("synth-json-over-the-project-file", ("synth", "--stack", "dev"), ("--output", "Pulumi.yaml")),
    (
        "report-over-the-shipped-price-table",
        ("report", "--stack", "dev", "--format", "json"),
        ("--output", "obsgov/environment_report/prices.yaml"),
    ),
    (
        "report-over-a-component",
        ("report", "--stack", "dev", "--format", "md"),
        ("--output", "components/keys.py"),
    ),
    (
        "policy-config-over-a-pack-manifest",
        ("policy", "config", "--stack", "dev", "--policy-pack", "policies/tagging"),
        ("--output", "policies/tagging/PulumiPolicy.yaml"),
    ),
    (
        "policy-config-over-the-environment-pack-configs",
        ("policy", "config", "--stack", "prod"),
        ("--out-dir", "stacks/policy-packs/prod"),
    ),
    ("policy-bundle-over-the-packs", ("policy", "bundle"), ("--out-dir", "policies")),
    (
        "snapshot-over-another-stack-file",
        ("registry", "snapshot", "--env", "prod", "--no-assume-role"),
        ("--output", "stacks/Pulumi.dev.yaml"),
    ),
    (
        "snapshot-over-another-environment-snapshot",
        ("registry", "snapshot", "--env", "prod", "--no-assume-role"),
        ("--output", "stacks/registry-snapshot.staging.json"),
    ),
    (
        "team-preview-over-the-team-program",
        ("preview", "--project", "team", "--stack", "prod", "--policy-pack", "policies/tagging"),
        ("--output", "team/__main__.py"),
    ),
    (
        "team-synth-over-a-team-module",
        ("synth", "--project", "team", "--stack", "prod"),
        ("--output", "team/hosts.py"),
    ),
    (
        "drift-baseline-over-the-organization-file",
        ("drift", "baseline", "--data", "team/network-prod.json"),
        ("--output", "stacks/organization.yaml"),
    ),
]


@pytest.fixture(scope="module")
def repository_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("repository")
    for name in ("__main__.py", "Pulumi.yaml", "pyproject.toml", "requirements.txt"):
        shutil.copy2(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("obsgov", "components", "policies", "stacks"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copytree(TEAM, copy / "team", ignore=ignore)
    return copy


@pytest.mark.parametrize(
    ("case_id", "args", "output"), WRONG_WRITES, ids=[case[0] for case in WRONG_WRITES]
)
def test_no_output_replaces_a_file_the_project_reads(case_id, args, output, repository_copy):
    option, path = output
    before = tree_digest(repository_copy)
    done = subprocess.run(
        [sys.executable, "-m", "obsgov.cli", *args, option, path],
        cwd=repository_copy,
        env={**os.environ, "PYTHONPATH": str(repository_copy)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr + done.stdout
    assert f"{option}: {path} is in " in done.stderr, done.stderr
    assert "which the project reads" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not compare(before, tree_digest(repository_copy)), "a refused command wrote"


def test_the_environment_snapshot_is_the_one_stack_file_a_snapshot_may_replace(
    repository_copy,
):
    """``registry snapshot`` exists to regenerate the environment's snapshot: its own file,
    named by the stack's snapshotFile, passes the output check (it then needs AWS)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "obsgov.cli",
            "registry",
            "snapshot",
            "--env",
            "prod",
            "--no-assume-role",
            "--output",
            "stacks/registry-snapshot.prod.json",
        ],
        cwd=repository_copy,
        env={
            **os.environ,
            "PYTHONPATH": str(repository_copy),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_MAX_ATTEMPTS": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr  # past the check, refused by the (absent) AWS
    assert "which the project reads" not in done.stderr


def test_a_text_report_interrupted_while_rendering_keeps_the_previous_one(tmp_path, monkeypatch):
    """``--format text --output`` is written whole or not at all: a run that fails while
    rendering the file leaves the previous report as it was (it used to open the file for
    writing first, leaving half a report)."""
    import obsgov.reports

    ws = _workspace(tmp_path, monkeypatch, "dev")
    report = ws.write("report.txt", "the previous report\n")
    real = obsgov.reports.render_text
    calls = []

    def render_then_fail(run, console, *args, **kwargs):
        calls.append(console)
        real(run, console, *args, **kwargs)
        if len(calls) == 2:  # the file's copy: fail after writing the whole block to it
            raise RuntimeError("interrupted while rendering")

    monkeypatch.setattr(obsgov.reports, "render_text", render_then_fail)
    result = CliRunner().invoke(
        app,
        ["preview", "--stack", "dev", "--policy-pack", str(PROBE), "--output", "report.txt"],
    )
    assert result.exit_code == 3, result.output
    assert len(calls) == 2
    assert report.read_text() == "the previous report\n"
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(".report.txt")] == []
