"""Invokes reach the mock monitor: answered from the calling provider, unknown or empty when
there is no answer, and counted by token."""

from __future__ import annotations

import json
import textwrap

import pytest

from obsgov.graph import UNKNOWN
from obsgov.synth import SynthesisError, synthesize
from obsgov.synth.monitor import ObsgovMocks, RecordingMonitor

PROGRAM = """
import json, pulumi, pulumi_aws as aws
p = aws.Provider("p", region="eu-central-1",
    assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::200000000002:role/R")])
on_p = pulumi.InvokeOptions(provider=p)
who = aws.get_caller_identity(opts=on_p)
doc = aws.iam.get_policy_document(statements=[aws.iam.GetPolicyDocumentStatementArgs(
    actions=["s3:GetObject", "s3:ListBucket"],
    resources=[f"arn:aws:s3:::data-{who.account_id}/*"])])
aws.iam.Policy("read", policy=doc.json, opts=pulumi.ResourceOptions(provider=p))
# no realistic answer: unknown as an Output, empty as a plain value
instance = aws.ec2.get_instance_output(instance_id="i-0123456789abcdef0")
aws.sns.Topic("from-output", name=instance.arn)
plain = aws.ec2.get_instance(instance_id="i-0123456789abcdef0")
aws.sns.Topic("from-plain", display_name=str(plain.arn))
aws.sns.Topic("ami", name=aws.ec2.get_ami(owners=["amazon"], most_recent=True).id)
"""


def _graph(inline_env, tmp_path, source, preview=True):
    env = inline_env().load()
    program = tmp_path / "__main__.py"
    program.write_text(textwrap.dedent(source))
    return synthesize(env, program=program, preview=preview)


@pytest.mark.parametrize("preview", [True, False])
def test_invokes_are_answered_unknown_or_empty_and_counted(inline_env, tmp_path, preview):
    graph = _graph(inline_env, tmp_path, PROGRAM, preview)
    policy = graph.of_type("aws:iam/policy:Policy")[0]
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject"],
                "Resource": "arn:aws:s3:::data-200000000002/*",
            }
        ],
    }
    topics = {t.name: t for t in graph.of_type("aws:sns/topic:Topic")}
    assert topics["from-output"].inputs.get("name") == UNKNOWN
    assert topics["from-plain"].inputs["displayName"] == "None"
    assert topics["ami"].inputs["name"].startswith("ami-")
    assert graph.unanswered_invokes == {"aws:ec2/getInstance:getInstance": 2}
    assert graph.derived_invokes == {"aws:ec2/getAmi:getAmi": 1}
    assert json.loads(graph.to_json())["unansweredInvokes"] == {
        "aws:ec2/getInstance:getInstance": 2
    }


def test_a_document_the_provider_rejects_fails_the_program_as_the_invoke(inline_env, tmp_path):
    source = """
    import pulumi_aws as aws
    aws.iam.get_policy_document(version="2008-10-17", statements=[
        aws.iam.GetPolicyDocumentStatementArgs(actions=["s3:*"], resources=["&{aws:username}"])])
    """
    with pytest.raises(SynthesisError) as failed:
        _graph(inline_env, tmp_path, source)
    assert (
        "invoke of aws:iam/getPolicyDocument:getPolicyDocument failed: found &{ sequence in "
        "(&{aws:username}), which is not supported in document version 2008-10-17"
    ) in str(failed.value)


def test_a_graph_without_invokes_serializes_as_before(inline_env, tmp_path):
    graph = _graph(inline_env, tmp_path, "import pulumi_aws as aws\naws.sns.Topic('t')\n")
    data = json.loads(graph.to_json())
    assert "unansweredInvokes" not in data
    assert "derivedInvokes" not in data


def test_default_provider_takes_its_account_and_config_from_the_stacks_aws_keys():
    roles = json.dumps([{"roleArn": "arn:aws:iam::300000000003:role/Deploy"}])
    monitor = RecordingMonitor(
        False,
        "us-east-2",
        ObsgovMocks("team", "dev"),
        provider_config={"assumeRoles": roles, "defaultTags": '{"tags":{"owner":"x"}}'},
    )
    assert monitor.account_of_ref("") == ("300000000003", "us-east-2")
    identity = monitor.mock_impl.answer("aws:index/getCallerIdentity:getCallerIdentity", {}, "")
    assert identity is not None
    assert identity["accountId"] == "300000000003"
    ref = monitor._default_provider_ref()
    provider = monitor.records[ref.rpartition("::")[0]]
    assert provider.inputs == {
        "region": "us-east-2",
        "assumeRoles": roles,
        "defaultTags": '{"tags":{"owner":"x"}}',
    }
    assert provider.account == "300000000003"


def test_an_invoke_waiting_on_a_resource_being_created_is_unknown_not_a_guess(inline_env, tmp_path):
    # as the engine gates it: the bucket is still being created in preview, the stack reference
    # is read first; neither is an invoke obsgov failed to answer
    source = """
    import pulumi, pulumi_aws as aws
    bucket = aws.s3.Bucket("b", bucket="data")
    waits = aws.iam.get_policy_document_output(statements=[
        aws.iam.GetPolicyDocumentStatementArgs(actions=["s3:GetObject"],
            resources=[bucket.arn])])
    aws.iam.Policy("waits", policy=waits.json)
    ref = pulumi.StackReference("org/network/dev")
    reads = aws.iam.get_policy_document_output(statements=[
        aws.iam.GetPolicyDocumentStatementArgs(actions=["s3:GetObject"],
            resources=[ref.name.apply(lambda n: "arn:aws:s3:::" + n.replace("/", "-"))])])
    aws.iam.Policy("reads", policy=reads.json)
    """
    for preview in (True, False):
        graph = _graph(inline_env, tmp_path, source, preview)
        policies = {p.name: p.inputs.get("policy") for p in graph.of_type("aws:iam/policy:Policy")}
        assert json.loads(policies["reads"])["Statement"][0]["Resource"] == (
            "arn:aws:s3:::org-network-dev"
        )
        if preview:
            assert policies["waits"] == UNKNOWN
        else:
            assert json.loads(policies["waits"])["Statement"][0]["Resource"].startswith(
                "arn:aws:s3:::"
            )
        assert graph.unanswered_invokes == {}
        assert graph.stack_references == {"org/network/dev": False}
