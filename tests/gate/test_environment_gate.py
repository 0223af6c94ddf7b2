"""``obsgov preview --env``: every stack of an environment judged in parallel processes, one
verdict, and ``--changed-since`` judging only the stacks whose inputs changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.loader import load_environment
from obsgov.gate import environment_gate as eg
from obsgov.synth import synthesize
from tests.conftest import STACKS

ROOT = Path(__file__).resolve().parents[2]

SLO_BEFORE = "      latencyP99Ms: 120\n"
SLO_AFTER = "      latencyP99Ms: 150\n"


def _change_one_slo(registry: Path) -> None:
    """fraud-scoring-dev's latency objective (account ml-serving-dev)."""
    text = registry.read_text()
    start = text.index("name: fraud-scoring-dev")
    at = text.index(SLO_BEFORE, start)
    registry.write_text(text[:at] + SLO_AFTER + text[at + len(SLO_BEFORE) :])


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def sharded(tmp_path) -> Path:
    """A repository whose dev environment is a central stack and three member shards."""
    root = tmp_path / "repo"
    stacks = root / "stacks"
    shutil.copytree(STACKS, stacks)
    dev = stacks / "Pulumi.dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            "  obsgov:organizationStack: org\n",
            "  obsgov:organizationStack: org\n  obsgov:memberShards: {count: 3}\n",
        )
    )
    for shard in range(3):
        (stacks / f"Pulumi.dev-members-{shard}.yaml").write_text(
            f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: dev\n  obsgov:shard: {shard}\n"
        )
    (root / "components").mkdir()
    (root / "components" / "program.py").write_text("# the program\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    return stacks


def _dev(stacks: Path):
    return load_environment("dev", stacks / "Pulumi.dev.yaml")


def _shard_of(stacks: Path, account: str) -> str:
    env = _dev(stacks)
    [found] = [a for a in env.member_accounts if a.name == account]
    return eg.shard_stack_name("dev", env.shard_of(found))


def test_the_environment_is_its_stack_and_its_shards(sharded):
    assert eg.environment_stacks(_dev(sharded)) == [
        "dev",
        "dev-members-0",
        "dev-members-1",
        "dev-members-2",
    ]


def test_nothing_changed_judges_nothing(sharded):
    root = sharded.parent
    assert eg.changed_stacks(_dev(sharded), "HEAD", root) == []


def test_a_change_to_one_account_judges_its_shard_only(sharded):
    root = sharded.parent
    _change_one_slo(sharded / "accounts.yaml")
    changed = eg.changed_stacks(_dev(sharded), "HEAD", root)
    assert changed == [_shard_of(sharded, "ml-serving-dev")]


def test_a_repository_of_stacks_only_judges_the_changed_shard_only(sharded):
    """The stacks kept in their own repository (the program installed from elsewhere):
    ``git diff REF --`` with no path lists every changed file, the registry too, which judged
    every stack (benchmarks/gate.py --sharded found it)."""
    root = sharded.parent
    shutil.rmtree(root / "components")
    _git(root, "commit", "-qam", "stacks only")
    _change_one_slo(sharded / "accounts.yaml")
    changed = eg.changed_stacks(_dev(sharded), "HEAD", root)
    assert changed == [_shard_of(sharded, "ml-serving-dev")]


def test_the_stacks_inputs_do_not_depend_on_where_the_folder_lies(tmp_path):
    """prod's pack facts name its registry snapshot by path; the folder as it was at REF is
    written elsewhere, so the path made every stack look changed (benchmarks/gate.py
    --sharded judged all six stacks with nothing changed). The snapshot's content counts."""
    copy = tmp_path / "stacks"
    shutil.copytree(STACKS, copy)
    here = eg.stack_inputs(load_environment("prod", STACKS / "Pulumi.prod.yaml"))
    there = eg.stack_inputs(load_environment("prod", copy / "Pulumi.prod.yaml"))
    assert here == there
    snapshot = copy / "registry-snapshot.prod.json"
    assert snapshot.is_file()
    snapshot.write_text(snapshot.read_text().replace("}", " }", 1))
    changed = eg.stack_inputs(load_environment("prod", copy / "Pulumi.prod.yaml"))
    assert changed["prod"] != here["prod"]


def test_the_central_stack_it_skipped_is_truly_unchanged(sharded):
    """What --changed-since leaves out must make the same graph: the central stack before and
    after the one-account change is synthesized and compared resource by resource."""
    before = synthesize(_dev(sharded))
    _change_one_slo(sharded / "accounts.yaml")
    after = synthesize(_dev(sharded))
    assert [(r.urn, r.inputs) for r in before] == [(r.urn, r.inputs) for r in after]


def test_a_new_account_judges_its_shard_and_the_central_stack(sharded):
    root = sharded.parent
    registry = sharded / "accounts.yaml"
    text = registry.read_text()
    added = (
        '  - id: "200000000009"\n    name: extra-dev\n    email: aws+extra-dev@example.com\n'
        "    environment: dev\n    organizationalUnit: data-dev\n"
        "    owner: analytics@example.com\n    costCentre: CC-2300\n"
        "    dataClassification: internal\n"
    )
    registry.write_text(text.replace("  # --- staging\n", added + "  # --- staging\n", 1))
    changed = eg.changed_stacks(_dev(sharded), "HEAD", root)
    # the pack facts (trusted accounts) name every account: every stack is judged again
    assert changed == eg.environment_stacks(_dev(sharded))


def test_a_code_change_judges_every_stack(sharded):
    root = sharded.parent
    (root / "components" / "program.py").write_text("# changed\n")
    assert eg.changed_stacks(_dev(sharded), "HEAD", root) == eg.environment_stacks(_dev(sharded))


def test_a_shard_file_change_judges_that_shard(sharded):
    root = sharded.parent
    shard = sharded / "Pulumi.dev-members-1.yaml"
    shard.write_text(shard.read_text() + "  obsgov:logRetentionDays: 90\n")
    assert eg.changed_stacks(_dev(sharded), "HEAD", root) == ["dev-members-1"]


def test_an_unknown_revision_is_bad_input(sharded):
    from obsgov.errors import InputError

    with pytest.raises(InputError) as raised:
        eg.changed_stacks(_dev(sharded), "no-such-ref", sharded.parent)
    assert raised.value.problems[0].file == "--changed-since"


def _completed(code: int, stack: str):
    def run(argv):
        output = Path(argv[argv.index("--output") + 1])
        output.write_text(json.dumps({"stack": argv[argv.index("--stack") + 1]}))
        return subprocess.CompletedProcess(argv, code, f"{stack} judged\n", "")

    return run


def test_one_verdict_for_the_environment_and_bad_input_beats_a_verdict(sharded):
    env = _dev(sharded)
    codes = {"dev": 0, "dev-members-0": 1, "dev-members-1": 2, "dev-members-2": 0}

    def run(argv):
        stack = argv[argv.index("--stack") + 1]
        return _completed(codes[stack], stack)(argv)

    verdict = eg.judge_environment(env, eg.environment_stacks(env), workers=2, run=run)
    assert [v.stack for v in verdict.judged] == list(codes)
    assert verdict.exit_code == 2
    report = verdict.to_json()
    assert report["exitCodes"] == codes
    assert report["stacks"]["dev"] == {"stack": "dev"}
    codes["dev-members-1"] = 0
    assert eg.judge_environment(env, list(codes), run=run).exit_code == 1


def test_workers_are_bounded_by_cores_and_memory():
    assert eg.worker_count(10, cpus=2, memory=8 << 30) == 2
    assert eg.worker_count(10, cpus=8, memory=3 << 30) == 3
    assert eg.worker_count(1, cpus=8, memory=8 << 30) == 1
    assert eg.worker_count(10, cpus=8, memory=100) == 1


def test_the_cli_judges_the_changed_shard_in_its_own_process(sharded, tmp_path):
    _change_one_slo(sharded / "accounts.yaml")
    report = tmp_path / "env.json"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            "dev",
            "--stacks-dir",
            str(sharded),
            "--changed-since",
            "HEAD",
            "--policy-pack",
            str(Path(__file__).resolve().parents[2] / "policies" / "tagging"),
            "--format",
            "json",
            "--output",
            str(report),
        ],
    )
    shard = _shard_of(sharded, "ml-serving-dev")
    data = json.loads(report.read_text())
    assert list(data["stacks"]) == [shard], result.output
    assert data["exitCodes"] == {shard: result.exit_code}
    assert sorted(data["unchanged"]) == sorted(
        s for s in eg.environment_stacks(_dev(sharded)) if s != shard
    )
    assert f"== {shard}" in result.output


def test_all_stacks_is_for_obsgovs_own_stacks_and_workers_need_it(tmp_path):
    """``--stack ENV`` names the environment everywhere (``--env`` becomes its alias); judging
    every stack of it is the distinct flag ``--all-stacks``, implied by --changed-since."""
    result = CliRunner().invoke(
        app, ["preview", "--stack", "dev", "--all-stacks", "--project", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "not --project" in result.output
    result = CliRunner().invoke(app, ["preview", "--stack", "dev", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers goes with --all-stacks" in result.output


def test_an_interrupted_environment_gate_stops_the_stacks_it_started():
    """Before: SIGTERM (a cancelled CI job, `kill`) ended `preview --all-stacks` at once and
    left every per-stack `obsgov preview` (and its packs) running. Now SIGTERM interrupts the
    gate as Ctrl-C does, and the running stacks' processes are stopped and reaped. Run in its
    own process, whose main thread may take signals."""
    import sys

    script = """
import json, os, signal, sys, threading, time
from pathlib import Path
from obsgov.config.loader import load_environment
from obsgov.gate import environment_gate as eg

env = load_environment("dev", Path("stacks/Pulumi.dev.yaml"))
sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]

def terminate_once_running():
    while not eg._running:
        time.sleep(0.05)
    print(json.dumps([p.pid for p in eg._running]), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=terminate_once_running, daemon=True).start()
try:
    with eg.sigterm_interrupts():
        eg.judge_environment(env, ["dev"], run=lambda argv: eg._run(sleeper))
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.splitlines()
    assert lines[-1] == "interrupted", done.stdout + done.stderr
    [pid] = json.loads(lines[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped, not left running


# ------------------------------------------------------- the referenced stacks, once a gate


def test_the_organisation_stack_is_synthesized_once_for_every_stack(sharded, tmp_path, monkeypatch):
    """Each stack's process synthesized the organisation stack again to answer its
    StackReference (benchmarks/gate.py --sharded profiled it); the gate now synthesizes it
    once and hands its outputs to every stack as ``--stack-outputs`` does."""
    from obsgov.synth import runner

    env = _dev(sharded)
    stacks = eg.environment_stacks(env)
    made: list[str] = []
    real = runner.deployed_outputs

    def counted(stack_file, stack):
        made.append(stack)
        return real(stack_file, stack)

    monkeypatch.setattr(runner, "deployed_outputs", counted)
    options = eg.shared_stack_outputs(env, stacks, tmp_path, {})
    target = tmp_path / "org.outputs.json"
    assert options == ["--stack-outputs", f"organization/obsgov/org={target}"]
    assert made == ["org"]
    assert json.loads(target.read_text()) == real(sharded / "Pulumi.org.yaml", "org")
    # outputs the gate is given win: nothing is synthesized for them
    given = {"organization/obsgov/org": {"sinkArn": "arn:aws:oam:eu-west-1:1:sink/x"}}
    assert eg.shared_stack_outputs(env, stacks, tmp_path, given) == []
    assert made == ["org"]


def test_shards_without_an_organisation_stack_read_their_central_stack(sharded, tmp_path):
    dev = sharded / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("  obsgov:organizationStack: org\n", ""))
    env = _dev(sharded)
    assert eg.referenced_by(env, eg.environment_stacks(env)) == {"dev": "obsgov:shardOf"}


def test_the_cli_hands_every_stack_the_outputs(sharded, monkeypatch):
    seen: list[list[str]] = []

    def judge(env, stacks, options, workers):
        seen.append(list(options))
        # the outputs file lives while the stacks are judged
        given = options[options.index("--stack-outputs") + 1]
        assert Path(given.split("=", 1)[1]).is_file()
        return eg.EnvironmentVerdict(env.stack, [], [])

    monkeypatch.setattr(eg, "judge_environment", judge)
    result = CliRunner().invoke(
        app, ["preview", "--stack", "dev", "--all-stacks", "--stacks-dir", str(sharded)]
    )
    assert result.exit_code == 0, result.output
    [options] = seen
    assert options.count("--stack-outputs") == 1
    assert options[options.index("--stack-outputs") + 1].startswith("organization/obsgov/org=")


def test_the_sharded_gate_judges_alike_with_the_outputs_handed_over(sharded, tmp_path):
    """The aggregated report of dev as central + three shards, with its own packs, is the
    same whether each stack synthesizes the organisation stack itself (before) or is handed
    its outputs (now)."""
    (sharded.parent / "policies").symlink_to(ROOT / "policies")  # the stacks' ../policies
    env = _dev(sharded)
    stacks = eg.environment_stacks(env)
    options = ["--stacks-dir", str(sharded)]
    before = eg.judge_environment(env, stacks, options, workers=2)
    handed = eg.shared_stack_outputs(env, stacks, tmp_path, {})
    after = eg.judge_environment(env, stacks, [*options, *handed], workers=2)
    assert before.exit_code == 0, [v.errors for v in before.judged]
    assert after.to_json() == before.to_json()
    assert [len(r["packs"]) for r in after.to_json()["stacks"].values()] == [5, 5, 5, 5]


# ------------------------------------------------- dev, staging and prod as central + shards


@pytest.fixture(scope="module")
def every_environment_sharded(tmp_path_factory) -> Path:
    """dev, staging and prod each as its central stack and two member shards, with the
    physical-name inventory rewritten for the new stacks (`obsgov policy inventory`, as
    README "Stacks" asks after a change of stacks: the shards' names move out of their
    environment's stack)."""
    from obsgov.gate.inventory import build_inventory, inventory_path, write_inventory
    from tests.synth.test_stacks import shard_environment

    root = tmp_path_factory.mktemp("sharded")
    stacks = root / "stacks"
    shutil.copytree(STACKS, stacks)
    (root / "policies").symlink_to(ROOT / "policies")  # the stacks' ../policies
    for stack in ("dev", "staging", "prod"):
        shard_environment(stacks, stack, 2)
    write_inventory(build_inventory(stacks), inventory_path(stacks))
    return stacks


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_environment_passes_its_packs_as_central_and_shards(
    every_environment_sharded, stack, tmp_path
):
    """`obsgov preview --stack ENV --all-stacks` with each environment's own packs: its
    central stack and both shards judged, and the environment passes, as it does as one
    stack."""
    report = tmp_path / "env.json"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--stack",
            stack,
            "--all-stacks",
            "--stacks-dir",
            str(every_environment_sharded),
            "--format",
            "json",
            "--output",
            str(report),
        ],
    )
    data = json.loads(report.read_text())
    assert data["exitCodes"] == {stack: 0, f"{stack}-members-0": 0, f"{stack}-members-1": 0}, (
        result.output
    )
    assert result.exit_code == 0
    for judged in data["stacks"].values():
        assert judged["failed"] is False
        assert len(judged["packs"]) >= 4
        # advisory findings (dev's and staging's deploy-readiness) warn; none fails or errs
        assert {p["status"] for p in judged["packs"]} <= {"passed", "warnings"}


def test_finding_the_changed_shards_loads_no_shard(sharded, monkeypatch):
    """Each shard's environment was loaded (the whole registry validated) before and after
    REF only to read its own config keys: 39 s of CPU for 20 shards of 1,000 accounts, per
    pass. Its own keys are read from its file; the answer is the same."""
    loaded: list[str] = []
    real = eg.load_environment

    def counted(stack, *args, **kwargs):
        loaded.append(stack)
        return real(stack, *args, **kwargs)

    monkeypatch.setattr(eg, "load_environment", counted)
    _change_one_slo(sharded / "accounts.yaml")
    changed = eg.changed_stacks(_dev(sharded), "HEAD", sharded.parent)
    assert changed == [_shard_of(sharded, "ml-serving-dev")]
    assert [s for s in loaded if "-members-" in s] == []
