"""``obsgov deploy --stack``: the environment's stack first, then its shards; a failed shard
does not stop the others and is reported; a failed central stack stops the shards (they read
its outputs). ``pulumi up`` itself needs the CLI and AWS: a stand-in records the calls."""

from __future__ import annotations

import threading
from dataclasses import replace

from obsgov.config.loader import load_environment
from obsgov.config.models.settings import MemberShards
from obsgov.gate.deploy import deploy_environment
from tests.conftest import STACKS


def _sharded(tmp_path, count=3):
    import shutil

    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    for n in range(count):
        (stacks / f"Pulumi.dev-members-{n}.yaml").write_text(
            f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: dev\n  obsgov:shard: {n}\n"
        )
    env = load_environment("dev", stacks / "Pulumi.dev.yaml")
    return replace(
        env, settings=env.settings.model_copy(update={"member_shards": MemberShards(count=count)})
    )


def test_a_failed_shard_does_not_stop_the_others(tmp_path):
    env = _sharded(tmp_path)
    calls: list[str] = []
    lock = threading.Lock()

    def up(stack, project, args):
        with lock:
            calls.append(stack)
        if stack == "dev-members-1":
            raise RuntimeError("AccessDenied in 400000000001")
        return "succeeded"

    results = deploy_environment(env, tmp_path, lambda s: ["--policy-pack", f"/p/{s}"], up)
    assert calls[0] == "dev"  # the central stack first
    assert sorted(calls) == ["dev", "dev-members-0", "dev-members-1", "dev-members-2"]
    assert [(r.stack, r.ok) for r in results] == [
        ("dev", True),
        ("dev-members-0", True),
        ("dev-members-1", False),
        ("dev-members-2", True),
    ]
    assert results[2].detail == "RuntimeError: AccessDenied in 400000000001"


def test_a_failed_central_stack_stops_the_shards(tmp_path):
    env = _sharded(tmp_path)

    def up(stack, project, args):
        raise RuntimeError("conflict")

    results = deploy_environment(env, tmp_path, lambda s: [], up)
    assert [(r.stack, r.ok) for r in results] == [("dev", False)]


def _sharded_folder(tmp_path, count=2):
    """A copy of the stacks whose dev is a central stack and ``count`` shards (on disk)."""
    import shutil

    root = tmp_path / "repo"
    stacks = root / "stacks"
    shutil.copytree(STACKS, stacks)
    (root / "policies").symlink_to(STACKS.parent / "policies")  # the stacks' ../policies
    dev = stacks / "Pulumi.dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            "  obsgov:organizationStack: org\n",
            f"  obsgov:organizationStack: org\n  obsgov:memberShards: {{count: {count}}}\n",
        )
    )
    for n in range(count):
        (stacks / f"Pulumi.dev-members-{n}.yaml").write_text(
            f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: dev\n  obsgov:shard: {n}\n"
        )
    return stacks


def test_shards_only_leaves_the_environments_stack_alone(tmp_path):
    """The deploy workflow runs `pulumi up` on the environment's stack in steps of its own
    (after its preview), then the shards: `--shards-only` is that second part."""
    from obsgov.gate.deploy import chosen_stacks

    env = _sharded(tmp_path)
    chosen = chosen_stacks(env, shards_only=True)
    assert chosen == ["dev-members-0", "dev-members-1", "dev-members-2"]
    calls: list[str] = []
    lock = threading.Lock()

    def up(stack, project, args):
        with lock:
            calls.append(stack)
        if stack == "dev-members-0":
            raise RuntimeError("throttled")
        return "succeeded"

    results = deploy_environment(env, tmp_path, lambda s: [], up, stacks=chosen)
    assert sorted(calls) == chosen  # a failed shard stops no other
    assert [(r.stack, r.ok) for r in results] == [
        ("dev-members-0", False),
        ("dev-members-1", True),
        ("dev-members-2", True),
    ]


def test_only_names_stacks_of_the_environment(tmp_path):
    import pytest

    from obsgov.errors import InputError
    from obsgov.gate.deploy import chosen_stacks

    env = _sharded(tmp_path)
    assert chosen_stacks(env, ["dev-members-2", "dev"]) == ["dev", "dev-members-2"]
    with pytest.raises(InputError) as raised:
        chosen_stacks(env, ["prod-members-0"])
    assert "prod-members-0 is not a stack of dev" in raised.value.report()
    with pytest.raises(InputError):
        chosen_stacks(env, ["dev"], shards_only=True)


def test_the_cli_deploys_the_shards_with_their_packs_and_names_the_failed_one(
    tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from obsgov.cli import app
    from obsgov.gate import deploy as dg

    stacks = _sharded_folder(tmp_path)
    calls: dict[str, tuple] = {}
    lock = threading.Lock()

    def up(stack, project, args, secrets_provider=None):
        with lock:
            calls[stack] = (list(args), secrets_provider)
        if stack == "dev-members-1":
            raise RuntimeError("AccessDenied")
        return "succeeded"

    monkeypatch.setattr(dg, "automation_up", up)
    result = CliRunner().invoke(
        app,
        [
            "deploy",
            "--stack",
            "dev",
            "--shards-only",
            "--skip-org-check",  # tests/accounts/test_org.py proves the check
            "--secrets-provider",
            "awskms://alias/obsgov-pulumi",
            "--stacks-dir",
            str(stacks),
        ],
    )
    assert result.exit_code == 1, result.output
    assert sorted(calls) == ["dev-members-0", "dev-members-1"]
    for args, provider in calls.values():
        assert provider == "awskms://alias/obsgov-pulumi"
        assert args.count("--policy-pack") == 5  # dev's packs, from `obsgov policy config`
    assert "dev-members-1: FAILED: RuntimeError: AccessDenied" in result.output
    assert "dev: " not in result.output  # the environment's stack was left alone


def test_shards_only_in_the_single_stack_mode_deploys_nothing(monkeypatch):
    from typer.testing import CliRunner

    from obsgov.cli import app
    from obsgov.gate import deploy as dg

    def up(*args, **kwargs):
        raise AssertionError("nothing should be deployed")

    monkeypatch.setattr(dg, "automation_up", up)
    result = CliRunner().invoke(app, ["deploy", "--stack", "prod", "--shards-only"])
    assert result.exit_code == 0, result.output
    assert "no member shards" in result.output
