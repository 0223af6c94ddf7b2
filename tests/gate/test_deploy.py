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
