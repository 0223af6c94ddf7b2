"""Benchmark the offline policy gate on generated organisations of 1, 10 and 100 accounts.

For each size it prints: resources, synthesis seconds, gate seconds (the stack's packs, real processes
over gRPC), end-to-end seconds of a fresh `obsgov preview` process (interpreter start,
validation, synthesis with the packs starting meanwhile, gate, report), ms per resource, peak RSS of obsgov and of the largest pack process,
the peak of every process summed and the CPU seconds of each process (obsgov and each
pack, sampled from /proc during the end-to-end run),
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

``--alternate deploy-readiness`` judges one synthesized graph (the largest of ``--sizes``)
in-process, alternately with the stack's packs and without that one, and prints each run's CPU
seconds: what one pack adds, steadier than two end-to-end runs on a shared machine.

    .venv/bin/python benchmarks/gate.py --sizes 100 --alternate deploy-readiness --rounds 2

``--environments 100 1000`` prints the issue's figures in one run as one table
(docs/performance.md): the single stack against the sharded environment at 100 accounts, then
at each size (``--per-shard`` accounts a shard, default 50) the full environment gate and the
one-account change gate, each with its CPU seconds, the largest obsgov and pack process, all
processes summed, and the load average before and after. ``--workdir DIR`` keeps the generated
environments (and their physical-name inventory, minutes to build at 1,000 accounts) for the
next run.

    nice .venv/bin/python benchmarks/gate.py --environments 100 1000 --workdir /tmp/gate-envs
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
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: the module a stack's synthesis runs as, in a child of the stack's preview
SYNTHESIS_MODULE = b"obsgov.synth.apart"
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
                # SageMaker creates the endpoint's log group: adopted, as the shipped
                # registry's endpoints are (the deploy-readiness pack refuses creating it)
                "logGroup": "adopt",
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
    """Peak of the summed resident memory of this process and all its children, and each
    process's own peak by what it is (:meth:`largest`)."""

    def __init__(self, interval: float = 0.05):
        import threading

        self.peak_kib = 0
        self.process_kib: dict[int, int] = {}  # pid -> its peak
        self.process_kind: dict[int, str] = {}  # pid -> "obsgov" or "pack"
        self.process_stack: dict[int, str] = {}  # pid -> the stack an obsgov process judges
        self.process_label: dict[int, str] = {}  # pid -> "obsgov" or the pack's folder name
        self.process_cpu: dict[int, float] = {}  # pid -> CPU seconds when last sampled
        self.seen: dict[int, tuple[float, float]] = {}  # pid -> first and last seen
        self.alive: set[int] = set()
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

    @staticmethod
    def _cpu_seconds(pid: int) -> float | None:
        """utime + stime of ``pid`` (proc(5): fields 14 and 15, in clock ticks)."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _pack_folder(pid: int) -> str:
        """A pack process runs in its pack's folder: it is named by that folder."""
        try:
            return Path(os.readlink(f"/proc/{pid}/cwd")).name
        except OSError:
            return "pack"

    def cpu_by_label(self) -> dict[str, float]:
        """CPU seconds per process label, summed (to the last sample: within one interval of
        each process's end)."""
        totals: dict[str, float] = {}
        for pid, seconds in self.process_cpu.items():
            label = self.process_label.get(pid, "other")
            totals[label] = totals.get(label, 0.0) + seconds
        return totals

    @classmethod
    def _kind(cls, pid: int) -> tuple[str, str, str]:
        """(kind, stack, label): a pack, a stack's synthesis, the environment gate, or one
        stack's preview and its stack; the label names the process in the CPU breakdown."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return "other", "", "other"
        if b"pulumi.policy" in argv:
            return "pack", "", cls._pack_folder(pid)
        if SYNTHESIS_MODULE in argv:  # in a child of its stack's preview
            return "obsgov", "", "obsgov synthesis"
        if b"obsgov.cli" in argv:
            if b"--all-stacks" in argv or b"--changed-since" in argv:
                return "obsgov", "", "obsgov"  # the environment gate itself
            stack = argv[argv.index(b"--stack") + 1].decode() if b"--stack" in argv else ""
            return "obsgov", stack, "obsgov"
        return "other", "", "other"

    def judged(self) -> dict[str, float]:
        """stack -> seconds, of the stack previews that ended while sampled."""
        return {
            self.process_stack[pid]: last - first
            for pid, (first, last) in self.seen.items()
            if self.process_stack.get(pid) and pid not in self.alive
        }

    def _run(self) -> None:
        while not self._stop.is_set():
            total = self._rss_kib(os.getpid())
            now = time.perf_counter()
            self.alive = set(self._children())
            for pid in self.alive:
                rss = self._rss_kib(pid)
                total += rss
                if pid not in self.process_kind:
                    (
                        self.process_kind[pid],
                        self.process_stack[pid],
                        self.process_label[pid],
                    ) = self._kind(pid)
                cpu = self._cpu_seconds(pid)
                if cpu is not None:
                    self.process_cpu[pid] = cpu
                self.process_kib[pid] = max(self.process_kib.get(pid, 0), rss)
                self.seen[pid] = (self.seen.get(pid, (now, now))[0], now)
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self._interval)

    def largest(self, kind: str) -> float:
        """MiB: the largest peak of one process of ``kind`` (obsgov: a stack's preview or
        the environment gate; pack: a policy pack)."""
        peaks = [k for pid, k in self.process_kib.items() if self.process_kind.get(pid) == kind]
        return max(peaks, default=0) / 1024

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def shipped_packs(env, names: list[str]) -> list:
    """The shipped packs ``names``, each with the environment's config layer, for run_gate."""
    from obsgov.gate.environment_layer import EnvironmentLayer
    from obsgov.gate.project import load_policy_pack

    return [(load_policy_pack(ROOT / "policies" / n), [EnvironmentLayer(env)]) for n in names]


def run_one(accounts: int, without: tuple[str, ...] = ()) -> dict:
    from obsgov.config.loader import load_environment
    from obsgov.gate.engine import GateOptions, run_gate
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
        packs = shipped_packs(env, names)
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
        "e2e_cpu_by_process": {k: round(v, 2) for k, v in sampler.cpu_by_label().items()},
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


def load_average() -> float:
    """The one-minute load average now (`uptime`): the machine is shared, so every figure
    carries the load it was measured under."""
    return os.getloadavg()[0]


@dataclass
class Timed:
    """One ``obsgov preview`` run in a fresh process, its packs and (--all-stacks) its
    per-stack processes."""

    seconds: float
    cpu_seconds: float  # every process it ran, summed
    exit_code: int
    report: dict
    largest_obsgov_mib: float  # the largest obsgov process (a stack's preview, or the gate)
    largest_pack_mib: float
    total_mib: float  # every process summed, at its peak
    load_before: float
    load_after: float
    #: stopped at --deadline: the stacks judged by then (stack -> seconds), else None
    partial: dict[str, float] | None = None


#: --deadline: when a run still going is stopped and reported as far as it got (epoch s)
DEADLINE: float | None = None


def timed_preview(stacks: Path, stack: str, *extra: str) -> Timed:
    """``obsgov preview --stack STACK [extra]`` in a fresh process, as a user runs it."""
    report = stacks.parent / f"report-{stack}.json"
    load_before = load_average()
    with RssSampler() as sampler:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        cli = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "obsgov.cli",
                "preview",
                "--stack",
                stack,
                "--stacks-dir",
                str(stacks),
                *extra,
                # a loaded machine (or --nice-from) can starve a pack's start past the
                # default minute: the gate would fail closed and time a broken run
                "--pack-start-timeout",
                "900",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        partial = None
        try:
            timeout = None if DEADLINE is None else max(1.0, DEADLINE - time.time())
            _, stderr = cli.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM: the environment gate stops its stacks' processes and their packs
            cli.terminate()
            _, stderr = cli.communicate()
            partial = sampler.judged()
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if partial is None and cli.returncode not in (0, 1):
        raise SystemExit(
            f"obsgov preview --stack {stack} {' '.join(extra)} failed ({cli.returncode}):\n"
            f"{stderr[-4000:]}"
        )
    if partial is None:
        found = json.loads(report.read_text())
        judged = found["stacks"].values() if "stacks" in found else [found]
        errors = [p["error"] for r in judged for p in (r or {}).get("packs", []) if p["error"]]
        if errors:  # a pack that did not run: the figure would time a broken gate
            raise SystemExit(f"obsgov preview --stack {stack}: packs failed: {errors[:3]}")
    return Timed(
        seconds=seconds,
        cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        exit_code=cli.returncode,
        report=json.loads(report.read_text()) if partial is None else {"stacks": {}},
        largest_obsgov_mib=sampler.largest("obsgov"),
        largest_pack_mib=sampler.largest("pack"),
        total_mib=sampler.peak_kib / 1024,
        load_before=load_before,
        load_after=load_average(),
        partial=partial,
    )


def _git(repository: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(repository),
            "-c",
            "user.email=b@example.com",
            "-c",
            "user.name=b",
            *args,
        ],
        check=True,
        capture_output=True,
    )


def prepare_environment(folder: Path, accounts: int, shards: int | None) -> Path:
    """The generated prod environment in ``folder``/stacks, in a git repository of its own
    (``--changed-since`` reads its history): one stack with its own sink (``shards`` None), or
    the organisation stack, prod's central stack and ``shards`` member shards, with the
    physical-name inventory ``obsgov policy inventory`` writes (the gate hands each stack the
    others' claims: without it the organisation stack's catalog settings count as missing).
    Kept and reused when ``folder`` already holds the same environment (the inventory
    synthesizes every stack: minutes at 1,000 accounts); it is set up, never timed."""
    stacks = folder / "stacks"
    stamp = folder / "generated.json"
    want = {"accounts": accounts, "shards": shards, "generator": _generator_digest()}
    _wait_for_another_preparer(folder.parent / f"{folder.name}.preparing")
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        _git(folder, "checkout", "-q", "--", ".")  # a run's one-account change undone
        return stacks
    marker = folder.parent / f"{folder.name}.preparing"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()))
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    stack_file = generate_environment(stacks, accounts, single_stack=shards is None)
    if shards is not None:
        document = yaml.safe_load(stack_file.read_text())
        document["config"]["obsgov:memberShards"] = {"count": shards}
        stack_file.write_text(yaml.safe_dump(document))
        for n in range(shards):
            (stacks / f"Pulumi.prod-members-{n}.yaml").write_text(
                f"config:\n  obsgov:stackRole: shard\n  obsgov:shardOf: prod\n  obsgov:shard: {n}\n"
            )
        write_inventory_in_parallel(stacks)
    _git(folder, "init", "-q")
    _git(folder, "add", ".")
    _git(folder, "commit", "-q", "-m", "generated")
    stamp.write_text(json.dumps(want))
    marker.unlink(missing_ok=True)
    return stacks


def _wait_for_another_preparer(marker: Path) -> None:
    """Another process preparing the same --workdir folder (its pid in ``marker``): wait
    for it rather than generate the folder under it."""
    while marker.is_file():
        try:
            os.kill(int(marker.read_text()), 0)
        except (ValueError, ProcessLookupError):
            return  # it died: this one generates the folder again
        time.sleep(5)


def _stack_claims(stacks: Path, stack: str) -> list:
    from obsgov.gate.inventory import build_inventory

    return build_inventory(stacks, [stack]).stacks[stack]


def write_inventory_in_parallel(stacks: Path) -> None:
    """What ``obsgov policy inventory --stacks-dir`` writes (its own functions: every stack
    synthesized as the gate does and its claims recorded), one stack per process on every
    core: the command does them one after another, half an hour at 1,000 accounts."""
    from concurrent.futures import ProcessPoolExecutor

    from obsgov.gate.inventory import Inventory, environments, inventory_path, write_inventory

    names = environments(stacks)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        claims = list(pool.map(_stack_claims, [stacks] * len(names), names))
    write_inventory(Inventory(dict(zip(names, claims, strict=True))), inventory_path(stacks))


def _generator_digest() -> str:
    """What the generated folder is made from: the shipped prod and organisation stacks (a
    folder kept with --workdir is the caller's to delete when the program changes)."""
    import hashlib

    parts = [(ROOT / "stacks" / n).read_bytes() for n in ("Pulumi.prod.yaml", "Pulumi.org.yaml")]
    return hashlib.sha256(b"".join(parts)).hexdigest()[:16]


def change_one_account(stacks: Path) -> str:
    """One account's endpoint latency objective moved (a one-line registry change); returns
    the account's name."""
    registry = stacks / "accounts.yaml"
    data = yaml.safe_load(registry.read_text())
    data["workloads"][0]["slo"]["latencyP99Ms"] += 50
    registry.write_text(yaml.safe_dump(data))
    return data["workloads"][0]["account"]


def run_sharded(accounts: int, shards: int, workdir: Path) -> dict:
    """The environment as central + ``shards`` member shards, judged whole and after one
    account's change (not run once --deadline has passed)."""
    folder = workdir / f"sharded-{accounts}x{shards}"
    stacks = prepare_environment(folder, accounts, shards)
    full = timed_preview(stacks, "prod", "--all-stacks")
    one = None
    if not _past_deadline():
        change_one_account(stacks)
        one = timed_preview(stacks, "prod", "--changed-since", "HEAD")
        _git(folder, "checkout", "-q", "--", ".")
    return {"accounts": accounts, "shards": shards, "full": full, "one": one}


def _past_deadline() -> bool:
    return DEADLINE is not None and time.time() >= DEADLINE


def run_single(accounts: int, workdir: Path) -> Timed:
    stacks = prepare_environment(workdir / f"single-{accounts}", accounts, None)
    return timed_preview(stacks, "prod")


def _row(label: str, t: Timed, stacks: int | str) -> str:
    if t.partial is not None:
        done = len(t.partial)
        label += (
            f" STOPPED at the deadline after {t.seconds:,.0f} s: {done} of {stacks} stacks "
            f"judged ({', '.join(f'{k} {v:.0f} s' for k, v in sorted(t.partial.items()))})"
        )
        if done:
            label += f"; projected {t.seconds * int(stacks) / done:,.0f} s"
        stacks = done
    return (
        f"| {label} | {stacks} | {t.seconds:,.1f} | {t.cpu_seconds:,.1f} | {t.exit_code} | "
        f"{t.largest_obsgov_mib:,.0f} | {t.largest_pack_mib:,.0f} | {t.total_mib:,.0f} | "
        f"{t.load_before:.1f} / {t.load_after:.1f} |"
    )


def environment_figures(
    sizes: list[int], per_shard: int, workdir: Path, nice_from: int | None = None
) -> None:
    """The issue's figures, one run, one table (README "Stacks"): the single stack against
    the sharded environment at the smallest size, and at every size the full environment gate
    and the one-account change gate."""
    print(
        "| run | stacks judged | wall s | CPU s, all processes | exit | largest obsgov "
        "process MiB | largest pack MiB | all processes MiB | load (1 min) before / after |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
    smallest = min(sizes)
    single = run_single(smallest, workdir)
    print(_row(f"{smallest} accounts, single stack", single, 1), flush=True)
    for accounts in sorted(sizes):
        if _past_deadline():
            print(f"| {accounts} accounts: not run, the deadline had passed | | | | | | | | |")
            continue
        if nice_from is not None and accounts >= nice_from and os.nice(0) == 0:
            os.nice(10)  # the long sizes give way to the machine's other work
            print(f"<!-- from {accounts} accounts on: niceness 10 -->", flush=True)
        shards = max(1, -(-accounts // per_shard))
        started = time.perf_counter()
        r = run_sharded(accounts, shards, workdir)
        setup = time.perf_counter() - started - r["full"].seconds
        if r["one"] is not None:
            setup -= r["one"].seconds
        full, one = r["full"], r["one"]
        print(
            _row(f"{accounts} accounts, {shards} shards: full gate", full, shards + 1),
            flush=True,
        )
        if one is not None:
            share = f"{100 * one.seconds / full.seconds:.0f}% of the full gate"
            if full.partial is not None:
                share = "the full gate did not finish"
            print(
                _row(
                    f"{accounts} accounts, {shards} shards: one-account change ({share}; "
                    f"judged {', '.join(sorted(one.report['stacks']))})",
                    one,
                    len(one.report["stacks"]),
                ),
                flush=True,
            )
        print(
            f"<!-- {accounts} accounts: generating the folder and its inventory took "
            f"{setup:,.0f} s (reused when --workdir kept it) -->",
            flush=True,
        )
        if accounts == smallest and full.partial is None:
            print(
                f"<!-- {accounts} accounts: sharded full gate / single stack = "
                f"{full.seconds / single.seconds:.2f} (wall), "
                f"{full.cpu_seconds / single.cpu_seconds:.2f} (CPU) -->",
                flush=True,
            )


def alternate(accounts: int, pack: str, rounds: int) -> None:
    """What ``pack`` adds, steadier than two end-to-end runs (whose ``obsgov`` process alone
    varies by more than a pack costs on a shared machine): one synthesized graph judged
    in-process, alternately by the stack's packs and by all but ``pack``, ``rounds`` times,
    each run's CPU seconds: this process (the gate, its requests, placing the findings and the
    JSON report) and the pack processes it started and reaped. Synthesis is excluded."""
    from obsgov.config.loader import load_environment
    from obsgov.gate.engine import GateOptions, run_gate
    from obsgov.reports import review, to_json
    from obsgov.synth import synthesize
    from obsgov_policies.catalog import pack_table

    def cpu() -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    with tempfile.TemporaryDirectory() as tmp:
        env = load_environment("prod", generate_environment(Path(tmp) / "stacks", accounts))
        graph = synthesize(env)
        print(f"{accounts} accounts, {len(graph):,} resources; CPU s of the gate and report")
        print(f"{'round':>5} {'packs':>5} {'obsgov':>7} {'packs':>7} {'total':>7} {'wall s':>7}")
        for round_ in range(1, rounds + 1):
            for names in (list(pack_table()), [n for n in pack_table() if n != pack]):
                packs = shipped_packs(env, names)
                (own, children), started = cpu(), time.perf_counter()
                run = run_gate(graph, packs, GateOptions(stack_config=env.config_map))
                to_json(run, review(run))
                own_after, children_after = cpu()
                own, children = own_after - own, children_after - children
                print(
                    f"{round_:>5} {len(names):>5} {own:>7.1f} {children:>7.1f} "
                    f"{own + children:>7.1f} {time.perf_counter() - started:>7.1f}",
                    flush=True,
                )


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
    parser.add_argument(
        "--environments",
        type=int,
        nargs="+",
        metavar="ACCOUNTS",
        help="the issue's figures in one run: single stack vs sharded at the smallest size, "
        "full and one-account-change environment gates at each size",
    )
    parser.add_argument(
        "--per-shard", type=int, default=50, help="with --environments: accounts per shard"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the generated environments here and reuse them (default: a temporary folder)",
    )
    parser.add_argument(
        "--nice-from",
        type=int,
        metavar="ACCOUNTS",
        help="with --environments: run this size and larger ones at niceness 10",
    )
    parser.add_argument(
        "--deadline",
        metavar="HH:MM",
        help="UTC time at which a gate still running is stopped and reported as far as it got "
        "(the stacks judged by then, a projection)",
    )
    parser.add_argument(
        "--alternate",
        metavar="PACK",
        help="what PACK adds: one graph (the largest of --sizes) judged in-process with and "
        "without it, alternately, --rounds times",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --alternate")
    args = parser.parse_args()
    if args.alternate is not None:
        alternate(max(args.sizes), args.alternate, args.rounds)
        return
    if args.deadline:
        global DEADLINE
        from datetime import UTC, datetime

        hour, minute = (int(x) for x in args.deadline.split(":"))
        now = datetime.now(UTC)
        DEADLINE = now.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()
    if args.environments is not None or args.sharded is not None:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = (args.workdir or Path(tmp)).resolve()
            if args.environments is not None:
                environment_figures(args.environments, args.per_shard, workdir, args.nice_from)
                return
            r = run_sharded(args.sharded, args.shards, workdir)
        full, one = r["full"], r["one"]
        if one is None:
            print(_row(f"{r['accounts']} accounts in {r['shards']} shards", full, r["shards"] + 1))
            return
        print(
            f"{r['accounts']} accounts in {r['shards']} shards: full gate {full.seconds:.1f} s "
            f"({len(full.report['stacks'])} stacks, exit {full.exit_code}); one-account change "
            f"{one.seconds:.1f} s ({', '.join(sorted(one.report['stacks']))}), "
            f"{100 * one.seconds / full.seconds:.0f}% of the full gate; largest obsgov process "
            f"{full.largest_obsgov_mib:.0f} MiB, largest pack {full.largest_pack_mib:.0f} MiB, "
            f"all processes {full.total_mib:.0f} MiB; load {full.load_before:.1f}"
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
        print(f"  of which, by process (sampled): {r['e2e_cpu_by_process']}")


if __name__ == "__main__":
    main()
