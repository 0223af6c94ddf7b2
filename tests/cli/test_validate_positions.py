"""`obsgov validate` places each problem at the line and column of its key (issue 36), as
``file:line:column`` and, in a GitHub Actions job, as an error annotation on that line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.positions import Position, github_annotation, key_positions, locate
from obsgov.errors import Problem


def _validate(env, monkeypatch, github: bool = False):
    monkeypatch.chdir(env.directory.parent)
    if github:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return CliRunner().invoke(app, ["validate", "--stack", "dev", "--stacks-dir", "stacks"])


def _where(text: str, needle: str, key: str) -> tuple[int, int]:
    """1-based line and column of ``key`` on the one line of ``text`` that holds ``needle``."""
    [number] = [i for i, line in enumerate(text.split("\n"), 1) if needle in line]
    return number, text.split("\n")[number - 1].index(key) + 1


def test_a_bad_registry_value_is_placed_at_its_key(scenario, monkeypatch):
    env = scenario()
    env.accounts[1]["id"] = "12345"
    env.write()
    text = (env.directory / "accounts.yaml").read_text()
    line, column = _where(text, "'12345'", "id")
    result = _validate(env, monkeypatch)
    assert result.exit_code == 2
    assert (
        "  stacks/accounts.yaml: accounts[1].id: must be 12 ASCII digits (0-9)\n"
        f"    at stacks/accounts.yaml:{line}:{column}\n"
    ) in result.output
    assert "::error" not in result.output


def test_a_bad_config_value_is_placed_at_its_key(scenario, monkeypatch):
    env = scenario()
    env.write()
    text = env.stack_file.read_text().replace(
        "  obsgov:environment: dev\n", "  obsgov:environment: dev\n  obsgov:logRetentionDays: 17\n"
    )
    env.stack_file.write_text(text)
    line, column = _where(text, "logRetentionDays: 17", "obsgov:logRetentionDays")
    result = _validate(env, monkeypatch)
    assert result.exit_code == 2
    assert f"    at stacks/Pulumi.dev.yaml:{line}:{column}\n" in result.output


def test_a_missing_key_is_placed_at_the_entry_that_lacks_it(scenario, monkeypatch):
    env = scenario()
    del env.accounts[1]["owner"]
    env.write()
    text = (env.directory / "accounts.yaml").read_text()
    line, column = _where(text, "'200000000002'", "id")
    result = _validate(env, monkeypatch)
    assert result.exit_code == 2
    assert "accounts[1].owner" in result.output
    # the entry's first key: where the mapping that lacks it starts
    assert f"    at stacks/accounts.yaml:{line}:{column}\n" in result.output


def test_in_github_actions_each_problem_is_an_annotation_on_its_line(scenario, monkeypatch):
    env = scenario()
    env.accounts[1]["id"] = "12345"
    env.accounts[0]["organizationalUnit"] = "nowhere"
    env.write()
    text = (env.directory / "accounts.yaml").read_text()
    id_line, id_column = _where(text, "'12345'", "id")
    ou_line, ou_column = _where(text, "nowhere", "organizationalUnit")
    result = _validate(env, monkeypatch, github=True)
    assert result.exit_code == 2
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(annotations) == 2
    assert (
        f"::error file=stacks/accounts.yaml,line={id_line},col={id_column},"
        "title=accounts[1].id::must be 12 ASCII digits (0-9)"
    ) in annotations
    [unit] = [a for a in annotations if "organizationalUnit" in a]
    assert unit.startswith(
        f"::error file=stacks/accounts.yaml,line={ou_line},col={ou_column},"
        "title=accounts[0].organizationalUnit::unknown organizational unit 'nowhere'"
    )


def test_annotation_properties_and_messages_are_escaped():
    problem = Problem("stacks/a,b.yaml", "config.obsgov:x", "50% off\nnext line")
    assert github_annotation(problem, Position("stacks/a,b.yaml", 3, 5)) == (
        "::error file=stacks/a%2Cb.yaml,line=3,col=5,title=config.obsgov%3Ax::50%25 off%0Anext line"
    )
    assert github_annotation(Problem("f.yaml", "", "bad"), None) == "::error file=f.yaml::bad"


def test_positions_of_keys_and_list_items():
    text = "a:\n  b:\n    - x: 1\n    - y: 2\n"
    assert key_positions(text) == {
        "a": (1, 1),
        "a.b": (2, 3),
        "a.b[0]": (3, 7),
        "a.b[0].x": (3, 7),
        "a.b[1]": (4, 7),
        "a.b[1].y": (4, 7),
    }


@pytest.mark.parametrize(
    "text",
    ["a: [unclosed\n", "", "# only a comment\n"],
    ids=["invalid", "empty", "comment"],
)
def test_a_file_that_does_not_parse_places_nothing(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert locate(Problem(str(path), "a.b", "bad")) is None


def test_nested_aliases_are_walked_once_per_node(tmp_path):
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]" for i in range(1, 30)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    # 5**29 paths if aliases were expanded; one visit per node here. An alias's items are
    # placed where the anchored node is written.
    position = locate(Problem(str(path), "l29[4][0]", "bad"))
    assert position is not None
    assert position.line < 30
    assert locate(Problem(str(path), "l29[4]", "bad")) is not None
