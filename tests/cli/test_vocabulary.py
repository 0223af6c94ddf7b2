"""One CLI vocabulary (issue 36): every flag means one thing across commands, the old
spellings still parse without being shown, and what people read fits 80 columns."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.cli.common import HIDDEN_ALIASES, AliasedOption
from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult
from obsgov.graph import GraphResource, ResourceGraph
from obsgov.reports import render_text

from ..support.environments import ROOT


def _commands(command, prefix=()):
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*prefix, name))
    else:
        yield prefix, command


COMMANDS = dict(_commands(typer.main.get_command(app)))


def options(command):
    return [p for p in command.params if getattr(p, "param_type_name", "") == "option"]


def shown(param) -> list[str]:
    return param._shown() if isinstance(param, AliasedOption) else list(param.opts)


def help_of(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_each_short_flag_stands_for_one_long_flag_everywhere():
    meanings: dict[str, set[str]] = defaultdict(set)
    for command in COMMANDS.values():
        for param in options(command):
            visible = shown(param)
            longs = [o for o in visible if o.startswith("--")]
            for short in (o for o in visible if not o.startswith("--")):
                meanings[short].add(longs[0])
    assert {s: m for s, m in meanings.items() if len(m) > 1} == {}
    # the Pulumi CLI's spellings: -s is --stack, -o the file written, -c a config value
    assert meanings["-s"] == {"--stack"}
    assert meanings["-o"] == {"--output"}
    assert meanings["-c"] == {"--config"}


def test_the_environment_is_named_by_stack_and_files_written_by_output():
    for path, command in COMMANDS.items():
        for param in options(command):
            visible = shown(param)
            # the old names are never shown (they still parse: below)
            assert "--env" not in visible, path
            assert "--out" not in visible, path
            if param.name in ("env_name", "stack"):
                assert visible[:2] == ["--stack", "-s"], path
            if (
                param.metavar == "FILE"
                and not param.is_flag
                and param.name
                in (
                    "output",
                    "out_file",
                    "json_file",
                )
            ):
                assert visible[0] == "--output", path


# (command, the spelling a user of an earlier release typed, the spelling it now is)
OLD_SPELLINGS = [
    (("validate",), "--env", "--stack"),
    (("validate",), "-e", "--stack"),
    (("accounts", "list"), "--env", "--stack"),
    (("accounts", "onboard"), "-e", "--stack"),
    (("models", "check"), "--env", "--stack"),
    (("opensearch", "bootstrap"), "--env", "--stack"),
    (("registry", "snapshot"), "--env", "--stack"),
    (("org", "prepare"), "--env", "--stack"),
    (("workloads", "add"), "--env", "--stack"),
    (("report",), "--out", "--output"),
    (("drift", "baseline"), "--out", "--output"),
    (("policy", "inventory"), "--out", "--output"),
    (("policy", "bundle"), "--out", "--out-dir"),
    (("synth",), "--json", "--output"),
]


@pytest.mark.parametrize(("path", "old", "new"), OLD_SPELLINGS, ids=lambda v: " ".join(v))
def test_an_old_spelling_is_a_hidden_alias_of_the_new(path, old, new):
    [param] = [p for p in options(COMMANDS[path]) if new in p.opts]
    assert old in param.opts
    assert old in HIDDEN_ALIASES[new]
    text = help_of(*path)
    assert re.search(rf"(^|[ ,]){re.escape(new)}\b", text, re.MULTILINE)
    assert not re.search(rf"(^|[ ,]){re.escape(old)}( |,|$)", text, re.MULTILINE), text


def test_validate_accepts_env_as_the_issue_tried_it():
    for spelling in ("--env", "-e", "--stack", "-s"):
        result = CliRunner().invoke(app, ["validate", spelling, "prod"])
        assert result.exit_code == 0, (spelling, result.output)
    unknown = CliRunner().invoke(app, ["validate", "--env", "nope"])
    assert unknown.exit_code == 2
    assert "--stack: no stack 'nope'" in unknown.output


def test_accounts_list_keeps_names_and_addresses_whole_in_80_columns():
    result = CliRunner().invoke(app, ["accounts", "list"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = set(result.output.split())
    rows = json.loads(CliRunner().invoke(app, ["accounts", "list", "--json"]).output)
    for row in rows:
        assert {row["name"], row["id"], row["costCentre"]} <= words
        assert f"{row['owner']}," in words or row["owner"] in words
    assert lines[-1] == f"{len(rows)} accounts"


def test_a_wide_terminal_shows_the_accounts_table(monkeypatch):
    from obsgov.cli import accounts

    # the console's width is fixed when it is made; a terminal of 120 columns gives it 120
    monkeypatch.setattr(accounts.out, "_width", 120)
    result = CliRunner().invoke(app, ["accounts", "list", "-s", "prod"])
    assert result.output.split("\n")[0].split() == [
        "id",
        "name",
        "env",
        "OU",
        "owner",
        "cost",
        "centre",
    ]


def test_one_pack_and_one_resource_are_singular():
    graph = ResourceGraph(
        project="obsgov",
        stack="dev",
        preview=True,
        resources=[GraphResource(urn="urn:x", type="aws:sns/topic:Topic", name="t", custom=True)],
    )
    run = GateRun(
        graph=graph,
        packs=[
            PackResult(
                project=PolicyPackProject(directory=ROOT / "policies/tagging", runtime="python")
            )
        ],
        seconds=0.5,
    )
    buffer = io.StringIO()
    render_text(run, Console(file=buffer, width=80, color_system=None))
    assert buffer.getvalue().rstrip().split("\n")[-1] == (
        "PASSED: 1 resource of obsgov/dev judged by 1 pack in 0.50s"
    )


def test_preview_and_report_count_the_same_resources(tmp_path):
    preview = CliRunner().invoke(app, ["preview", "--stack", "dev"])
    [judged] = re.findall(r"(\d+) resources of obsgov/dev judged", preview.output)
    report = CliRunner().invoke(
        app, ["report", "--stack", "dev", "--format", "json", "--output", str(tmp_path / "r.json")]
    )
    assert report.exit_code == 0, report.output
    [written, in_aws] = re.findall(
        r"report to \S+: (\d+) resources \((\d+) in AWS\)", report.output
    )[0]
    data = json.loads((tmp_path / "r.json").read_text())
    assert written == judged == str(data["resourceCount"])
    assert int(in_aws) == len(data["inventory"]) < int(judged)
