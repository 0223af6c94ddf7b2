"""JUnit XML read as Jenkins-style consumers read it: a strict XML parser and the junit-10 XSD.

The noisy pack's messages carry ANSI colours, a window-title escape, a bell and a NUL: one of
them in the document and it is not well-formed, and the whole report is lost.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult
from obsgov.graph import ResourceGraph
from obsgov.reports.junit import classname, to_junit

from .conftest import DATA, ROOT

POLICIES = ["alarm-runbook", "key-rotation", "never-called", "stack-summary", "owner-tag"]


def strict_parse(text: str) -> etree._Element:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.fromstring(text.encode("utf-8"), parser)


def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))


@pytest.fixture(scope="module")
def doc(noisy) -> etree._Element:
    return strict_parse(noisy["junit"])


@pytest.fixture(scope="module")
def said(noisy) -> dict:
    return json.loads(noisy["json"])["packs"][0]


@pytest.fixture(scope="module")
def cases(doc) -> dict:
    return {c.get("name"): c for c in doc.iter("testcase")}


def test_the_strict_parser_rejects_what_a_pack_prints_raw():
    """The parser below is strict: raw pack output in a document fails it."""
    for raw in ("\x1b[31mred\x1b[0m", "bell\x07", "nul\x00"):
        with pytest.raises(etree.XMLSyntaxError):
            strict_parse(
                f"<testsuites><testsuite name='x' tests='0'>{raw}</testsuite></testsuites>"
            )


def test_the_xsd_rejects_reports_that_break_the_dialect():
    schema = junit_schema()
    assert not schema.validate(strict_parse("<testsuites><testsuite tests='1'/></testsuites>"))
    assert not schema.validate(
        strict_parse(
            "<testsuites><testsuite name='s' tests='1'><testcase name='c' time='soon'/>"
            "</testsuite></testsuites>"
        )
    )
    assert not schema.validate(
        strict_parse(
            "<testsuites><testsuite name='s' tests='1'><testcase name='c'><system-out/>"
            "<failure/></testcase></testsuite></testsuites>"
        )
    )


def test_report_with_control_characters_is_well_formed_and_valid(noisy, doc):
    junit_schema().assertValid(doc)
    for char in ("\x1b", "\x07", "\x00"):
        assert char not in noisy["junit"]
    assert noisy["junit"].startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites")


def test_totals_on_the_root_and_each_suite(doc, said):
    suites = doc.findall("testsuite")
    assert doc.tag == "testsuites"
    assert len(suites) == 1
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
        assert float(suite.get("time")) > 0
    for key in ("tests", "failures", "errors", "skipped"):
        assert doc.get(key) == str(sum(int(s.get(key)) for s in suites)), key
    # one case per policy and resource: every resource a policy reported (or remediated)
    pairs = {(v["policy"], v["urn"]) for v in said["violations"]}
    pairs |= {(r["policy"], r["urn"]) for r in said["remediations"]}
    mandatory = {(v["policy"], v["urn"]) for v in said["violations"] if v["level"] == "mandatory"}
    assert int(doc.get("tests")) == len(pairs) + 1  # and the disabled policy's one case
    assert int(doc.get("failures")) == len(mandatory)
    assert (doc.get("errors"), doc.get("skipped")) == ("0", "1")
    assert float(doc.get("time")) > 0
    assert all(case.get("time") is not None for case in doc.iter("testcase"))


def case_name(policy: str, violation: dict) -> str:
    kind = violation["type"].split(":")
    shown = f"{kind[0]}:{kind[1].split('/')[0]}:{kind[2]}"
    return f"{policy} ({shown}: {violation['name']})"


def test_names_are_stack_pack_policy_and_resource_without_versions(doc, cases, said):
    assert [s.get("name") for s in doc.findall("testsuite")] == ["obsgov.prod.noisy"]
    expected = {case_name(v["policy"], v) for v in said["violations"]}
    assert expected <= set(cases)
    assert "never-called" in cases  # disabled: one case for the policy
    assert {c.get("classname") for c in cases.values()} == {"obsgov.prod.noisy"}
    assert "2.0.0" not in doc.find("testsuite").get("name")


def test_each_failure_is_its_resources_case_with_its_file_and_line(cases, said):
    mandatory = [
        v
        for v in said["violations"]
        if v["level"] == "mandatory" and v["policy"] == "alarm-runbook"
    ]
    assert len(mandatory) >= 20
    for v in mandatory:
        case = cases[case_name("alarm-runbook", v)]
        failure = case.find("failure")
        assert failure.get("type") == "mandatory"
        found = re.search(r"alarm (\S+) has no runbook", v["message"])
        assert found is not None, v["message"]
        physical = found.group(1)
        assert failure.get("message") == (
            f"1 mandatory violation: alarm {physical} has no runbook: set alarmDescription to "
            "a runbook URL so that whoever is paged knows what to do (see docs)"
        )
        body = failure.text.split("\n")
        assert body[0] == (
            f"[mandatory] (aws:cloudwatch:MetricAlarm: {v['name']}) alarm {physical} "
            "has no runbook: set alarmDescription to a runbook URL so that whoever "
            "is paged knows what to do (see docs)"
        )
        assert body[1] == f"    urn: {v['urn']}"
        location = v["location"]
        assert (case.get("file"), case.get("line")) == (location["file"], str(location["line"]))
        assert body[2] == f"    at {location['file']}:{location['line']} ({location['what']})"
        line = (ROOT / case.get("file")).read_text().split("\n")[int(case.get("line")) - 1]
        assert line.strip()
        assert not line.strip().startswith("#")


def test_remediations_are_labelled_as_remediations_and_pass(cases, said):
    for r in said["remediations"]:
        name = r["urn"].rsplit("::", 1)[-1]
        case = cases[f"owner-tag (aws:sns:Topic: {name})"]
        assert case.find("failure") is None
        assert case.find("skipped") is None
        lines = case.find("system-out").text.split("\n")
        assert lines[0] == f"[remediate] ({name}) would change tags"
        assert case.get("file")
        assert int(case.get("line")) >= 1


def test_advisory_findings_pass_with_their_level(cases, said):
    advisory = [v for v in said["violations"] if v["policy"] == "key-rotation"]
    assert advisory
    for v in advisory:
        case = cases[case_name("key-rotation", v)]
        assert case.find("failure") is None
        text = case.find("system-out").text
        assert text.startswith(f"[advisory] (aws:kms:Key: {v['name']}) key rotation is not enabled")


def test_disabled_policies_are_skipped(cases):
    skipped = cases["never-called"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "disabled by the policy config"


def test_a_failed_pack_is_an_error_and_its_policies_are_not_passed(crashed):
    doc = strict_parse(crashed["junit"])
    junit_schema().assertValid(doc)
    [suite] = doc.findall("testsuite")
    assert suite.get("name") == "obsgov.prod.crash-at-start"
    [case] = suite.findall("testcase")
    assert case.get("name") == "policy-pack"
    error = case.find("error")
    assert error.get("type") == "pack-error"
    assert "this pack cannot load its policies" in error.text
    assert (doc.get("tests"), doc.get("errors"), doc.get("failures")) == ("1", "1", "0")


def test_class_names_have_no_dots_inside_their_parts(tmp_path: Path):
    project = PolicyPackProject(directory=tmp_path / "pack", runtime="python")
    pack = PackResult(project=project, name="acme.tags\x1b[0m", version="1.0.0")
    assert classname("eu.prod", pack) == "obsgov.eu-prod.acme-tags"
    graph = ResourceGraph(project="obsgov", stack="eu.prod", preview=True, resources=[])
    doc = strict_parse(to_junit(GateRun(graph=graph, packs=[pack], seconds=0.5)))
    junit_schema().assertValid(doc)
    assert doc.find("testsuite").get("name") == "obsgov.eu-prod.acme-tags"
