"""Type tokens in one form, ``obsgov:<module>:<Type>``, without replacing anything deployed.

``FORMER_TYPES`` is the committed list of the tokens deployed stacks hold for the components
whose token changed. A URN carries its parent's type, so a renamed component changes the URN of
everything under it; the engine finds each of them in the deployed state only through an alias
(the component's own, the children's inherited from it: see tests/synth/test_aliases.py). For
every shipped stack, in preview and in an update, each resource's URN under the former tokens
must be its URN today or one of its aliases.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi
import pytest

import components

# former token -> token today
FORMER_TYPES = {
    "obsgov:audittrail:AuditTrail": "obsgov:audit_trail:AuditTrail",
    "obsgov:auditanalytics:AuditAnalytics": "obsgov:audit_analytics:AuditAnalytics",
    "obsgov:eventrouting:EventRouting": "obsgov:event_routing:EventRouting",
    "obsgov:logarchive:LogArchive": "obsgov:log_archive:LogArchive",
    "obsgov:member:MemberAccountBaseline": "obsgov:member_baseline:MemberAccountBaseline",
    "obsgov:model_guard:ModelApprovalGuard": "obsgov:model_approval_guard:ModelApprovalGuard",
    "obsgov:quality:DriftMonitor": "obsgov:drift_monitor:DriftMonitor",
}
STACKS = [(stack, preview) for stack in ("dev", "staging", "prod") for preview in (True, False)]


def component_classes() -> dict[str, type]:
    """Every ComponentResource subclass defined in the components package, by class name."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == info.name:
                assert name not in found, f"{name} is defined twice"
                found[name] = cls
    return found


def former_urn(urn: str) -> str:
    """The URN the resource had under the former type tokens."""
    today = {new: old for old, new in FORMER_TYPES.items()}
    prefix, project, qualified, name = urn.split("::", 3)
    types = "$".join(today.get(t, t) for t in qualified.split("$"))
    return "::".join([prefix, project, types, name])


@pytest.mark.parametrize(("stack", "preview"), STACKS)
def test_every_component_token_names_its_module_and_class(example_graph, stack, preview):
    classes = component_classes()
    tokens = {
        r.type for r in example_graph(stack, preview).resources if r.type.startswith("obsgov:")
    }
    for token in tokens:
        _, module, type_name = token.split(":")
        assert type_name in classes, f"{token}: no component class {type_name}"
        assert classes[type_name].__module__.rsplit(".", 1)[1] == module, token


@pytest.mark.parametrize(("stack", "preview"), STACKS)
def test_every_urn_a_former_token_changed_is_an_alias(example_graph, stack, preview):
    changed = 0
    for resource in example_graph(stack, preview).resources:
        before = former_urn(resource.urn)
        if before != resource.urn:
            changed += 1
            assert before in resource.aliases, f"{resource.urn} would be replaced"
    # the member baselines alone hold dozens of resources in every shipped stack
    assert changed > 0


def test_a_drift_monitor_keeps_its_resources_under_its_former_token(tmp_path):
    # no shipped stack configures drift monitoring: the drift monitor's own test program
    from tests.drift.test_drift_monitor import _synthesize

    graph = _synthesize(tmp_path, True)
    monitored = [r for r in graph.resources if "obsgov:drift_monitor:DriftMonitor" in r.urn]
    assert len(monitored) > 1
    for resource in monitored:
        assert former_urn(resource.urn) in resource.aliases, resource.urn


def test_every_token_today_is_a_components_and_no_former_one_is_left(example_graph):
    classes = component_classes()
    for token in FORMER_TYPES.values():
        _, module, type_name = token.split(":")
        assert classes[type_name].__module__.rsplit(".", 1)[1] == module, token
    for stack, preview in STACKS:
        assert not {r.type for r in example_graph(stack, preview).resources} & set(FORMER_TYPES)
