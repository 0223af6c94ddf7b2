"""The shipped table of SageMaker instance types (``sagemaker_instance_types.yaml``).

An endpoint's saturation alarms are sized from its instance type, not from a hand-typed number:
SageMaker's ``CPUUtilization`` is the sum over the instance's vCPUs (0 to vCPUs x 100%), and
``GPUUtilization`` and ``GPUMemoryUtilization`` the sum over its GPUs (0 to GPUs x 100%); an
instance without GPUs publishes neither, so a GPU alarm on it could never fire
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

TABLE_FILE = "sagemaker_instance_types.yaml"


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    gpus: int
    gpu_memory_gib: int

    @property
    def has_gpus(self) -> bool:
        return self.gpus > 0


@dataclass(frozen=True)
class InstanceTable:
    sources: tuple[str, ...]
    types: dict[str, InstanceType]


def _row(name: str, row: Any) -> InstanceType:
    if not isinstance(row, dict) or set(row) != {"vcpus", "gpus", "gpuMemoryGiB"}:
        raise ValueError(f"{TABLE_FILE}: instanceTypes.{name}: needs vcpus, gpus, gpuMemoryGiB")
    values = [row["vcpus"], row["gpus"], row["gpuMemoryGiB"]]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ValueError(f"{TABLE_FILE}: instanceTypes.{name}: counts must be whole numbers >= 0")
    vcpus, gpus, memory = values
    if vcpus < 1 or (gpus == 0) != (memory == 0):
        raise ValueError(
            f"{TABLE_FILE}: instanceTypes.{name}: needs at least one vCPU, and GPU memory "
            "exactly when it has GPUs"
        )
    return InstanceType(name, vcpus, gpus, memory)


@functools.cache
def table() -> InstanceTable:
    from ruamel.yaml import YAML

    text = resources.files("obsgov.config").joinpath(TABLE_FILE).read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    rows = data["instanceTypes"]
    return InstanceTable(
        tuple(data["sources"]), {name: _row(name, row) for name, row in rows.items()}
    )


def lookup(name: str) -> InstanceType:
    """The table's row for ``name``; ValueError naming the table and close names otherwise."""
    types = table().types
    if name in types:
        return types[name]
    close = difflib.get_close_matches(name, list(types), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ValueError(
        f"{name!r} is not in obsgov's table of SageMaker instance types "
        f"(obsgov/config/{TABLE_FILE}){hint}; add its row (vCPUs, GPUs, GPU memory) there "
        "if SageMaker hosts endpoints on it"
    )
