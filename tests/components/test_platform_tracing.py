"""X-Ray on what the platform deploys: every platform Lambda function traces actively and its
role may send the segments.

AWS: active tracing (TracingConfig Mode=Active) makes Lambda sample invocations and send
segments with the execution role, which needs xray:PutTraceSegments and
xray:PutTelemetryRecords (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html);
those actions support no resource type, so the statement's resource is "*"
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
The platform creates no Step Functions state machine and no API Gateway stage; tracing the
team workloads is their producers' to turn on (docs/tracing.md).
"""

from __future__ import annotations

import json

import pytest

FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_platform_function_traces_and_may_send_its_segments(example_graph, stack):
    graph = example_graph(stack, True)
    functions = graph.of_type(FUNCTION)
    assert functions
    policies = {p.parent: p for p in graph.of_type(ROLE_POLICY)}
    for function in functions:
        assert function.inputs["tracingConfig"] == {"mode": "Active"}, function.name
        document = json.loads(policies[function.parent].inputs["policy"])
        sends = [
            s
            for s in document["Statement"]
            if {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= set(s["Action"])
        ]
        assert sends == [
            {
                "Sid": "SendTraces",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            }
        ], function.name


def test_the_platform_deploys_no_state_machine_or_api_stage_it_would_have_to_trace(example_graph):
    graph = example_graph("prod", True)
    assert not graph.of_type(
        "aws:sfn/stateMachine:StateMachine",
        "aws:apigateway/stage:Stage",
        "aws:apigatewayv2/stage:Stage",
    )
