"""The Lambda layer the drift job runs on: numpy, scipy, pyarrow, pydantic and PyYAML, built
from the repository by ``obsgov build-layer`` and uploaded by the Pulumi program.

Why a layer and not an image: the stripped libraries take 223 MB unzipped for python3.12 on
x86_64 (``benchmarks/runtime_size.py``), inside Lambda's 250 MB for a function and all its
layers unzipped, so the drift job keeps the zip runtime every other platform function uses and
no registry or image build is needed. A layer above 50 MB zipped cannot be uploaded directly;
the program uploads it to the account's monitoring bucket and publishes the layer from there
(Lambda quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).

The layer folder holds ``python/`` (what Lambda puts on ``sys.path`` from ``/opt/python``) and
``manifest.json``: the distributions, the build's platform, its size and a content hash the
program gives the layer version, so a rebuilt layer with the same content changes nothing.

Two sources:

* wheels (the default): ``pip download`` of the manylinux wheels for Lambda's Python and
  architecture, unpacked and stripped: what is deployed;
* ``--from-site DIR``: the distributions installed in a site-packages folder, linked rather
  than copied. Only for tests and offline synthesis: the manifest marks it ``deployable:
  false`` and the program refuses to deploy it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from obsgov.errors import InputError

HANDLER_MODULE = "obsgov.drift.job"
RUNTIME = "python3.12"
ARCHITECTURE = "x86_64"
# Lambda: a function and all its layers at most 250 MB unzipped (262,144,000 bytes, the
# CodeSizeUnzipped GetAccountSettings reports); a direct upload at most 50 MB.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
MANIFEST = "manifest.json"
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "build" / "job-layer"
# The Lambda Python runtime provides boto3 and what it needs.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
# Imported only when present (numpy.f2py tries charset_normalizer and does without it).
OPTIONAL = frozenset({"charset-normalizer"})
# Arrow modules no job loads and no loaded library links (readelf -d: lib.so and the modules
# the engine imports link libarrow_substrait, so it stays).
PYARROW_UNUSED = (
    "flight",
    "_orc",
    "orc",
    "_cuda",
    "cuda",
    "_s3fs",
    "libarrow_s3",
    "_gcsfs",
    "_azurefs",
    "_hdfs",
    "gandiva",
    "_pyarrow_cpp_tests",
    "_dataset_orc",
)
_DROPPED_DIRS = frozenset({"tests", "__pycache__", "include", "includes"})
_DROPPED_SUFFIXES = frozenset({".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c"})


class LayerMissing(InputError):
    """The layer folder has not been built (or not for deployment)."""


@dataclass(frozen=True)
class LayerManifest:
    distributions: list[str]
    runtime: str
    architecture: str
    deployable: bool
    unzipped_bytes: int
    content_hash: str  # base64-free hex SHA-256 of every file's path and bytes
    source: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


def handler_distributions(module: str = HANDLER_MODULE, python: str | None = None) -> list[str]:
    """The third-party distributions ``module`` loads when imported, less what the runtime
    provides: probed in a child interpreter so this process's imports do not count."""
    probe = (
        "import importlib, importlib.metadata as md, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "names = {m.split('.')[0] for m in list(sys.modules) if not m.startswith('_')}\n"
        "owners = md.packages_distributions()\n"
        "print(json.dumps(sorted({d for n in names if n in owners for d in owners[n]})))\n"
    )
    done = subprocess.run(
        [python or sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    found = json.loads(done.stdout)
    skip = RUNTIME_PROVIDED | OPTIONAL | {"obsgov"}
    return [d for d in found if _normal(d) not in {_normal(s) for s in skip}]


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def strip_tree(site: Path) -> None:
    """Remove what a job never loads: tests, headers and Cython sources, pyarrow's unused
    modules, and the duplicate copies of shared libraries a wheel carries."""
    for path in sorted(site.rglob("*"), reverse=True):
        if not path.exists() and not path.is_symlink():
            continue
        if path.is_dir() and path.name in _DROPPED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in _DROPPED_SUFFIXES:
            path.unlink()
    arrow = site / "pyarrow"
    if arrow.is_dir():
        for path in list(arrow.iterdir()):
            if path.is_file() and any(key in path.name for key in PYARROW_UNUSED):
                path.unlink()
        for path in list(arrow.glob("*.so*")):
            stem, _, version = path.name.partition(".so")
            if version == "" and list(arrow.glob(f"{stem}.so.*")) or version.count(".") >= 2:
                path.unlink()


def strip_symbols(site: Path) -> bool:
    """Drop the shared libraries' symbol tables (``strip --strip-unneeded``), except in the
    auditwheel-vendored ``*.libs`` folders, which patchelf rewrote and strip corrupts. False
    when binutils' strip is not installed (the layer is then about 33 MB larger)."""
    tool = shutil.which("strip")
    if tool is None:
        return False
    for path in site.rglob("*.so*"):
        if path.is_file() and not path.parent.name.endswith(".libs"):
            subprocess.run([tool, "--strip-unneeded", str(path)], capture_output=True)
    return True


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _from_wheels(wheels: Iterable[Path], site: Path) -> None:
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)


def _from_site(distributions: Sequence[str], source: Path, site: Path) -> None:
    """Link each distribution's installed files (its RECORD) from ``source`` into ``site``."""
    found = {
        _normal(d.metadata["Name"]): d
        for d in metadata.distributions(path=[str(source)])
        if d.metadata["Name"]
    }
    missing = [d for d in distributions if _normal(d) not in found]
    if missing:
        raise InputError.single(
            str(source), "--from-site", f"lacks the distributions {', '.join(missing)}"
        )
    for name in distributions:
        for file in found[_normal(name)].files or []:
            # scripts (../../../bin/f2py) and metadata are not importable code
            if ".." in file.parts or file.parts[0].endswith(".dist-info"):
                continue
            origin = Path(str(file.locate()))
            if not origin.is_file() or origin.suffix == ".pyc":
                continue
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(origin, target)
            except OSError:
                shutil.copy2(origin, target)


def _download(distributions: Sequence[str], folder: Path, python: str, arch: str) -> list[Path]:
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
    for platform in ("manylinux2014", "manylinux_2_17", "manylinux_2_28"):
        command += ["--platform", f"{platform}_{arch}"]
    done = subprocess.run(command + list(distributions), capture_output=True, text=True)
    if done.returncode:
        raise InputError.single(
            "pip download", " ".join(distributions), done.stderr.strip()[-500:] or "failed"
        )
    return sorted(folder.glob("*.whl"))


def build_layer(
    out: Path,
    *,
    from_site: Path | None = None,
    distributions: Sequence[str] | None = None,
    code_bytes: int = 0,
    max_bytes: int = MAX_UNZIPPED_BYTES,
) -> LayerManifest:
    """Build the layer folder at ``out`` (replaced only once the new one is complete) and
    return its manifest. ``code_bytes`` is the function's own archive, which shares the
    250 MB with the layer."""
    wanted = list(distributions) if distributions is not None else handler_distributions()
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        staging = Path(tmp) / "layer"
        site = staging / "python"
        site.mkdir(parents=True)
        if from_site is not None:
            _from_site(wanted, from_site, site)
            source = f"site-packages {from_site} (not deployable: built for this machine)"
        else:
            python = RUNTIME.removeprefix("python")
            _from_wheels(_download(wanted, Path(tmp) / "wheels", python, ARCHITECTURE), site)
            source = f"manylinux wheels for cp{python.replace('.', '')} {ARCHITECTURE}"
        strip_tree(site)
        if from_site is None:  # never on linked files: strip rewrites them in place
            strip_symbols(site)
        size = tree_bytes(site)
        # a site-packages build keeps its symbol tables (its files are links, never
        # rewritten) and is never deployed: the limit binds the wheel build
        if from_site is None and size + code_bytes > max_bytes:
            raise InputError.single(
                str(out),
                "layer",
                f"is {size / 1e6:.1f} MB unzipped, with the function's "
                f"{code_bytes / 1e6:.1f} MB more than Lambda's "
                f"{max_bytes / 1e6:.1f} MB for a function and its layers",
            )
        manifest = LayerManifest(
            distributions=sorted(wanted, key=_normal),
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            deployable=from_site is None,
            unzipped_bytes=size,
            content_hash=content_hash(site),
            source=source,
        )
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        previous = out.with_name(out.name + ".previous")
        if out.exists():
            out.rename(previous)
        staging.rename(out)
        if previous.exists():
            shutil.rmtree(previous)
    return manifest


def read_manifest(folder: Path) -> LayerManifest:
    """The manifest of a built layer, or :class:`LayerMissing` saying how to build it."""
    path = folder / MANIFEST
    hint = "build it with `obsgov build-layer` (see README, 'The drift job's layer')"
    if not path.is_file() or not (folder / "python").is_dir():
        raise LayerMissing.single(str(folder), "driftMonitoring.layerDir", f"is missing: {hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LayerManifest(**data)
    except (ValueError, TypeError) as exc:
        raise LayerMissing.single(
            str(path), "driftMonitoring.layerDir", f"is not a layer manifest ({exc}): {hint}"
        ) from None
