"""Helpers for gate tests: a small graph with the cases the test packs look at, and a way to
run one pack on it."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

from obsgov.gate.engine import GateOptions, PackResult, run_pack
from obsgov.gate.pack_config import PolicyConfig, parse_pack_config
from obsgov.gate.project import load_policy_pack
from obsgov.graph import ResourceGraph
from obsgov.synth import synthesize

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "tests" / "packs"
SHIPPED_PACKS = ROOT / "policies"
STACKS = ROOT / "stacks"

# One topic with a literal KMS key, one without, one whose key is another resource's ARN
# (unknown in preview), and a topic policy inside a component that depends on its topic.
PROBE_PROGRAM = textwrap.dedent("""
    import json, pulumi, pulumi_aws as aws

    provider = aws.Provider("member", region="eu-west-1",
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::200000000001:role/Deploy")],
        default_tags=aws.ProviderDefaultTagsArgs(tags={"environment": "dev"}))
    opts = pulumi.ResourceOptions(provider=provider)

    class Alarms(pulumi.ComponentResource):
        def __init__(self, name, opts=None):
            super().__init__("test:index:Alarms", name, None, opts)
            key = aws.kms.Key(f"{name}-key", opts=pulumi.ResourceOptions(parent=self))
            topic = aws.sns.Topic(f"{name}-topic", name="obsgov-alarms", kms_master_key_id=key.arn,
                                  opts=pulumi.ResourceOptions(parent=self))
            aws.sns.TopicPolicy(f"{name}-policy", arn=topic.arn, policy=topic.arn.apply(json.dumps),
                                opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    aws.sns.Topic("encrypted", name="obsgov-encrypted", kms_master_key_id="alias/aws/sns", opts=opts)
    aws.sns.Topic("plain", name="plain", opts=opts)
    Alarms("alarms", opts=pulumi.ResourceOptions(providers=[provider]))
""")


def probe_graph(
    env, tmp_path: Path, preview: bool = True, program: str = PROBE_PROGRAM
) -> ResourceGraph:
    path = tmp_path / "probe_program.py"
    path.write_text(program)
    return synthesize(env, program=path, preview=preview)


def run_probe(
    graph: ResourceGraph, *layers: dict, pack: str = "probe", config: dict | None = None, **options
) -> PackResult:
    parsed = [parse_pack_config(layer, "test") for layer in layers]
    return run_pack(
        load_policy_pack(PACKS / pack),
        graph,
        parsed,
        GateOptions(stack_config=config or {"obsgov:environment": "dev"}, **options),
    )


def trace_packs(tmp_path: Path, seconds: float) -> tuple[Path, list]:
    """Two copies of the ``trace`` pack (``trace-a``, ``trace-b``), each taking ``seconds`` on
    one resource and recording when it judged into one shared file; returns the file and the
    packs as ``run_gate`` takes them."""
    trace = tmp_path / "trace.jsonl"
    packs = []
    for name in ("trace-a", "trace-b"):
        shutil.copytree(PACKS / "trace", tmp_path / name)
        layer = parse_pack_config({"trace": {"file": str(trace), "seconds": seconds}}, "t")
        packs.append((load_policy_pack(tmp_path / name), [layer]))
    return trace, packs


def trace_spans(trace: Path) -> dict[str, dict]:
    """The times each trace pack recorded, by pack name."""
    return {item["pack"]: item for item in map(json.loads, trace.read_text().splitlines())}


def by_policy(result: PackResult, policy: str) -> list:
    return [v for v in result.violations if v.policy == policy]


def child_pids() -> set[int]:
    """Live child processes of this test process (zombies excluded), from /proc."""
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == me and state != "Z":
            found.add(int(entry.name))
    return found


__all__ = [
    "PolicyConfig",
    "by_policy",
    "child_pids",
    "trace_packs",
    "trace_spans",
    "probe_graph",
    "run_probe",
    "PACKS",
    "SHIPPED_PACKS",
    "STACKS",
]
