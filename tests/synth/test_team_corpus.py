"""The corpus of small team programs (tests/fixtures/team_corpus/), one per way issue 34 found
`obsgov preview --project` judging a stack differently from `pulumi preview --policy-pack`.
Each test names the engine source it pins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.graph import UNKNOWN, ResourceGraph

from ..support.environments import ROOT

CORPUS = ROOT / "tests" / "fixtures" / "team_corpus"
BASELINE = ROOT / "policies" / "security-baseline"


def _mandatory(tmp_path: Path) -> Path:
    config = tmp_path / "mandatory.json"
    config.write_text(json.dumps({"all": "mandatory"}))
    return config


def preview(tmp_path: Path, program: str, *args: str, stack: str = "dev"):
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--project",
            str(CORPUS / program),
            "--stack",
            stack,
            "--policy-pack",
            str(BASELINE),
            "--policy-pack-config",
            str(_mandatory(tmp_path)),
            "--format",
            "json",
            "--output",
            str(report),
            *args,
        ],
        terminal_width=80,
    )
    assert "Traceback" not in result.output
    return result, (json.loads(report.read_text()) if report.exists() else None)


def synth(tmp_path: Path, program: str, *args: str, stack: str = "dev") -> ResourceGraph:
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(
        app,
        ["synth", "--project", str(CORPUS / program), "--stack", stack, "--json", str(out), *args],
    )
    assert result.exit_code == 0, result.output
    return ResourceGraph.from_dict(json.loads(out.read_text()))


def violations(report: dict) -> list[tuple[str, str, str, str]]:
    return [
        (v["policy"], v["level"], v["name"], v["message"])
        for pack in report["packs"]
        for v in pack["violations"]
    ]


# ----------------------------------------------------------------- items 1 and 2: references
@pytest.mark.parametrize("mode", ["--preview", "--no-preview"])
def test_resource_references_reach_packs_as_ids_and_urns(tmp_path, mode):
    """sdk/go/common/resource/plugin/rpc.go: marshalled without KeepResources (as
    analyzer_plugin.go marshals), a custom resource's reference is its ID (unknown while the
    ID is) and a component's its URN. Before, every pack crashed ('Unrecognized signature')
    and, after an update, the SDK's mock rebuilt the VPC on another loop ('attached to a
    different loop')."""
    result, report = preview(tmp_path, "resource-references", mode)
    assert result.exit_code == 0, result.output
    assert [p["status"] for p in report["packs"]] == ["passed"]

    graph = synth(tmp_path, "resource-references", mode)
    (subnet,) = graph.of_type("aws:ec2/subnet:Subnet")
    (vpc,) = graph.of_type("aws:ec2/vpc:Vpc")
    (network,) = graph.of_type("corpus:net:Network")
    stack = graph.resources[0]
    if mode == "--preview":
        assert subnet.inputs["vpcId"] == UNKNOWN
        assert network.outputs == {"vpc": UNKNOWN}
    else:
        assert subnet.inputs["vpcId"] == vpc.id
        assert network.outputs == {"vpc": vpc.id}
    # an exported resource is exported as its properties (run_in_stack's massage)
    assert stack.outputs["network"]["urn"] == network.urn


# ----------------------------------------------------------------- items 4 and 12: Check
def test_generated_names_are_known_and_unset_optional_inputs_are_null(tmp_path):
    """The provider's Check output (analyzeAll in step_generator.go takes checked inputs):
    pulumi-aws names the bucket reports-<7 hex> (autonaming.go, resources.go) in preview, so
    bucket.bucket.apply(...) runs and its TLS policy exists. In the provider's preview an
    optional input left unset is null, not unknown: the public access block's two missing
    settings are a mandatory violation, not 'can't be known during preview'."""
    result, report = preview(tmp_path, "generated-names")
    assert result.exit_code == 1, result.output
    found = violations(report)
    assert (
        "obsgov-s3-bucket-block-public-access",
        "mandatory",
        "reports",
        "Bucket reports's public access block leaves ignorePublicAcls, restrictPublicBuckets off.",
    ) in found
    assert not [v for v in found if v[0] == "obsgov-s3-bucket-require-tls"]
    assert not [v for v in found if "can't" in v[3]]

    graph = synth(tmp_path, "generated-names")
    (bucket,) = graph.of_type("aws:s3/bucket:Bucket")
    (policy,) = graph.of_type("aws:s3/bucketPolicy:BucketPolicy")
    (topic,) = graph.of_type("aws:sns/topic:Topic")
    assert bucket.inputs["bucket"].startswith("reports-")
    assert len(bucket.inputs["bucket"]) == 15
    assert policy.inputs["bucket"] == bucket.inputs["bucket"]
    assert topic.inputs["name"].startswith("alerts-")
    assert topic.inputs["tagsAll"] == {}  # tags.go applyTags: an empty map without tags


# ----------------------------------------------------------------- item 6: cwd, org, root
def test_main_folder_is_the_working_folder_and_the_organization_comes_from_the_stack(tmp_path):
    """getPwdMain (pkg/engine/project.go) and pulumi-language-python-exec's --pwd,
    --organization and --root_directory."""
    graph = synth(tmp_path, "main-elsewhere", stack="acme/main-elsewhere/dev")
    (topic,) = graph.of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "acme-main-elsewhere-orders"
    assert synth(tmp_path, "main-elsewhere").of_type("aws:sns/topic:Topic")[0].inputs["name"] == (
        "organization-main-elsewhere-orders"
    )


def test_a_stack_of_another_project_is_refused_in_the_clis_words(tmp_path):
    result = CliRunner().invoke(
        app,
        ["synth", "--project", str(CORPUS / "main-elsewhere"), "--stack", "acme/other/dev"],
    )
    assert result.exit_code == 2
    assert "provided project name 'other' doesn't match Pulumi.yaml" in result.output


# ----------------------------------------------------------------- item 3: multi-language
def test_a_multi_language_component_fails_loudly_unless_warned(tmp_path):
    """A remote component's children are built by its provider's Construct
    (RegisterResourceRequest.remote); offline they are missing, so by default the stack is
    not passed, and with --remote-components warn the rest is judged and the gap said."""
    result, _ = preview(tmp_path, "multi-language")
    assert result.exit_code == 1
    assert "corpus-x:ec2:Vpc 'shared': a multi-language component" in result.output
    assert "cannot be judged offline; the stack is not passed" in result.output

    result, report = preview(tmp_path, "multi-language", "--remote-components", "warn")
    assert "corpus-x:ec2:Vpc 'shared': a multi-language component" in result.output
    assert result.exit_code == 1  # the bucket's own violations, judged
    assert {v[2] for v in violations(report)} == {"logs"}


# ----------------------------------------------------------------- item 8: empty invokes
def test_a_program_failing_on_an_unanswered_invoke_is_told_which(tmp_path):
    result = CliRunner().invoke(
        app,
        ["synth", "--project", str(CORPUS / "empty-invoke"), "--stack", "dev"],
        terminal_width=200,
    )
    assert result.exit_code == 2
    assert "AttributeError at __main__.py:9" in result.output
    assert "aws:ec2/getSecurityGroup:getSecurityGroup (1x)" in result.output


# ----------------------------------------------------------------- item 9: providers, reads
def test_every_package_gets_its_default_provider_with_its_version(tmp_path):
    """newRegisterDefaultProviderEvent (default_providers.go): the package's config plus
    ``version``, named by ProviderRequest.DefaultName (providers/provider.go)."""
    graph = synth(tmp_path, "other-providers")
    (widget,) = graph.of_type("corpus:index:Widget")
    provider = graph.provider_of(widget)
    assert provider is not None
    assert provider.urn == "urn:pulumi:dev::other-providers::pulumi:providers:corpus::default_1_2_3"
    assert provider.inputs == {"endpoint": "https://widgets.example", "version": "1.2.3"}


def test_reads_and_stack_references_are_in_the_stack_but_not_analyzed(tmp_path):
    """GenerateReadSteps (step_generator.go): a .get() read and a StackReference are in the
    stack AnalyzeStack sees, served by their providers (the builtin pulumi provider for the
    reference), and Analyze is not called for them."""
    graph = synth(tmp_path, "reads")
    reads = {r.type: r for r in graph.resources if r.read}
    assert set(reads) == {"aws:s3/bucket:Bucket", "pulumi:pulumi:StackReference"}
    assert reads["aws:s3/bucket:Bucket"].id == "corpus-archive"
    provider = graph.provider_of(reads["pulumi:pulumi:StackReference"])
    assert provider is not None
    assert provider.urn == ("urn:pulumi:dev::reads::pulumi:providers:pulumi::default")
    (topic,) = graph.of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "corpus-archive-events"  # a read is known in preview


# ----------------------------------------------------------------- issue 33: hangs
def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_looping_program_is_killed_with_everything_it_started(tmp_path):
    """A team program runs in a session of its own with no standard input; at
    --program-timeout the whole process group is killed, so a daemon it left behind dies too
    (and holds no pipe obsgov waits on)."""
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(f"config:\n  hangs:scratch: {tmp_path}\n")
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "obsgov.cli",
            "synth",
            "--project",
            str(CORPUS / "hangs"),
            "--stack",
            "dev",
            "--config-file",
            str(stack),
            "--program-timeout",
            "8",
        ],
        stdin=subprocess.PIPE,  # an open stdin that never ends, as some CI runners give
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "did not finish within 8 seconds (--program-timeout)" in done.stderr
    assert time.monotonic() - started < 60
    assert (tmp_path / "stdin.txt").read_text() == "''"
    daemon = int((tmp_path / "daemon.pid").read_text())
    deadline = time.monotonic() + 10
    while _alive(daemon) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(daemon)


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_the_program_timeout_must_be_a_finite_positive_number(value):
    result = CliRunner().invoke(
        app,
        ["synth", "--project", str(CORPUS / "reads"), "--stack", "dev", "--program-timeout", value],
    )
    assert result.exit_code == 2
    assert "--program-timeout" in result.output


# ------------------------------------------------- the program's own SDK, older than obsgov's
def _invoke_request_of_an_sdk_before_3_256():
    """ResourceInvokeRequest as pulumi 3.150-3.255 define it: proto/pulumi/resource.proto
    gained ``dependsOn`` (and ``acceptsUnknowns``) with pulumi/pulumi#24040 (v3.256.0). The
    program's monitor modules run on the program's SDK, so they get this message."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2
    from pulumi.runtime.proto import resource_pb2

    current = descriptor_pb2.DescriptorProto()
    resource_pb2.ResourceInvokeRequest.DESCRIPTOR.CopyToProto(current)
    old_file = descriptor_pb2.FileDescriptorProto(
        name="old_sdk_resource.proto",
        package="oldsdk",
        dependency=["google/protobuf/struct.proto"],
        syntax="proto3",
    )
    message = old_file.message_type.add(name="ResourceInvokeRequest")
    for field in current.field:
        kept = field.type != field.TYPE_MESSAGE or field.type_name == ".google.protobuf.Struct"
        if kept and field.name not in ("dependsOn", "acceptsUnknowns"):
            message.field.add().CopyFrom(field)
    pool = descriptor_pool.DescriptorPool()
    struct_file = descriptor_pb2.FileDescriptorProto()
    struct_pb2.DESCRIPTOR.CopyToProto(struct_file)
    pool.Add(struct_file)
    pool.Add(old_file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("oldsdk.ResourceInvokeRequest")
    )


def test_an_invoke_from_an_sdk_before_3_256_is_answered_in_its_own_messages(monkeypatch):
    """aws-py-fargate (pulumi/examples) pins pulumi 3.228.0: its first invoke crashed the
    monitor with ``AttributeError: dependsOn``, then on the missing ResourceInvokeResponse
    (proto/pulumi/resource.proto has it from pulumi/pulumi#24100, v3.256.0; before, the
    monitor's Invoke answered provider.proto's InvokeResponse, which has no ``unknown``),
    failures the CLI never has."""
    from pulumi.runtime.proto import provider_pb2

    from obsgov.synth import monitor as monitor_module

    request_type = _invoke_request_of_an_sdk_before_3_256()
    assert "dependsOn" not in request_type.DESCRIPTOR.fields_by_name
    monkeypatch.setattr(monitor_module, "_INVOKE_RESPONSE", None, raising=False)
    monitor = monitor_module.RecordingMonitor(
        True, "eu-west-1", monitor_module.ObsgovMocks("team", "dev")
    )
    answer = monitor.Invoke(request_type(tok="aws:index/getRegion:getRegion"))
    assert isinstance(answer, provider_pb2.InvokeResponse)
    assert dict(getattr(answer, "return"))["name"] == "eu-west-1"
    # no realistic answer: an old SDK cannot be told "unknown", so it gets an empty result
    # that a later failure names, as a plain invoke does
    token = monitor_module._OUTPUT_FORM.set(True)
    try:
        empty = monitor.Invoke(request_type(tok="aws:ec2/getInstance:getInstance"))
    finally:
        monitor_module._OUTPUT_FORM.reset(token)
    assert isinstance(empty, provider_pb2.InvokeResponse)
    assert dict(getattr(empty, "return")) == {}
    assert monitor.mock_impl.invokes.unanswered == {"aws:ec2/getInstance:getInstance": 1}
    assert monitor.mock_impl.invokes.empty == {"aws:ec2/getInstance:getInstance": 1}
