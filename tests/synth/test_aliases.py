"""Aliases as the engine resolves them, so a renamed component is proven not to replace what
is deployed under it. With alias specs (which the engine and the SDK's mock monitor both
support) the SDK sends a resource only its own aliases; the engine completes each spec from the
resource's name, type and parent (``collapseAliasToUrn``) and gives every child the aliases it
inherits from the alias its parent was found under (``inheritedChildAlias``, both in
pkg/resource/deploy/step_generator.go of pulumi/pulumi)."""

from __future__ import annotations

import textwrap

import pytest

from obsgov.config.loader import load_environment
from tests.support.gate import STACKS, probe_graph

PROGRAM = textwrap.dedent("""
    import pulumi, pulumi_aws as aws

    class Box(pulumi.ComponentResource):
        def __init__(self, name, type_, opts=None):
            super().__init__(type_, name, None, opts)

    outer = Box("team", "acme:box:Outer",
                pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="acme:old:Outer")]))
    inner = Box("team-inner", "acme:box:Inner", pulumi.ResourceOptions(parent=outer))
    aws.sns.Topic("team-inner-topic", name="t1", opts=pulumi.ResourceOptions(parent=inner))
    aws.sns.Topic("alerts", name="t2", opts=pulumi.ResourceOptions(
        parent=outer, aliases=[pulumi.Alias(name="team-alerts-old")]))
    aws.sns.Topic("plain", name="t3")
    crew = Box("crew", "acme:box:Outer", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="squad")]))
    aws.sns.Topic("crew-topic", name="t4", opts=pulumi.ResourceOptions(parent=crew))
""")

URN = "urn:pulumi:dev::obsgov::"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    return probe_graph(env, tmp_path_factory.mktemp("aliases"), program=PROGRAM)


def test_a_type_alias_names_the_component_under_its_former_type(graph):
    [outer] = [c for c in graph.of_type("acme:box:Outer") if c.name == "team"]
    assert outer.urn == URN + "acme:box:Outer::team"
    # the stack parent is left out of the alias, as of the URN
    assert outer.aliases == [URN + "acme:old:Outer::team"]


def test_children_and_grandchildren_inherit_the_parents_former_type(graph):
    [inner] = graph.of_type("acme:box:Inner")
    assert inner.aliases == [URN + "acme:old:Outer$acme:box:Inner::team-inner"]
    [topic] = [t for t in graph.of_type("aws:sns/topic:Topic") if t.name == "team-inner-topic"]
    assert topic.urn == URN + "acme:box:Outer$acme:box:Inner$aws:sns/topic:Topic::team-inner-topic"
    assert topic.aliases == [
        URN + "acme:old:Outer$acme:box:Inner$aws:sns/topic:Topic::team-inner-topic"
    ]


def test_a_childs_own_alias_is_also_multiplied_by_the_parents(graph):
    [topic] = [t for t in graph.of_type("aws:sns/topic:Topic") if t.name == "alerts"]
    assert topic.aliases == sorted(
        [
            # its own spec, completed from its new parent
            URN + "acme:box:Outer$aws:sns/topic:Topic::team-alerts-old",
            # its name under the parent's former type
            URN + "acme:old:Outer$aws:sns/topic:Topic::alerts",
            # its own alias under the parent's former type
            URN + "acme:old:Outer$aws:sns/topic:Topic::team-alerts-old",
        ]
    )


def test_a_resource_outside_any_aliased_parent_has_none(graph):
    [topic] = [t for t in graph.of_type("aws:sns/topic:Topic") if t.name == "plain"]
    assert topic.aliases == []


def test_a_renamed_parent_renames_the_prefix_of_its_childrens_aliases(graph):
    [topic] = [t for t in graph.of_type("aws:sns/topic:Topic") if t.name == "crew-topic"]
    assert topic.aliases == [URN + "acme:box:Outer$aws:sns/topic:Topic::squad-topic"]
