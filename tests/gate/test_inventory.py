"""The organisation's physical-name inventory: what each environment claims, all judged
together, and handed to each environment's deploy-readiness pack as otherStacks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.errors import InputError
from obsgov.gate import inventory as inv
from obsgov.gate.environment_layer import environment_facts, producer_contracts
from tests.conftest import STACKS

ENVIRONMENTS = ("dev", "org", "prod", "staging")


@pytest.fixture(scope="module")
def shipped(request):
    from tests.conftest import _example_graph

    return inv.Inventory({e: inv.stack_claims(_example_graph(e, True)) for e in ENVIRONMENTS})


def test_the_committed_inventory_is_what_the_stacks_make(shipped):
    # stale names would let a collision through: rerun `obsgov policy inventory` after a
    # change to the program or the stacks
    committed = inv.load_inventory(inv.inventory_path(STACKS))
    assert committed is not None
    assert committed.to_json() == shipped.to_json()


def test_judging_every_environment_finds_the_shared_central_accounts(shipped):
    findings = inv.judge_all(shipped)
    heads = sorted(f.split(":")[0] for f in findings)
    # the OAM sink and catalog encryption settings are the organisation stack's alone
    # (stacks/Pulumi.org.yaml, tests/synth/test_stacks.py)
    # and the shared registry's model package groups have one owner, staging, the first of
    # the promotion order (issue 29): prod no longer creates them
    assert heads == []


def test_each_environment_gets_the_others_claims_and_its_producer_contracts(example_env):
    env = example_env("prod")
    facts = environment_facts(env)
    assert [s["stack"] for s in facts["otherStacks"]] == ["dev", "org", "staging"]
    contracts = producer_contracts(env)
    assert {"namespace": "Obsgov/Pipelines", "owner": "data-eng@example.com"}.items() <= (
        contracts[0].items()
    )
    assert contracts[0]["dimensions"] == {"Pipeline": contracts[0]["dimensions"]["Pipeline"]}
    assert all(c["owner"] for c in contracts)


def test_a_malformed_inventory_is_bad_input_naming_the_key(tmp_path):
    path = tmp_path / "physical-names.json"
    path.write_text(json.dumps({"formatVersion": 1, "stacks": {"dev": [["a"]]}}))
    with pytest.raises(InputError) as raised:
        inv.load_inventory(path)
    assert [(p.key_path, p.message) for p in raised.value.problems] == [
        ("stacks.dev", "expected a list of 6-string claims")
    ]
    path.write_text(json.dumps({"formatVersion": 2, "stacks": {}}))
    with pytest.raises(InputError):
        inv.load_inventory(path)
    assert inv.load_inventory(tmp_path / "none.json") is None


def test_the_inventory_round_trips_one_claim_a_line():
    inventory = inv.Inventory({"b": [["t", "1", "r", "", "n", "x"]], "a": []})
    text = inventory.to_json()
    assert json.loads(text) == {
        "formatVersion": 1,
        "stacks": {"a": [], "b": [["t", "1", "r", "", "n", "x"]]},
    }
    assert '      ["t", "1", "r", "", "n", "x"]\n' in text


@pytest.mark.parametrize(
    ("claims", "code"), [([], 0), ([["aws:oam/sink:Sink", "1", "r", "", "*", "x"]] * 2, 1)]
)
def test_the_command_writes_checks_and_exits_1_on_collisions(tmp_path, monkeypatch, claims, code):
    monkeypatch.setattr(inv, "build_inventory", lambda directory: inv.Inventory({"dev": claims}))
    out = tmp_path / "names.json"
    result = CliRunner().invoke(app, ["policy", "inventory", "--out", str(out)])
    assert result.exit_code == code, result.output
    assert json.loads(out.read_text())["stacks"] == {"dev": claims}
    checked = CliRunner().invoke(app, ["policy", "inventory", "--out", str(out), "--check"])
    assert checked.exit_code == code
    out.write_text(inv.Inventory({}).to_json())
    stale = CliRunner().invoke(app, ["policy", "inventory", "--out", str(out), "--check"])
    assert stale.exit_code == 1
    assert "is not what the stacks make now" in stale.output


def test_the_command_writes_its_own_file_in_the_stacks_folder(tmp_path, monkeypatch):
    # stacks/ is a folder obsgov writes no output into, except this command's own file
    monkeypatch.setattr(inv, "build_inventory", lambda directory: inv.Inventory({"dev": []}))
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    result = CliRunner().invoke(app, ["policy", "inventory", "--stacks-dir", str(stacks)])
    assert result.exit_code == 0, result.output
    assert json.loads(inv.inventory_path(stacks).read_text())["stacks"] == {"dev": []}
    elsewhere = stacks / "Pulumi.dev.yaml"
    refused = CliRunner().invoke(
        app, ["policy", "inventory", "--stacks-dir", str(stacks), "--out", str(elsewhere)]
    )
    assert refused.exit_code == 2
    assert not elsewhere.exists()
