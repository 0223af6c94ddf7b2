"""One generated page per policy under docs/policies/, linked from every SARIF rule.

The committed pages must be what the catalog generates today: a policy added, renamed or
reworded without rerunning the generator fails here. The SARIF rules of obsgov's packs link the
page (helpUri) and carry its text (help.markdown); their framework field names one framework's
controls only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from obsgov.reports import policy_docs
from obsgov.reports.policy_docs import PAGES, docs_url, expected_pages, stale_pages

from .conftest import ROOT, cli

TEAMS = ROOT / "tests" / "fixtures" / "team_projects"


def test_the_committed_pages_are_what_the_catalog_generates():
    assert stale_pages() == [], "run: python -m obsgov.reports.policy_docs"


def test_a_stale_a_missing_and_a_left_over_page_are_each_named(tmp_path):
    for name, text in expected_pages().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "obsgov-kms-key-require-rotation.md").write_text("# edited by hand\n")
    (tmp_path / "obsgov-sns-topic-require-kms.md").unlink()
    (tmp_path / "obsgov-old-policy-gone.md").write_text("# gone\n")
    assert stale_pages(tmp_path) == [
        "stale: obsgov-kms-key-require-rotation.md",
        "missing: obsgov-sns-topic-require-kms.md",
        "left over: obsgov-old-policy-gone.md",
    ]


def test_the_check_command_exits_1_on_stale_pages_and_0_when_current(tmp_path, monkeypatch):
    done = subprocess.run(
        [sys.executable, "-m", "obsgov.reports.policy_docs", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    monkeypatch.setattr(policy_docs, "PAGES", tmp_path)
    assert policy_docs.main(["--check"]) == 1
    assert policy_docs.main(["--bogus"]) == 2


def test_every_policy_says_what_why_how_to_fix_and_its_controls():
    pages = expected_pages()
    from obsgov_policies.catalog import load_all

    for spec in load_all().values():
        page = pages[f"{spec.id}.md"]
        for heading in ("## What it checks", "## Why", "## How to fix", "## Controls"):
            assert heading in page, (spec.id, heading)
        why = page.split("## Why\n\n", 1)[1].split("\n", 1)[0]
        assert len(why.split()) >= 10, spec.id
        for control in spec.controls:
            assert f"[{control.control_id}](https://docs.aws.amazon.com/securityhub/" in page
    admin = pages["obsgov-iam-policy-disallow-full-admin.md"]
    assert (
        "AWS Foundational Security Best Practices [IAM.1](https://docs.aws.amazon.com/"
        "securityhub/latest/userguide/iam-controls.html#iam-1)" in admin
    )
    assert "CIS AWS Foundations Benchmark [1.16](" in admin
    # the index lists every page
    index = pages["README.md"]
    assert sorted(re.findall(r"\]\(([^)]+\.md)\)", index)) == sorted(
        name for name in pages if name != "README.md"
    )


def test_a_policy_without_a_why_is_refused(monkeypatch):
    monkeypatch.setattr(policy_docs, "load_why", lambda: {})
    with pytest.raises(ValueError, match="has no entry for obsgov-"):
        expected_pages()


def test_the_docs_url_follows_the_environment(monkeypatch):
    monkeypatch.delenv(policy_docs.DOCS_URL_VARIABLE, raising=False)
    assert docs_url("obsgov-x-y-z") == (
        "https://github.com/example-org/obsgov/blob/main/docs/policies/obsgov-x-y-z.md"
    )
    monkeypatch.setenv(policy_docs.DOCS_URL_VARIABLE, "https://git.example.com/p/obsgov/docs/")
    assert docs_url("obsgov-x-y-z") == "https://git.example.com/p/obsgov/docs/obsgov-x-y-z.md"


@pytest.fixture(scope="module")
def team_sarif(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("docs") / "gate.sarif"
    result = cli(
        "preview",
        "--project",
        str(TEAMS / "checkout-api"),
        "--stack",
        "prod",
        "--environment",
        "prod",
        "--stack-outputs",
        f"organization/network/prod={TEAMS / 'checkout-api' / 'network-prod.json'}",
        "--format",
        "sarif",
        "--output",
        str(out),
    )
    assert result.exit_code == 1, result.output
    return json.loads(out.read_text())


def test_every_obsgov_rule_links_its_page_and_carries_its_text(team_sarif):
    rules = team_sarif["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) >= 30
    pages = expected_pages()
    for rule in rules:
        policy = rule["id"].split("/", 1)[1]
        assert rule["helpUri"] == docs_url(policy)
        assert (PAGES / f"{policy}.md").is_file()
        page = pages[f"{policy}.md"]
        assert page.endswith(rule["help"]["markdown"]), policy
        assert rule["help"]["text"]


def test_the_framework_field_never_mixes_two_frameworks(team_sarif):
    from obsgov.environment_report.compliance import parse_control

    rules = {r["id"]: r for r in team_sarif["runs"][0]["tool"]["driver"]["rules"]}
    for rule in rules.values():
        framework = rule["properties"].get("framework")
        if not framework:
            continue
        for control in framework["reference"].split(", "):
            parsed = parse_control(f"{framework['name']} {control}")
            assert parsed is not None, control
            listed = rule["properties"]["controls"][parsed.framework]
            assert control in listed, (rule["id"], control)
        assert all(
            part.strip().startswith(framework["name"])
            for part in framework.get("specification", "").split(";")
        )
    admin = rules["obsgov-security-baseline/obsgov-iam-policy-disallow-full-admin"]["properties"]
    assert admin["framework"]["reference"] == "IAM.1"
    assert admin["controls"] == {"CIS": ["1.16"], "FSBP": ["IAM.1"]}
