"""Every resource lands in its account through that account's explicit provider, which
carries the organisation's tag schema as default tags."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_resolves_to_its_accounts_provider(example_graph, example_env, stack):
    graph = example_graph(stack, True)
    env = example_env(stack)
    expected_role = {a.id: env.role_arn(a.id) for a in env.registry.accounts} | {
        env.org.organization.observability_account_id: env.role_arn(
            env.org.organization.observability_account_id
        )
    }
    members = {a.name: a.id for a in env.member_accounts}
    for resource in graph.custom_resources():
        provider = graph.provider_of(resource)
        assert provider is not None, f"{resource.urn} has no provider"
        roles = json.loads(provider.inputs["assumeRoles"])
        assert roles[0]["roleArn"] == expected_role[resource.account]
        assert json.loads(provider.inputs["allowedAccountIds"]) == [resource.account]
        component = graph.component_of(resource)
        if component.type == "obsgov:member:MemberAccountBaseline":
            assert resource.account == members[component.name]
        else:
            assert resource.account == env.org.organization.observability_account_id
    assert {r.account for r in graph.custom_resources()} == set(members.values()) | {
        env.org.organization.observability_account_id
    }


def test_providers_carry_the_tag_schema_as_default_tags(example_graph, example_env):
    graph, env = example_graph("staging", True), example_env("staging")
    schema = env.org.tag_schema
    for provider in graph.providers():
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        for rule in schema.required:
            assert rule.key in tags, f"{provider.name} lacks {rule.key}"
            assert rule.accepts(tags[rule.key]), (provider.name, rule.key, tags[rule.key])
        assert tags["environment"] == "staging"
    member = next(p for p in graph.providers() if p.name == "account-ml-serving-staging")
    assert json.loads(member.inputs["defaultTags"])["tags"]["owner"] == "ml-platform@example.com"
