"""How big each scheduled job is as a Lambda deployment, measured from the wheels it needs.

    .venv/bin/python benchmarks/runtime_size.py [--python-version 3.12] [--arch x86_64]
        [--check-python /path/to/python3.12]

For each job handler (drift, model quality, freshness) it imports the handler in a child
process and lists the third-party distributions that import loads (boto3 and its
dependencies are left out: the Lambda Python runtime provides them). It then downloads those
distributions' wheels for Lambda's platform (manylinux, the chosen Python and architecture)
with ``pip download`` into a temporary folder and prints, per distribution and in total:

* wheel size (what pip fetches) and installed size (unzipped: what counts against Lambda's
  250 MB limit for a function and all its layers, unzipped);
* installed size after stripping what a job never loads: tests, Cython sources and C headers,
  the duplicate copies of shared libraries wheels carry (a wheel cannot hold symlinks), and
  pyarrow's Flight, ORC, CUDA and remote filesystem (S3, GCS, Azure, HDFS) modules; then
  with the symbol tables of the shared libraries removed (``strip --strip-unneeded``, as the
  AWS SDK for pandas layer build does; not the auditwheel-vendored ``*.libs``, which strip
  corrupts), when binutils' strip is on the PATH;
* the stripped tree zipped (a layer uploaded directly may be at most 50 MB zipped; larger
  ones go through S3).

With ``--check-python`` (a Python of the chosen version on this machine) it proves the
stripped drift tree works: it builds the drift handler's archive (components'
``package_files``, plus obsgov_policies, which obsgov.config imports), runs an interpreter
with no site-packages on it plus the stripped tree, reads Parquet, CSV and JSON Lines files
and evaluates a baseline, and prints the handler's import time (the cold-start cost obsgov
adds) over three fresh processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HANDLERS = {
    "drift": "obsgov.drift.job",
    "model_quality": "obsgov.model_quality.job",
    "freshness": "obsgov.freshness.job",
}
# What the Lambda runtime provides and which Arrow modules no job loads: the layer's own rules.
from obsgov.job_layer import OPTIONAL, PYARROW_UNUSED  # noqa: E402
from obsgov.job_layer import RUNTIME_PROVIDED as RUNTIME  # noqa: E402


def mb(size: int) -> str:
    return f"{size / 1_000_000:7.1f}"


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def distributions(module: str) -> list[str]:
    """Third-party distributions the handler module loads when imported."""
    probe = (
        "import importlib, importlib.metadata as md, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "names = {m.split('.')[0] for m in list(sys.modules) if not m.startswith('_')}\n"
        "owners = md.packages_distributions()\n"
        "found = sorted({d for n in names if n in owners and n not in ('obsgov', "
        "'obsgov_policies') for d in owners[n]})\n"
        "print(json.dumps(found))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return [d for d in json.loads(out) if d.lower() not in RUNTIME | OPTIONAL]


def download(dists: list[str], folder: Path, python: str, arch: str) -> list[Path]:
    if not dists:
        return []
    platforms = [
        f"manylinux2014_{arch}",
        f"manylinux_2_17_{arch}",
        f"manylinux_2_28_{arch}",
    ]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "-d",
        str(folder),
    ]
    for platform in platforms:
        command += ["--platform", platform]
    subprocess.run(command + dists, check=True, capture_output=True)
    return sorted(folder.glob("*.whl"))


def strip(site: Path) -> None:
    for path in sorted(site.rglob("*"), reverse=True):
        if not path.exists():
            continue
        name = path.name
        if path.is_dir() and name in ("tests", "__pycache__", "include", "includes"):
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in (".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c"):
            path.unlink()
    arrow = site / "pyarrow"
    if arrow.is_dir():
        for path in list(arrow.iterdir()):
            if path.is_file() and any(key in path.name for key in PYARROW_UNUSED):
                path.unlink()
        # libarrow_python.so, .so.N and .so.N.M are three copies; the modules load .so.N
        for path in list(arrow.glob("*.so*")):
            parts = path.name.split(".so")
            unversioned_twin = parts[1] == "" and list(arrow.glob(f"{parts[0]}.so.*"))
            if unversioned_twin or parts[1].count(".") >= 2:
                path.unlink()


def strip_symbols(site: Path) -> bool:
    tool = shutil.which("strip")
    if tool is None:
        return False
    for path in site.rglob("*.so*"):
        # auditwheel's vendored libraries (numpy.libs, scipy.libs) were rewritten by patchelf;
        # strip breaks them ("ELF load command address/offset not page-aligned")
        if path.is_file() and not path.parent.name.endswith(".libs"):
            subprocess.run([tool, "--strip-unneeded", str(path)], capture_output=True)
    return True


def zipped(site: Path, target: Path) -> int:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(site.rglob("*")):
            if path.is_file():
                archive.write(path, Path("python") / path.relative_to(site))
    return target.stat().st_size


def obsgov_archive(job: str) -> dict[str, Path]:
    from components.shared.platform_function import package_files

    files = package_files(job)
    if job == "drift":
        # obsgov.config (through obsgov.drift.schema) imports obsgov_policies, which
        # package_files does not follow: without it the handler fails at import
        policies = ROOT / "policies"
        for path in (policies / "obsgov_policies").glob("*.py"):
            files[str(path.relative_to(policies))] = path
    return files


CHECK = r"""
import json, sys, time
started = time.perf_counter()
import obsgov.drift.job as job
imported = time.perf_counter() - started
import numpy as np, pyarrow as pa, pyarrow.parquet as pq, pyarrow.csv as pcsv
from obsgov.drift.data import Frame, read_frame
from obsgov.drift.engine import evaluate
from obsgov.drift.profile import build_baseline
from pathlib import Path
rng = np.random.default_rng(1)
table = pa.table({"x": rng.normal(size=5000), "c": pa.array(rng.choice(["a", "b"], 5000))})
baseline = build_baseline(Frame.from_table(table, "t"))
folder = Path(sys.argv[1])
pq.write_table(table, folder / "w.parquet", compression="zstd")
pcsv.write_csv(table, folder / "w.csv")
(folder / "w.jsonl").write_text("\n".join(json.dumps({"x": 1.0, "c": "a"}) for _ in range(50)))
rows = [evaluate(baseline, read_frame(folder / f"w.{k}")).dataset.rows
        for k in ("parquet", "csv", "jsonl")]
assert all(m.startswith(sys.argv[2]) or m in sys.builtin_module_names
           for m in [getattr(sys.modules[n], "__file__", None) or n for n in ("numpy", "scipy",
           "pyarrow", "pydantic")]), "a module came from outside the stripped tree"
print(json.dumps({"import_seconds": imported, "rows": rows}))
"""


def check(python: str, site: Path, job: str, work: Path) -> None:
    archive = work / "code"
    for name, source in obsgov_archive(job).items():
        target = archive / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    boto = work / "boto"  # the runtime's boto3, stood in for by this venv's copy
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        import importlib.util

        spec = importlib.util.find_spec(name.removesuffix(".py"))
        if spec and spec.origin:
            origin = Path(spec.origin)
            source = origin.parent if origin.name == "__init__.py" else origin
            target = boto / source.name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    env = {"PYTHONPATH": os.pathsep.join([str(archive), str(site), str(boto)]), "PATH": ""}
    times = []
    for _ in range(3):
        data = work / "data"
        data.mkdir(exist_ok=True)
        done = subprocess.run(
            [python, "-S", "-c", CHECK, str(data), str(site)],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
        )
        if done.returncode:
            print(f"  check FAILED:\n{done.stderr[-2000:]}")
            return
        result = json.loads(done.stdout)
        times.append(result["import_seconds"])
    print(
        f"  check: the stripped tree reads Parquet (zstd), CSV and JSON Lines and evaluates "
        f"({result['rows']} rows); handler import {min(times):.2f}-{max(times):.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--arch", default="x86_64", choices=("x86_64", "aarch64"))
    parser.add_argument("--check-python", default=None)
    args = parser.parse_args()
    print(f"Lambda python{args.python_version} {args.arch}; sizes in MB (10^6 bytes)")
    with tempfile.TemporaryDirectory() as tmp:
        for job, module in HANDLERS.items():
            dists = distributions(module)
            code = sum(p.stat().st_size for p in obsgov_archive(job).values())
            print(f"\n{job} ({module}): obsgov code {mb(code).strip()} MB")
            if not dists:
                print("  no third-party packages: the runtime's boto3 suffices")
                continue
            work = Path(tmp) / job
            wheels = download(dists, work / "wheels", args.python_version, args.arch)
            site = work / "site"
            header = ("wheel", "installed", "stripped", "symbols")
            print(f"  {'distribution':26} " + " ".join(f"{h:>9}" for h in header))
            totals = [0, 0, 0, 0]
            for wheel in wheels:
                one = work / "one" / wheel.name
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(one)
                sizes = [wheel.stat().st_size, tree_size(one)]
                strip(one)
                sizes.append(tree_size(one))
                strip_symbols(one)
                sizes.append(tree_size(one))
                shutil.copytree(one, site, dirs_exist_ok=True)
                name = wheel.name.split("-")[0] + " " + wheel.name.split("-")[1]
                print(f"  {name:26} " + " ".join(f"{mb(v):>9}" for v in sizes))
                totals = [t + v for t, v in zip(totals, sizes, strict=True)]
            print(f"  {'total':26} " + " ".join(f"{mb(v):>9}" for v in totals))
            layer = zipped(site, work / "layer.zip")
            print(f"  stripped tree zipped as a layer: {mb(layer).strip()} MB")
            if args.check_python and job == "drift":
                check(args.check_python, site, job, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
