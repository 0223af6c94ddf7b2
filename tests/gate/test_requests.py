"""The requests the gate sends: what a pack sees of each resource."""

from __future__ import annotations

from google.protobuf import json_format

from obsgov.gate.requests import Requests, output_names, preview_outputs, resource_options
from obsgov.graph import UNKNOWN, GraphResource, ResourceGraph

TOPIC = "aws:sns/topic:Topic"


def _topic(**inputs) -> GraphResource:
    return GraphResource(
        urn=f"urn:pulumi:dev::obsgov::{TOPIC}::t",
        type=TOPIC,
        name="t",
        custom=True,
        inputs=dict(inputs),
        outputs=dict(inputs),
    )


def test_output_names_come_from_the_installed_sdk_class():
    import pulumi_aws

    names = output_names(TOPIC)
    assert {"arn", "name", "kmsMasterKeyId", "tagsAll", "owner"} <= names
    assert names == {
        name
        for p in vars(pulumi_aws.sns.Topic).values()
        if isinstance(p, property) and (name := getattr(p.fget, "_pulumi_name", None))
    }
    assert output_names("test:index:Alarms") == frozenset()
    assert output_names("aws:nosuchmodule/x:X") == frozenset()


def test_in_preview_computed_outputs_are_unknown_and_inputs_kept():
    """Point 4 (step_generator.go: AnalyzeStack in preview gets the provider's preview
    outputs): output properties the provider computes are unknown, inputs keep their values,
    and an optional input left unset is null in the provider's preview, not unknown (issue 34
    item 12: the schema's optional outputs, ``Output[Optional[T]]`` in the generated SDK)."""
    outputs = preview_outputs(_topic(name="obsgov-alarms", kmsMasterKeyId="alias/aws/sns"))
    assert outputs["name"] == "obsgov-alarms"
    assert outputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert outputs["arn"] == UNKNOWN
    assert outputs["tagsAll"] == UNKNOWN
    # optional and unset: absent (null), so a policy requiring tags fails rather than
    # reporting "can't be known during preview"
    assert "tags" not in outputs
    assert "deliveryPolicy" not in outputs
    assert "tags" in output_names(TOPIC)


def test_a_read_resource_keeps_what_was_read_in_preview():
    """A ``.get()`` read exists already: GenerateReadSteps (step_generator.go) reads it in
    preview too, so AnalyzeStack sees its read outputs, nothing unknown."""
    topic = _topic(name="existing")
    topic.read = True
    assert preview_outputs(topic) == {"name": "existing"}
    requests = Requests(
        ResourceGraph(project="obsgov", stack="dev", preview=True, resources=[topic])
    )
    assert requests.analyzed() == []
    assert [r.urn for r in requests.stack_request().resources] == [topic.urn]


def test_components_and_providers_keep_their_outputs():
    component = GraphResource(
        urn="urn:pulumi:dev::obsgov::test:index:C::c",
        type="test:index:C",
        name="c",
        custom=False,
        outputs={"x": 1},
    )
    provider = GraphResource(
        urn="urn:pulumi:dev::obsgov::pulumi:providers:aws::p",
        type="pulumi:providers:aws",
        name="p",
        custom=True,
        inputs={"region": "eu-west-1"},
    )
    assert preview_outputs(component) == {"x": 1}
    assert preview_outputs(provider) == {"region": "eu-west-1"}


def test_update_mode_sends_the_recorded_outputs_and_remediation_replaces_inputs():
    topic = _topic(name="plain")
    topic.outputs["arn"] = "arn:aws:sns:eu-west-1:1:plain"
    requests = Requests(
        ResourceGraph(project="obsgov", stack="dev", preview=False, resources=[topic])
    )
    assert requests.stack_properties(topic) == {
        "name": "plain",
        "arn": "arn:aws:sns:eu-west-1:1:plain",
    }
    before = requests.analyze_request(topic)
    requests.remediate(topic, {"name": "plain", "kmsMasterKeyId": "k"})
    after = requests.analyze_request(topic)
    assert dict(before.properties) == {"name": "plain"}
    assert dict(after.properties) == {"name": "plain", "kmsMasterKeyId": "k"}
    assert requests.stack_properties(topic)["kmsMasterKeyId"] == "k"


def test_an_input_a_remediation_removes_is_gone_from_the_stack_view():
    """A remediation replaces the inputs whole (``new.Inputs = tresult.Properties`` in
    pkg/resource/deploy/step_generator.go); the outputs the provider then computes have no
    trace of an input it dropped, while outputs that are not inputs stay."""
    topic = _topic(name="plain", policy='{"Statement": []}')
    topic.outputs["arn"] = "arn:aws:sns:eu-west-1:1:plain"
    requests = Requests(
        ResourceGraph(project="obsgov", stack="dev", preview=False, resources=[topic])
    )
    requests.remediate(topic, {"name": "plain"})
    assert requests.stack_properties(topic) == {
        "name": "plain",
        "arn": "arn:aws:sns:eu-west-1:1:plain",
    }


def test_resource_options_reach_the_pack_as_the_engine_marshals_them():
    """``marshalResourceOptions`` (pkg/resource/plugin/analyzer_plugin.go): delete-before-
    replace with whether it was set, the parent's URN, and each custom timeout in seconds, 0
    where the program gave none."""
    topic = _topic(name="plain")
    topic.parent = "urn:pulumi:dev::obsgov::test:index:Alarms::alarms"
    topic.delete_before_replace = True
    topic.custom_timeouts = {"create": 300.0, "update": 5400.0, "delete": 90.0}
    assert json_format.MessageToDict(resource_options(topic)) == {
        "deleteBeforeReplace": True,
        "deleteBeforeReplaceDefined": True,
        "parent": "urn:pulumi:dev::obsgov::test:index:Alarms::alarms",
        "customTimeouts": {"create": 300.0, "update": 5400.0, "delete": 90.0},
    }
    topic.parent, topic.delete_before_replace = None, False
    topic.custom_timeouts = {"create": 300.0}
    assert json_format.MessageToDict(resource_options(topic)) == {
        "deleteBeforeReplaceDefined": True,
        "customTimeouts": {"create": 300.0},
    }


def test_analyze_requests_carry_the_resource_options():
    """``Analyze`` and ``Remediate`` get the resource's options as well as its inputs
    (``AnalyzeRequest.options``, filled by ``marshalResourceOptions`` in
    pkg/resource/plugin/analyzer_plugin.go)."""
    topic = _topic(name="plain")
    topic.parent = "urn:pulumi:dev::obsgov::test:index:Alarms::alarms"
    topic.custom_timeouts = {"delete": 90.0}
    graph = ResourceGraph(project="obsgov", stack="dev", preview=True, resources=[topic])
    request = json_format.MessageToDict(Requests(graph).analyze_request(topic))
    assert request["options"] == {
        "parent": "urn:pulumi:dev::obsgov::test:index:Alarms::alarms",
        "customTimeouts": {"delete": 90.0},
    }
