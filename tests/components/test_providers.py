"""Every resource lands in its account through that account's explicit provider, which
carries the organisation's tag schema as default tags."""

from __future__ import annotations

import json

import pytest

# The central components and the account that owns each (organization trail and guardrails in
# the management account, the archive and audit analytics in the log-archive account).
CENTRAL_OWNER = {
    "obsgov:audit_trail:AuditTrail": "managementAccountId",
    "obsgov:guardrails:Guardrails": "managementAccountId",
    "obsgov:log_archive:LogArchive": "logArchiveAccountId",
    "obsgov:audit_analytics:AuditAnalytics": "logArchiveAccountId",
}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_resolves_to_its_accounts_provider(example_graph, example_env, stack):
    graph = example_graph(stack, True)
    env = example_env(stack)
    org = env.org.organization
    central = {
        "managementAccountId": org.management_account_id,
        "logArchiveAccountId": org.log_archive_account_id,
    }
    expected_role = {a.id: env.role_arn(a.id) for a in env.registry.accounts} | {
        account: env.role_arn(account)
        for account in (org.observability_account_id, *central.values())
    }
    members = {a.name: a.id for a in env.member_accounts}
    for resource in graph.custom_resources():
        if resource.type == "pulumi:pulumi:StackReference":
            continue  # a read of another stack, through the builtin pulumi provider
        provider = graph.provider_of(resource)
        assert provider is not None, f"{resource.urn} has no provider"
        if provider.type == "pulumi:providers:aws-native":
            # pulumi-aws-native takes one role (``assumeRole``), not a list
            roles = [json.loads(provider.inputs["assumeRole"])]
        else:
            roles = json.loads(provider.inputs["assumeRoles"])
        assert roles[0]["roleArn"] == expected_role[resource.account]
        assert json.loads(provider.inputs["allowedAccountIds"]) == [resource.account]
        outer = graph.component_of(resource)
        while outer is not None and graph.component_of(outer) is not None:
            outer = graph.component_of(outer)  # the top-level component decides the account
        if outer.type == "obsgov:member_baseline:MemberAccountBaseline":
            assert resource.account == members[outer.name]
        elif outer.type == "obsgov:catalog_encryption:CatalogEncryption":
            # one per account with catalog databases; the audit catalog is the log archive's
            assert resource.account == (
                org.log_archive_account_id
                if outer.name.startswith("audit-catalog-")
                else org.observability_account_id
            ), resource.urn
        elif outer.type in CENTRAL_OWNER:
            assert resource.account == central[CENTRAL_OWNER[outer.type]], resource.urn
        elif resource.account in members.values():
            # member accounts also run the lifecycle forwarding and their scheduled jobs
            assert outer.name.startswith(tuple(members)), resource.urn
        else:
            assert resource.account == org.observability_account_id, resource.urn
    assert set(members.values()) | {org.observability_account_id, org.management_account_id} <= {
        r.account for r in graph.custom_resources()
    }


def test_providers_carry_the_tag_schema_as_default_tags(example_graph, example_env):
    graph, env = example_graph("staging", True), example_env("staging")
    schema = env.org.tag_schema
    # AWS providers: the builtin pulumi provider reads the organisation stack's outputs
    for provider in (p for p in graph.providers() if p.type == "pulumi:providers:aws"):
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        for rule in schema.required:
            assert rule.key in tags, f"{provider.name} lacks {rule.key}"
            assert rule.accepts(tags[rule.key]), (provider.name, rule.key, tags[rule.key])
        assert tags["environment"] == "staging"
    member = next(p for p in graph.providers() if p.name == "account-ml-serving-staging")
    assert json.loads(member.inputs["defaultTags"])["tags"]["owner"] == "ml-platform@example.com"
