"""The shipped environments adopt the log groups AWS services already made, and the pack's
verdict on them is the one the Pulumi CLI gives with the config file `obsgov policy config`
writes.

The Analyzer protocol carries no import id (AnalyzerResource and AnalyzerResourceOptions in
pulumi/pulumi proto/pulumi/analyzer.proto), so the pack learns the adopted names from its
config (adoptedLogGroups), filled from the workloads' `logGroup: adopt`. The CLI reconciles
exactly one config file per pack (pkg/resource/analyzer/config.go): the file alone must give
the gate's verdict. AWS: the groups Lambda and SageMaker create
(docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html,
docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html) and the state machine's
logging destination (docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.engine import GateOptions, run_pack
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.pack_config import load_pack_config_file
from obsgov.gate.project import load_policy_pack
from tests.conftest import ROOT

SERVICE_NAMES = "obsgov-deploy-loggroup-disallow-service-owned-names"
PREREQUISITES = "obsgov-deploy-account-require-prerequisites"


def _verdicts(graph, layers, env):
    result = run_pack(
        load_policy_pack(ROOT / "policies/deploy-readiness"),
        graph,
        layers,
        GateOptions(stack_config=env.config_map),
    )
    assert result.error is None
    return sorted((v.policy, v.level, v.resource_name, v.message) for v in result.violations)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_policy_config_file_alone_gives_the_gates_verdict_and_it_passes(
    stack, tmp_path, example_env, example_graph
):
    """Before: every shipped stack created /aws/lambda/events-enricher-<env> and both
    /aws/sagemaker/Endpoints/<endpoint> groups blindly (3 findings per stack)."""
    env = example_env(stack)
    graph = example_graph(stack, True)
    written = CliRunner().invoke(
        app, ["policy", "config", "--stack", stack, "--out-dir", str(tmp_path)]
    )
    assert written.exit_code == 0, written.output
    file = tmp_path / "deploy-readiness.json"
    cli = _verdicts(graph, [load_pack_config_file(file)], env)
    gate = _verdicts(
        graph,
        [
            EnvironmentLayer(env),
            load_pack_config_file(ROOT / f"stacks/policy-packs/{stack}/deploy-readiness.json"),
        ],
        env,
    )
    assert cli == gate
    # what remains is the prerequisites checklist, advisory; nothing mandatory
    assert {(policy, level) for policy, level, _, _ in cli} == {(PREREQUISITES, "advisory")}

    # the same file without the adoptions: the service-owned groups block the deploy
    config = json.loads(file.read_text())
    assert len(config[SERVICE_NAMES]["adoptedLogGroups"]) == 4
    config[SERVICE_NAMES]["adoptedLogGroups"] = []
    file.write_text(json.dumps(config))
    blind = _verdicts(graph, [load_pack_config_file(file)], env)
    assert sorted(
        (level, re.search(r"log group (\S+) \(", message)[1])  # type: ignore[index]
        for policy, level, _, message in blind
        if policy == SERVICE_NAMES
    ) == [
        ("mandatory", f"/aws/lambda/events-enricher-{stack}"),
        ("mandatory", f"/aws/sagemaker/Endpoints/churn-propensity-{stack}"),
        ("mandatory", f"/aws/sagemaker/Endpoints/fraud-scoring-{stack}"),
        ("mandatory", f"/aws/vendedlogs/states/feature-refresh-{stack}"),
    ]


def test_dev_keeps_the_pack_advisory(tmp_path):
    written = CliRunner().invoke(
        app, ["policy", "config", "--stack", "dev", "--out-dir", str(tmp_path)]
    )
    assert written.exit_code == 0, written.output
    config = json.loads((tmp_path / "deploy-readiness.json").read_text())
    levels = {
        name: value if isinstance(value, str) else value.get("enforcementLevel")
        for name, value in config.items()
        if name != "all"
    }
    assert set(levels.values()) == {"advisory"}, levels
