"""Every Python package in the source tree ships in a wheel, with its data files."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _source_packages() -> set[str]:
    found = set()
    for base, prefix in (
        (ROOT / "obsgov", "obsgov"),
        (ROOT / "components", "components"),
        (ROOT / "policies" / "obsgov_policies", "obsgov_policies"),
    ):
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base)
            found.add(".".join([prefix, *relative.parts]))
    return found


def _discovered_packages() -> set[str]:
    """What setuptools ships, found as the build finds it from ``[tool.setuptools.packages.find]``."""
    from setuptools import find_packages

    find = CONFIG["packages"]["find"]
    return {
        package
        for where in find["where"]
        for package in find_packages(where=str(ROOT / where), include=find["include"])
    }


def test_every_package_is_discovered():
    assert _source_packages() == _discovered_packages()


def test_data_files_are_declared():
    data = CONFIG["package-data"]
    assert "templates/*.json" in data["obsgov.opensearch"]
    assert list((ROOT / "obsgov" / "opensearch" / "templates").glob("*.json"))
    assert "*.yaml" in data["obsgov.environment_report"]
