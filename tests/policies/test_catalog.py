"""The policy catalog: a policy's package decides its pack, and the pack table is discovered."""

import re
import sys

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from obsgov_policies import catalog
from obsgov_policies.catalog import (
    CIS,
    FSBP,
    Control,
    PolicySpec,
    load_all,
    pack_name,
    pack_table,
    policies_for,
    policy,
)


def test_the_shipped_packs_and_their_descriptions():
    assert {name: (p.package, p.description) for name, p in pack_table().items()} == {
        "deploy-readiness": (
            "obsgov_policies.deploy_readiness",
            "The stack deploys in the order AWS needs, its flows are allowed, its "
            "prerequisites, names and singletons are accounted for, and its alarms can fire.",
        ),
        "model-governance": (
            "obsgov_policies.model_governance",
            "SageMaker models serve approved, registered packages and are monitored.",
        ),
        "observability": (
            "obsgov_policies.observability",
            "Alarms are actionable and valid; logs are kept and encrypted; workloads are alarmed.",
        ),
        "security-baseline": (
            "obsgov_policies.security_baseline",
            "S3, KMS, SNS, CloudTrail, OpenSearch, OAM, IAM, SageMaker, EC2 and RDS security "
            "settings.",
        ),
        "tagging": (
            "obsgov_policies.tagging",
            "Every taggable resource carries the organisation's tags.",
        ),
    }


def test_a_policy_belongs_to_the_pack_of_its_package():
    for spec in load_all().values():
        package = spec.module.rpartition(".")[0]
        assert pack_table()[spec.pack].package == package, spec.id


def test_policies_for_a_pack_are_its_package_sorted_by_id():
    for pack in pack_table().values():
        in_package = [s.id for s in load_all().values() if s.module.startswith(pack.package + ".")]
        assert in_package
        assert [s.id for s in policies_for(pack.name)] == sorted(in_package)
    assert policies_for("no-such-pack") == []


def test_pack_names_use_hyphens():
    assert pack_name("obsgov_policies.security_baseline") == "security-baseline"
    assert pack_name("tagging") == "tagging"


def test_only_the_tagging_and_deploy_readiness_packs_warm_up():
    # deploy-readiness shares the SDK's conversion of a stack between its stack policies
    assert [n for n, p in pack_table().items() if p.warm_up is not None] == [
        "deploy-readiness",
        "tagging",
    ]


@pytest.fixture
def fake_library(tmp_path, monkeypatch):
    """A library ``fakelib`` with one pack, one helper module and one package without a
    DESCRIPTION (added by the test that wants it)."""
    root = tmp_path / "fakelib"
    (root / "alpha_pack").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "a_helper.py").write_text("X = 1\n")  # sorts before the pack
    (root / "alpha_pack" / "__init__.py").write_text(
        'DESCRIPTION = "Alpha."\n\ndef warm_up():\n    return "warm"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(catalog, "LIBRARY", "fakelib")
    yield root
    for name in [m for m in sys.modules if m.split(".")[0] == "fakelib"]:
        del sys.modules[name]


def test_every_subpackage_is_a_pack_and_modules_are_not(fake_library):
    table = pack_table.__wrapped__()
    assert list(table) == ["alpha-pack"]
    pack = table["alpha-pack"]
    assert (pack.name, pack.package, pack.description) == (
        "alpha-pack",
        "fakelib.alpha_pack",
        "Alpha.",
    )
    assert pack.warm_up is not None
    assert pack.warm_up() == "warm"


def test_packs_without_warm_up_have_none(fake_library):
    (fake_library / "beta").mkdir()
    (fake_library / "beta" / "__init__.py").write_text('DESCRIPTION = "Beta."\n')
    assert pack_table.__wrapped__()["beta"].warm_up is None


@pytest.mark.parametrize(
    "init", ['"""No description."""\n', 'DESCRIPTION = ""\n', "DESCRIPTION = 5\n"]
)
def test_a_package_without_description_is_refused(fake_library, init):
    (fake_library / "beta").mkdir()
    (fake_library / "beta" / "__init__.py").write_text(init)
    with pytest.raises(ValueError, match="must declare the pack's DESCRIPTION") as caught:
        pack_table.__wrapped__()
    assert str(caught.value) == (
        "fakelib.beta holds policies, so its __init__ must declare the pack's DESCRIPTION"
    )


def _define(module: str, policy_id: str, **kwargs):
    def validate(args, report_violation):
        report_violation("called")

    validate.__module__ = module
    before = catalog.REGISTRY.get(policy_id)
    try:
        options = {"description": "D.", "severity": "low", "service": "x", **kwargs}
        policy(id=policy_id, **options)(validate)
        return catalog.REGISTRY[policy_id]
    finally:  # leave the registry as it was
        if before is None:
            catalog.REGISTRY.pop(policy_id, None)
        else:
            catalog.REGISTRY[policy_id] = before


def test_a_policy_module_outside_a_pack_is_refused():
    for module in ("obsgov_policies.props", "obsgov_policies.tagging.sub.deep", "other.tagging.x"):
        with pytest.raises(ValueError, match="is not directly inside a pack package") as caught:
            _define(module, "obsgov-x-y-z")
        assert str(caught.value) == (
            f"policy module {module} is not directly inside a pack package "
            "(obsgov_policies.<pack>.<policy>)"
        )


def test_pack_comes_from_the_module():
    spec = _define("obsgov_policies.security_baseline.require_x", "obsgov-x-y-z")
    assert (spec.pack, spec.module) == (
        "security-baseline",
        "obsgov_policies.security_baseline.require_x",
    )


def test_duplicate_ids_are_refused():
    existing = next(iter(load_all()))
    with pytest.raises(ValueError, match="^duplicate policy id ") as caught:
        _define("obsgov_policies.tagging.x", existing, service=existing.split("-")[1])
    assert str(caught.value) == f"duplicate policy id {existing}"
    assert load_all()[existing].module != "obsgov_policies.tagging.x"


class _Args:
    def __init__(self, resource_type):
        self.resource_type = resource_type


def test_resource_policies_run_only_for_their_types():
    spec = _define(
        "obsgov_policies.tagging.x",
        "obsgov-x-y-z",
        resource_types=["a:b/c:C"],
        applies_to=lambda t: t == "a:b/d:D",
    )
    for resource_type, expected in (
        ("a:b/c:C", ["called"]),
        ("a:b/d:D", ["called"]),
        ("e:f/g:G", []),
    ):
        found: list[str] = []
        spec.validate(_Args(resource_type), found.append)
        assert found == expected, resource_type


def test_stack_policies_are_called_as_they_are():
    spec = _define("obsgov_policies.tagging.x", "obsgov-x-y-z", kind="stack")
    found: list[str] = []
    spec.validate(object(), found.append)
    assert found == ["called"]


def test_build_carries_the_metadata_to_the_sdk():
    spec = _define(
        "obsgov_policies.security_baseline.x",
        "obsgov-x-y-z",
        controls=[Control(FSBP, "S3.5"), Control(CIS, "1.16")],
        remediation="Fix it.",
        config={"limit": {"type": "integer", "default": 3}, "name": {"type": "string"}},
        required_config=["name"],
    )
    built = spec.build()
    assert isinstance(built, ResourceValidationPolicy)
    assert (built.name, built.description, built.enforcement_level) == (
        "obsgov-x-y-z",
        "D.",
        EnforcementLevel.ADVISORY,
    )
    assert built.severity is not None
    assert built.severity.value == "low"
    assert built.remediation_steps == "Fix it."
    assert built.tags == [
        "x",
        "security-baseline",
        "AWS Foundational Security Best Practices S3.5",
        "CIS AWS Foundations Benchmark 1.16",
    ]
    # one framework per framework field: CIS 1.16 is not an FSBP control (it is in the tags)
    assert built.framework is not None
    assert built.config_schema is not None
    assert (built.framework.name, built.framework.reference, built.framework.specification) == (
        FSBP,
        "S3.5",
        "AWS Foundational Security Best Practices S3.5",
    )
    assert built.config_schema.properties == spec.config_properties
    assert built.config_schema.required == ["name"]
    assert spec.config_defaults() == {"limit": 3}


def test_build_without_options_leaves_them_out():
    built = _define("obsgov_policies.tagging.x", "obsgov-x-y-z", kind="stack").build()
    assert isinstance(built, StackValidationPolicy)
    assert (built.config_schema, built.framework, built.remediation_steps) == (None, None, None)
    assert built.tags == ["x", "tagging"]


def test_build_with_config_but_nothing_required():
    spec = _define("obsgov_policies.tagging.x", "obsgov-x-y-z", config={"a": {"type": "string"}})
    assert spec.build().config_schema.required is None
    assert isinstance(spec, PolicySpec)


@pytest.mark.parametrize(
    ("policy_id", "options", "message"),
    [
        ("obsgov-x-y", {}, "policy id obsgov-x-y must read obsgov-x-<resource>-<rule>"),
        (
            "obsgov-s3-bucket-rule",
            {},
            "policy id obsgov-s3-bucket-rule must read obsgov-x-<resource>-<rule>",
        ),
        ("obsgov-x-Y-z", {}, "policy id obsgov-x-Y-z must read obsgov-x-<resource>-<rule>"),
        (
            "obsgov-x-y-z",
            {"severity": "urgent"},
            "policy obsgov-x-y-z: severity urgent is not one of low, medium, high, critical",
        ),
        (
            "obsgov-x-y-z",
            {"kind": "account"},
            "policy obsgov-x-y-z: kind account is not resource or stack",
        ),
    ],
)
def test_ids_severities_and_kinds_are_checked_at_registration(policy_id, options, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _define("obsgov_policies.tagging.x", policy_id, **options)
    assert policy_id not in catalog.REGISTRY


def test_a_registered_policy_is_in_the_registry_with_its_types():
    def validate(args, report_violation):
        return None

    validate.__module__ = "obsgov_policies.tagging.x"
    try:
        registered = policy(
            id="obsgov-x-y-z",
            description="D.",
            severity="low",
            service="x",
            resource_types=["a:b/c:C", "a:b/d:D"],
        )(validate)
        # the decorator gives the function back, for its tests to call directly
        assert registered is validate
        spec = catalog.REGISTRY["obsgov-x-y-z"]
        assert spec.module == "obsgov_policies.tagging.x"
        assert spec.resource_types == ("a:b/c:C", "a:b/d:D")
    finally:
        catalog.REGISTRY.pop("obsgov-x-y-z", None)
