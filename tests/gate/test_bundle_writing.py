"""Writing one bundle folder, checked without installing it: the manifest, the pinned
requirements, the vendored library, and the refusals."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from obsgov.errors import InputError, Problem
from obsgov.gate.bundle import pinned_requirements, write_bundle
from obsgov.gate.project import load_policy_pack
from tests.support.gate import PACKS


def _pack(tmp_path: Path, manifest: str) -> Path:
    pack = tmp_path / "src" / "probe"
    shutil.copytree(PACKS / "probe", pack)
    (pack / "PulumiPolicy.yaml").write_text(manifest)
    return pack


def test_a_requirement_that_is_not_installed_is_named():
    with pytest.raises(InputError) as caught:
        pinned_requirements(["pulumi", "no-such-distribution"])
    assert caught.value.problems == [
        Problem(
            "policy bundle",
            "",
            "no-such-distribution is not installed in this environment; install the project "
            "(pip install -e .)",
        )
    ]


def test_a_bundle_carries_the_manifest_pins_and_library(tmp_path):
    pack = _pack(tmp_path, "runtime: python\nversion: 1.2.3\ndescription: Probe pack\n")
    library = tmp_path / "lib"
    (library / "__pycache__").mkdir(parents=True)
    (library / "__init__.py").write_text("")
    (library / "__pycache__" / "x.pyc").write_text("")
    (library / "rules.pyc").write_text("")
    project = load_policy_pack(pack)
    bundle = write_bundle(project, tmp_path / "out", library)
    assert (bundle.pack, bundle.directory) == (project, tmp_path / "out" / "probe")
    assert sorted(p.name for p in bundle.directory.iterdir()) == [
        ".gitignore",
        "PulumiPolicy.yaml",
        "__main__.py",
        "obsgov_policies",
        "requirements.txt",
    ]
    assert [p.name for p in (bundle.directory / "obsgov_policies").iterdir()] == ["__init__.py"]
    assert (bundle.directory / "__main__.py").read_text() == (pack / "__main__.py").read_text()
    manifest = (bundle.directory / "PulumiPolicy.yaml").read_text()
    assert yaml.safe_load(manifest) == {
        "runtime": {"name": "python", "options": {"virtualenv": "venv"}},
        "version": "1.2.3",
        "description": "Probe pack",
    }
    # in the order a person writes a manifest, not sorted
    assert list(yaml.safe_load(manifest)) == ["runtime", "version", "description"]
    assert (bundle.directory / "requirements.txt").read_text() == "\n".join(
        [
            "# Pinned to the versions `obsgov policy bundle` ran with; the obsgov_policies",
            "# library is vendored beside __main__.py.",
            *(
                f"{name}=={metadata.version(name)}"
                for name in ("pulumi", "pulumi-policy", "pulumi-aws", "boto3")
            ),
            "",
        ]
    )


def test_a_bundle_without_version_or_description_leaves_them_out(tmp_path):
    pack = _pack(tmp_path, "runtime: python\n")
    bundle = write_bundle(load_policy_pack(pack), tmp_path / "out", tmp_path / "src")
    assert yaml.safe_load((bundle.directory / "PulumiPolicy.yaml").read_text()) == {
        "runtime": {"name": "python", "options": {"virtualenv": "venv"}}
    }


def test_a_bundle_replaces_the_previous_one(tmp_path):
    pack = _pack(tmp_path, "runtime: python\n")
    out = tmp_path / "out"
    (out / "probe").mkdir(parents=True)
    (out / "probe" / "stale.txt").write_text("old")
    write_bundle(load_policy_pack(pack), out, tmp_path / "src")
    assert not (out / "probe" / "stale.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == ["probe"]


def test_a_partial_bundle_left_by_an_interrupted_run_is_replaced(tmp_path):
    pack = _pack(tmp_path, "runtime: python\n")
    out = tmp_path / "out"
    (out / ".probe.partial").mkdir(parents=True)
    (out / ".probe.partial" / "half.txt").write_text("")
    write_bundle(load_policy_pack(pack), out, tmp_path / "src")
    assert sorted(p.name for p in out.iterdir()) == ["probe"]
    assert not (out / "probe" / "half.txt").exists()


def test_a_pack_without_its_main_is_refused_and_leaves_nothing(tmp_path):
    pack = _pack(tmp_path, "runtime: python\n")
    project = load_policy_pack(pack)
    (pack / "__main__.py").unlink()
    with pytest.raises(InputError) as caught:
        write_bundle(project, tmp_path / "out", tmp_path / "src")
    assert caught.value.problems == [
        Problem(str(pack), "main", f"{pack / '__main__.py'} does not exist: nothing to bundle")
    ]
    assert list((tmp_path / "out").iterdir()) == []


def test_a_bundle_has_the_templates_gitignore(tmp_path):
    """pulumi/templates-policy aws-python ships a .gitignore of ``*.pyc`` and ``venv/``: the
    virtualenv a developer creates in the pack is never archived by ``policy publish``."""
    project = load_policy_pack(_pack(tmp_path, "runtime: python\n"))
    bundle = write_bundle(project, tmp_path / "out")
    assert (bundle.directory / ".gitignore").read_text() == "*.pyc\nvenv/\n"


def test_an_output_folder_a_gitignore_covers_is_refused(tmp_path):
    """``pulumi policy publish`` archives a pack honouring every .gitignore from the pack up to
    the file system's root (addDirectoryToTar, sdk/go/common/util/archive/archive.go): under a
    repository that ignores ``dist/``, ``dist/policies/<pack>`` would publish no files."""
    project = load_policy_pack(_pack(tmp_path, "runtime: python\n"))
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / ".gitignore").write_text("# build output\n.venv/\ndist/\n")
    with pytest.raises(InputError) as caught:
        write_bundle(project, repository / "dist" / "policies")
    (problem,) = caught.value.problems
    assert problem.file == "--out"
    assert f"is ignored by {repository / '.gitignore'} ('dist/')" in problem.message
    assert not (repository / "dist" / "policies" / "probe").exists()
    # elsewhere in the same repository nothing is ignored
    assert write_bundle(project, repository / "policy-bundles").directory.is_dir()
