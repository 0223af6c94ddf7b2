"""Where SARIF results point when the file is not the example registry: a state file, a
project without git, a file outside any repository."""

from __future__ import annotations

import json
from pathlib import Path

from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult, Violation
from obsgov.graph import GraphResource, ResourceGraph
from obsgov.reports import to_sarif
from obsgov.reports.locations import repository_root

ROOT = Path(__file__).resolve().parents[2]

TOPIC = "aws:sns/topic:Topic"
URN = f"urn:pulumi:prod::obsgov::{TOPIC}::alarms"


def one_violation_run(tmp_path: Path) -> GateRun:
    graph = ResourceGraph(
        project="obsgov",
        stack="prod",
        preview=False,
        resources=[
            GraphResource(urn=URN, type=TOPIC, name="alarms", custom=True, account="400000000001")
        ],
    )
    pack = PackResult(
        project=PolicyPackProject(directory=tmp_path / "pack", runtime="python"),
        name="p",
        version="1.0.0",
        violations=[
            Violation(
                pack="p",
                pack_version="1.0.0",
                policy="topic-kms",
                description="Topics are encrypted.",
                message="Topics are encrypted.\nno key",
                level="mandatory",
                severity="high",
                urn=URN,
                resource_type=TOPIC,
                resource_name="alarms",
                phase="analyze",
            )
        ],
    )
    return GateRun(graph=graph, packs=[pack], seconds=0.1)


def state_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prod state.json"
    path.write_text(
        json.dumps(
            {
                "version": 3,
                "deployment": {
                    "resources": [
                        {"urn": "urn:pulumi:prod::obsgov::pulumi:pulumi:Stack::obsgov-prod"},
                        {"urn": URN, "type": TOPIC},
                    ]
                },
            },
            indent=2,
        )
        + "\n"
    )
    return path


def physical(sarif: dict) -> dict:
    return sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]


def test_a_state_file_in_a_repository_points_at_the_resource(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    state = state_file(repo / "exports")
    monkeypatch.chdir(tmp_path)  # not the repository: URIs must not depend on it
    sarif = to_sarif(one_violation_run(tmp_path), state)
    location = physical(sarif)
    assert location["artifactLocation"] == {
        "uri": "exports/prod%20state.json",
        "uriBaseId": "%SRCROOT%",
    }
    lines = state.read_text().split("\n")
    assert lines[location["region"]["startLine"] - 1].strip() == f'"urn": "{URN}",'
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"


def test_a_project_without_git_is_rooted_at_its_pulumi_yaml(tmp_path):
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: obsgov\nruntime: python\n")
    registry = project / "stacks" / "accounts.yaml"
    registry.write_text('accounts:\n  - id: "400000000001"\n    name: ml-serving-prod\n')
    assert repository_root(registry) == project.resolve()
    location = physical(to_sarif(one_violation_run(tmp_path), registry))
    assert location["artifactLocation"] == {"uri": "stacks/accounts.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 2, "startColumn": 5, "endLine": 3, "endColumn": 26}


def test_a_file_outside_any_repository_keeps_its_absolute_uri(tmp_path):
    state = state_file(tmp_path / "loose")
    assert repository_root(state) is None
    sarif = to_sarif(one_violation_run(tmp_path), state)
    assert physical(sarif)["artifactLocation"] == {"uri": state.resolve().as_uri()}
    assert "originalUriBaseIds" not in sarif["runs"][0]


def test_a_symlinked_file_is_reported_at_its_target(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    target = state_file(repo / "exports")
    link = repo / "latest.json"
    link.symlink_to(target)
    location = physical(to_sarif(one_violation_run(tmp_path), link))
    assert location["artifactLocation"]["uri"] == "exports/prod%20state.json"


# --------------------------------------------------------------------------- the holders index


def test_the_holders_index_counts_what_testing_every_resource_counts(example_graph):
    """Counting a value's holders through the index gives the count of testing every resource
    (the index only narrows the candidates), for every value of the shipped prod stack's
    config and registry, on the prod graph."""
    from obsgov.reports.locations import Locator, SourceFiles

    graph = example_graph("prod", True)
    sources = SourceFiles(
        registry=ROOT / "stacks" / "accounts.yaml",
        config=[ROOT / "stacks" / "Pulumi.prod.yaml", ROOT / "stacks" / "organization.yaml"],
    )
    locator = Locator(sources, graph)
    assert locator.registry is not None
    leaves = [*locator.leaves, *locator.registry.leaves]
    assert len(leaves) > 400
    counted = 0
    for leaf in leaves:
        brute = sum(1 for r in graph.custom_resources() if locator.held(r).holds(leaf))
        assert locator.holders(leaf) == brute, leaf.key_path
        counted += brute > 0
    assert counted > 100  # the values resources hold, not only ones nobody holds


def test_a_file_rewritten_in_the_same_process_is_read_again(tmp_path):
    """Files are read and composed once per version: a rewrite (new size or mtime) is seen."""
    import os

    from obsgov.reports.locations import line_region, yaml_file

    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - name: a\n")
    assert yaml_file(path).keys.get(("accounts",)) is not None
    assert line_region(path, 2).start_column == 3
    path.write_text("workloads:\n    - name: bb\n")
    os.utime(path, ns=(1, 1))
    assert yaml_file(path).keys.get(("accounts",)) is None
    assert yaml_file(path).keys.get(("workloads",)) is not None
    assert line_region(path, 2).start_column == 5


# --------------------------------------------------------------------------- pack config


def test_the_json_report_gives_a_large_pack_config_value_by_size_and_digest(tmp_path):
    """Values derived from the whole organisation (the physical-name inventory) grow with it;
    every stack's report carries its packs' config, so past the limit a value is its size and
    SHA-256, and the command that writes it whole. Small values stay as they are."""
    import hashlib

    from obsgov.reports.json import LARGEST_CONFIG_VALUE, to_json

    run = one_violation_run(tmp_path)
    names = [f"obsgov-prod-name-{i:05d}" for i in range(LARGEST_CONFIG_VALUE // 10)]
    run.packs[0].config = {
        "topic-kms": {"enforcementLevel": "mandatory", "names": names},
        "small": {"threshold": 30},
    }
    config = to_json(run)["packs"][0]["config"]
    text = json.dumps(names, sort_keys=True)
    assert config["topic-kms"]["enforcementLevel"] == "mandatory"
    assert config["topic-kms"]["names"] == {
        "omitted": f"{len(text):,} bytes of JSON; `obsgov policy config --stack prod` writes it",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    assert config["small"] == {"threshold": 30}
