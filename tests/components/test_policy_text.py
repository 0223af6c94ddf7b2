"""Every IAM, KMS, S3, SNS and resource policy obsgov writes is canonical JSON (keys sorted),
so the text AWS stores, and `pulumi up` compares, only changes when the policy does."""

from __future__ import annotations

import json

import pytest


def policy_texts(graph):
    for resource in graph.resources:
        for key, value in resource.inputs.items():
            if isinstance(value, str) and value.startswith("{") and '"Statement"' in value:
                yield resource, key, value


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_policy_document_is_written_with_sorted_keys(example_graph, stack):
    texts = list(policy_texts(example_graph(stack, False)))
    assert len(texts) > 40
    unsorted = [
        f"{r.type} {r.name} {key}"
        for r, key, text in texts
        if json.dumps(json.loads(text), sort_keys=True) != text
    ]
    assert unsorted == []
