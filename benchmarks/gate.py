"""Benchmark the offline policy gate on generated organisations of 1, 10 and 100 accounts.

For each size it prints: resources, synthesis seconds, gate seconds (the stack's packs, real processes
over gRPC), end-to-end seconds of a fresh `obsgov preview` process (interpreter start,
validation, synthesis with the packs starting meanwhile, gate, report), ms per resource, peak RSS of obsgov and of the largest pack process,
the peak of every process summed (sampled during the end-to-end run),
and the floor: the same policies run in-process on the same requests by the SDK's own
servicer, with no processes and no gRPC. Each size runs in a fresh interpreter so peaks and
caches do not leak between sizes.

    .venv/bin/python benchmarks/gate.py            # 1, 10, 100 accounts
    .venv/bin/python benchmarks/gate.py --sizes 1 10

``--sharded ACCOUNTS --shards N`` measures an environment split into its central stack and N
member shards (README "Stacks"): the full environment gate (``obsgov preview --stack prod --all-stacks``,
stacks judged in parallel processes), the gate after a one-account change
(``--changed-since HEAD`` in a throw-away git repository: one shard judged), the peak memory
of the largest single process and of all processes summed.

    .venv/bin/python benchmarks/gate.py --sharded 1000 --shards 20
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate_environment(
    directory: Path, accounts: int, without: tuple[str, ...] = (), single_stack: bool = True
) -> Path:
    """The shipped prod environment with ``accounts`` generated member accounts, each with an
    ML endpoint, a Glue pipeline and a business KPI; the packs named in ``without`` are left
    out of the stack's pack list (to measure what one pack adds). ``single_stack``: the whole
    environment in one stack with its own sink (the one config switch, README "Stacks"), as
    before the organisation stack; otherwise the organisation stack is written beside it."""
    stacks = ROOT / "stacks"
    directory.mkdir(parents=True, exist_ok=True)
    stack_doc = yaml.safe_load((stacks / "Pulumi.prod.yaml").read_text())
    if single_stack:
        stack_doc["config"].pop("obsgov:organizationStack", None)
    else:
        org = _rewrite_packs(yaml.safe_load((stacks / "Pulumi.org.yaml").read_text()), stacks)
        (directory / "Pulumi.org.yaml").write_text(yaml.safe_dump(org))
    stack_doc["config"]["obsgov:policyPacks"] = [
        ref
        for ref in stack_doc["config"]["obsgov:policyPacks"]
        if Path(ref["path"]).name not in without
    ]
    for ref in stack_doc["config"]["obsgov:policyPacks"]:
        ref["path"] = str((stacks / ref["path"]).resolve())
        if "config" in ref:
            ref["config"] = str((stacks / ref["config"]).resolve())
    (directory / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack_doc))
    (directory / "organization.yaml").write_text((stacks / "organization.yaml").read_text())
    registry = {"accounts": [], "workloads": []}
    for i in range(accounts):
        name = f"member-{i:03d}-prod"
        registry["accounts"].append(
            {
                "id": f"5{i:011d}",
                "name": name,
                "email": f"aws+{name}@example.com",
                "environment": "prod",
                "organizationalUnit": "ml-prod",
                "owner": "ml@example.com",
                "costCentre": "CC-4000",
                "dataClassification": "internal",
            }
        )
        base = {"account": name, "environment": "prod"}
        registry["workloads"] += [
            {
                "kind": "ml-endpoint",
                "name": f"scoring-{i:03d}",
                "modelId": "scoring",
                "modelVersion": "1",
                "modelPackageGroup": "scoring",
                "instanceType": "ml.m5.large",
                "slo": {"latencyP99Ms": 100, "errorRatePercent": 1},
                **base,
            },
            {
                "kind": "etl-pipeline",
                "name": f"etl-{i:03d}",
                "engine": "glue",
                "slo": {"maxDurationMinutes": 60},
                **base,
            },
            {
                "kind": "business-kpi",
                "name": f"kpi-{i:03d}",
                "namespace": "Obsgov/Business",
                "metricName": "Orders",
                **base,
            },
        ]
    (directory / "accounts.yaml").write_text(yaml.safe_dump(registry))
    return directory / "Pulumi.prod.yaml"


def floor_seconds(graph, packs) -> float:
    """The same policies on the same requests, in-process, through the SDK's servicer, with
    the garbage-collector settings the packs themselves use."""
    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import EnforcementLevel, _PolicyAnalyzerServicer

    from obsgov.gate.requests import Requests
    from obsgov_policies.catalog import policies_for
    from obsgov_policies.packs import relax_gc

    relax_gc()
    requests = Requests(graph)
    analyze = [requests.analyze_request(r) for r in graph.resources]
    stack = requests.stack_request()
    started = time.perf_counter()
    for pack in packs:
        servicer = _PolicyAnalyzerServicer(
            f"obsgov-{pack}",
            "0.1.0",
            [s.build() for s in policies_for(pack)],
            EnforcementLevel.ADVISORY,
        )
        configure = proto.ConfigureAnalyzerRequest()
        for spec in policies_for(pack):
            entry = configure.policyConfig[spec.id]
            if spec.config_defaults():
                entry.properties.update(spec.config_defaults())
        servicer.Configure(configure, None)
        for request in analyze:
            servicer.Analyze(request, None)
        servicer.AnalyzeStack(stack, None)
    return time.perf_counter() - started


class RssSampler:
    """Peak of the summed resident memory of this process and all its children."""

    def __init__(self, interval: float = 0.05):
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _children(self) -> list[int]:
        """Every descendant of this process (the CLI under test and its pack processes)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry.name)] = int(fields[1])
        found, frontier = [], {os.getpid()}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier}
            found.extend(frontier)
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            total = self._rss_kib(os.getpid()) + sum(self._rss_kib(p) for p in self._children())
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_one(accounts: int, without: tuple[str, ...] = ()) -> dict:
    from obsgov.config.loader import load_environment
    from obsgov.gate.engine import GateOptions, run_gate
    from obsgov.gate.environment_layer import EnvironmentLayer
    from obsgov.gate.project import load_policy_pack
    from obsgov.synth import synthesize
    from obsgov_policies.catalog import pack_table

    with tempfile.TemporaryDirectory() as tmp:
        # the stacks in a folder of their own: obsgov writes no report into the one it reads
        stack_file = generate_environment(Path(tmp) / "stacks", accounts, without)
        env = load_environment("prod", stack_file)
        # end to end, as a user runs it: a fresh `obsgov preview` process and its packs
        report = Path(tmp) / "report.json"
        with RssSampler() as sampler:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            cli = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "obsgov.cli",
                    "preview",
                    "--stack",
                    "prod",
                    "--stacks-dir",
                    str(stack_file.parent),
                    "--format",
                    "json",
                    "--output",
                    str(report),
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
            )
            end_to_end = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds of `obsgov preview` and every pack it ran: steadier than wall time on a
        # shared machine, and what one more pack costs
        end_to_end_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if cli.returncode not in (0, 1):
            raise SystemExit(f"obsgov preview failed ({cli.returncode}):\n{cli.stderr}")
        names = [name for name in pack_table() if name not in without]
        packs = [(load_policy_pack(ROOT / "policies" / p), [EnvironmentLayer(env)]) for p in names]
        options = GateOptions(stack_config=env.config_map)
        # the parts, one after the other
        started = time.perf_counter()
        graph = synthesize(env)
        synth = time.perf_counter() - started
        started = time.perf_counter()
        run = run_gate(graph, packs, options)
        gate = time.perf_counter() - started
        errors = [p.error for p in run.packs if p.error]
        floor = floor_seconds(graph, names)
    return {
        "accounts": accounts,
        "resources": len(graph),
        "synth_s": synth,
        "gate_s": gate,
        "e2e_s": end_to_end,
        "e2e_cpu_s": end_to_end_cpu,
        "floor_s": floor,
        "pack_s": {p.name: round(p.seconds, 3) for p in run.packs},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_pack_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "peak_total_rss_mib": sampler.peak_kib / 1024,
        "errors": errors,
    }


def _rewrite_packs(document: dict, stacks: Path) -> dict:
    for ref in document["config"].get("obsgov:policyPacks", []):
        ref["path"] = str((stacks / ref["path"]).resolve())
        if "config" in ref:
            ref["config"] = str((stacks / ref["config"]).resolve())
    return document


def _timed_env_gate(tmp: str, *extra: str) -> tuple[float, dict, float, float]:
    """(seconds, report, largest process MiB, all processes summed MiB) of one
    ``obsgov preview --stack prod --all-stacks`` run in a fresh process (the stacks in ``tmp``/stacks)."""
    report = Path(tmp) / "env-report.json"
    with RssSampler() as sampler:
        started = time.perf_counter()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "obsgov.cli",
                "preview",
                "--stack",
                "prod",
                "--all-stacks",
                "--stacks-dir",
                str(Path(tmp) / "stacks"),
                *extra,
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - started
    if cli.returncode not in (0, 1):
        raise SystemExit(
            f"obsgov preview --all-stacks failed ({cli.returncode}):\n{cli.stderr[-4000:]}"
        )
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, json.loads(report.read_text()), largest, sampler.peak_kib / 1024


def run_sharded(accounts: int, shards: int) -> dict:
    """The environment as central + ``shards`` member shards, judged whole and after one
    account's change."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "stacks"
        stack_file = generate_environment(folder, accounts, single_stack=False)
        document = yaml.safe_load(stack_file.read_text())
        document["config"]["obsgov:memberShards"] = {"count": shards}
        stack_file.write_text(yaml.safe_dump(document))
        for n in range(shards):
            (folder / f"Pulumi.prod-members-{n}.yaml").write_text(
                f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: prod\n  obsgov:shard: {n}\n"
            )
        git = ["git", "-C", tmp, "-c", "user.email=b@example.com", "-c", "user.name=b"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
        full_s, full, full_largest, full_total = _timed_env_gate(tmp)
        registry = folder / "accounts.yaml"
        data = yaml.safe_load(registry.read_text())
        data["workloads"][0]["slo"]["latencyP99Ms"] += 50  # one account's endpoint
        registry.write_text(yaml.safe_dump(data))
        one_s, one, _, _ = _timed_env_gate(tmp, "--changed-since", "HEAD")
    return {
        "accounts": accounts,
        "shards": shards,
        "full_s": full_s,
        "full_stacks": len(full["stacks"]),
        "full_exit": full["exitCode"],
        "one_s": one_s,
        "one_stacks": sorted(one["stacks"]),
        "largest_process_mib": full_largest,
        "total_mib": full_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument(
        "--without",
        nargs="+",
        default=[],
        metavar="PACK",
        help="leave these packs out (compare with a run that has them: what a pack adds)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sharded", type=int, metavar="ACCOUNTS", help="sharded mode")
    parser.add_argument("--shards", type=int, default=20, help="with --sharded (default 20)")
    args = parser.parse_args()
    if args.sharded is not None:
        r = run_sharded(args.sharded, args.shards)
        print(
            f"{r['accounts']} accounts in {r['shards']} shards: full gate {r['full_s']:.1f} s "
            f"({r['full_stacks']} stacks, exit {r['full_exit']}); one-account change "
            f"{r['one_s']:.1f} s ({', '.join(r['one_stacks'])}), "
            f"{100 * r['one_s'] / r['full_s']:.0f}% of the full gate; largest process "
            f"{r['largest_process_mib']:.0f} MiB, all processes {r['total_mib']:.0f} MiB"
        )
        return
    if args.one is not None:
        print(json.dumps(run_one(args.one, tuple(args.without))))
        return

    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                *(["--without", *args.without] if args.without else []),
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if out.returncode != 0:
            sys.exit(f"size {size} failed:\n{out.stderr}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))

    header = (
        f"{'accounts':>8} {'resources':>9} {'synth s':>8} {'gate s':>7} {'e2e s':>6} "
        f"{'ms/res gate':>11} {'ms/res e2e':>10} {'floor s':>8} {'gate/floor':>10} "
        f"{'rss MiB':>8} {'pack rss':>8} {'total rss':>9}"
    )
    print(header)
    for r in rows:
        n = r["resources"]
        print(
            f"{r['accounts']:>8} {n:>9} {r['synth_s']:>8.2f} {r['gate_s']:>7.2f} {r['e2e_s']:>6.2f} "
            f"{1000 * r['gate_s'] / n:>11.2f} {1000 * r['e2e_s'] / n:>10.2f} "
            f"{r['floor_s']:>8.2f} {r['gate_s'] / r['floor_s']:>10.2f} {r['peak_rss_mib']:>8.0f} "
            f"{r['peak_pack_rss_mib']:>8.0f} {r['peak_total_rss_mib']:>9.0f}"
        )
        if r["errors"]:
            print("   pack errors:", *r["errors"], sep="\n   ")
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        marginal = (large["gate_s"] - small["gate_s"]) / max(
            1, large["resources"] - small["resources"]
        )
        print(
            f"marginal gate cost: {1000 * marginal:.2f} ms per added resource "
            f"({small['accounts']} -> {large['accounts']} accounts)"
        )
    for r in rows:
        print(f"per-pack seconds at {r['accounts']} accounts: {r['pack_s']}")
        print(
            f"`obsgov preview` CPU seconds (all processes) at {r['accounts']} accounts: "
            f"{r['e2e_cpu_s']:.2f}"
        )


if __name__ == "__main__":
    main()
