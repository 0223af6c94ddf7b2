"""Policy thresholds come from the environment (stacks/), one source for the gate and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.engine import GateOptions, run_pack
from obsgov.gate.environment_layer import EnvironmentLayer, environment_facts
from obsgov.gate.pack_config import load_pack_config_file
from obsgov.gate.project import load_policy_pack

ROOT = Path(__file__).resolve().parents[2]


def test_environment_facts_and_per_env_file_reach_the_pack(example_env, example_graph):
    env = example_env("dev")
    layers: list[Any] = [
        EnvironmentLayer(env),
        load_pack_config_file(ROOT / "stacks/policy-packs/dev/observability.json"),
    ]
    result = run_pack(
        load_policy_pack(ROOT / "policies/observability"),
        example_graph("dev", True),
        layers,
        GateOptions(stack_config=env.config_map),
    )
    assert result.error is None
    retention = result.config["obsgov-logs-loggroup-require-retention"]
    assert retention == {"enforcementLevel": "advisory", "minLogRetentionDays": 30}
    alarms = result.config["obsgov-cloudwatch-workload-require-alarms"]
    assert alarms["requiredAlarms"]["aws:lambda/function:Function"] == ["errors"]


def test_tag_schema_reaches_the_tagging_pack(example_env, example_graph):
    env = example_env("prod")
    result = run_pack(
        load_policy_pack(ROOT / "policies/tagging"),
        example_graph("prod", True),
        [EnvironmentLayer(env)],
        GateOptions(stack_config=env.config_map),
    )
    rules = result.config["obsgov-aws-resource-require-tags"]["requiredTags"]
    assert {"key": "cost-centre", "pattern": r"CC-\d{4}"} in rules
    assert result.config["obsgov-aws-resource-require-tags"]["enforcementLevel"] == "mandatory"


def test_without_a_pack_list_every_pack_under_policies_runs(inline_env, tmp_path):
    env = inline_env("dev")
    del env.stack_doc["config"]["obsgov:policyPacks"]
    env.write()
    report = tmp_path / "gate.json"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--stacks-dir",
            str(env.directory),
            "--format",
            "json",
            "--output",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    names = [p["name"] for p in json.loads(report.read_text())["packs"]]
    assert names == [
        "obsgov-deploy-readiness",
        "obsgov-model-governance",
        "obsgov-observability",
        "obsgov-security-baseline",
        "obsgov-tagging",
    ]


def test_tag_rules_reach_the_packs_under_the_keys_the_policies_read(scenario):
    """The packs read the tag schema in its YAML spelling (allowedValues), without the
    descriptions meant for people."""
    env = scenario()
    env.organization["tagSchema"]["required"][0]["description"] = "where it runs"
    facts = environment_facts(env.load())
    assert (facts["environment"], facts["organizationId"]) == ("dev", "o-abcdefghij")
    assert facts["requiredTags"][0] == {
        "key": "environment",
        "allowedValues": ["dev", "staging", "prod"],
    }
    assert facts["pipelineTags"] == [{"key": "pipeline", "pattern": "[a-z0-9][a-z0-9-]{1,62}"}]


def test_ml_tags_trusted_accounts_and_data_capture_reach_the_packs_under_their_keys(scenario):
    """The names the shipped policies read (``mlResourceTags`` in
    policies/obsgov_policies/tagging/require_ml_tags.py, ``dataCaptureMinPercent`` in
    model_governance/require_data_capture.py); ``trustedAccountIds`` is the organization's own
    accounts and every registered account, once each, sorted."""
    env = scenario()
    env.config["obsgov:modelApproval"] = {"dataCaptureMinPercent": 25}
    facts = environment_facts(env.load())
    assert facts["mlResourceTags"] == [
        {"key": "model-id", "pattern": "[a-z0-9][a-z0-9-]{1,62}"},
        {"key": "model-version", "pattern": r"\d+(\.\d+){0,2}"},
    ]
    assert facts["trustedAccountIds"] == [
        "100000000001",
        "100000000002",
        "100000000003",
        "200000000001",
        "200000000002",
    ]
    assert facts["dataCaptureMinPercent"] == 25


def test_a_stacks_packs_share_one_computation_of_the_facts(example_env, monkeypatch):
    """The layer is called once per pack (five in prod), from the packs' own threads; the
    facts (a second of CPU at 1,000 accounts) are computed once and give every pack the
    same properties."""
    import threading

    from obsgov.gate import environment_layer as layer_module
    from obsgov.gate.pack_config import PolicySchemaInfo

    computed: list[str] = []
    real = layer_module.environment_facts

    def counted(env):
        computed.append(env.stack)
        return real(env)

    monkeypatch.setattr(layer_module, "environment_facts", counted)
    layer = EnvironmentLayer(example_env("prod"))
    schema = PolicySchemaInfo(
        name="p", enforcement_level="advisory", properties={"environment": {}}
    )
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(layer([schema]))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == ["prod"]
    assert len(results) == 5
    assert all(dict(r)["p"].properties == {"environment": "prod"} for r in results)
