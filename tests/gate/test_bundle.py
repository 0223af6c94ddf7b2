"""``obsgov policy bundle``: pack folders that run from their own files alone, as a published
pack does."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.project import load_policy_pack
from obsgov.gate.selection import stack_pack_files
from obsgov.synth import synthesize
from tests.support.gate import ROOT, SHIPPED_PACKS


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "policies"
    result = CliRunner().invoke(app, ["policy", "bundle", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_pack_is_bundled_with_its_library_and_pinned_requirements(bundles):
    from importlib import metadata

    assert sorted(p.name for p in bundles.iterdir()) == [
        "deploy-readiness",
        "model-governance",
        "observability",
        "security-baseline",
        "tagging",
    ]
    for bundle in bundles.iterdir():
        assert (bundle / "obsgov_policies" / "catalog.py").is_file()
        assert not list(bundle.rglob("__pycache__"))
        manifest = yaml.safe_load((bundle / "PulumiPolicy.yaml").read_text())
        assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
        assert manifest["version"] == load_policy_pack(SHIPPED_PACKS / bundle.name).version
        pins = [
            line
            for line in (bundle / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")
        ]
        assert pins == [
            f"{name}=={metadata.version(name)}"
            for name in ("pulumi", "pulumi-policy", "pulumi-aws", "boto3")
        ]


def test_a_bundle_refuses_to_start_until_its_virtualenv_exists(bundles):
    from obsgov.errors import InputError

    with pytest.raises(InputError) as caught:
        load_policy_pack(bundles / "tagging")
    assert "The 'virtualenv' option in Pulumi.yaml is set to \"venv\"" in str(
        caught.value.problems[0]
    )


def test_a_bundle_in_a_fresh_virtualenv_gives_the_in_repo_verdicts(
    bundles, example_env, example_graph
):
    """The published-pack path: a virtualenv made only from the bundle's own requirements.txt
    (no system site-packages, no obsgov), the pack started from its folder with that
    interpreter, as the Python language host does (pip.go Command: ``<venv>/bin/python``),
    judges the dev stack exactly as the in-repo pack does."""
    bundle = bundles / "observability"
    venv = bundle / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-compile",
            "-q",
            "-r",
            str(bundle / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    isolated = subprocess.run(
        [python, "-c", "import obsgov"], capture_output=True, text=True, cwd=bundle
    )
    assert "No module named 'obsgov'" in isolated.stderr

    env = example_env("dev")
    in_repo = load_policy_pack(SHIPPED_PACKS / "observability")
    published = load_policy_pack(bundle)
    assert published.python() == python
    layers = [EnvironmentLayer(env), *stack_pack_files(env, in_repo.directory)]
    # the dev stack itself, and a broken team stack the pack has much to say about
    broken = synthesize(
        env, program=ROOT / "tests" / "fixtures" / "broken_program.py", preview=False
    )
    for graph in (example_graph("dev", True), broken):
        # one run each: a gate refuses two folders holding packs of one name
        ours, theirs = (
            run_gate(graph, [(pack, layers)], GateOptions(stack_config=env.config_map)).packs[0]
            for pack in (in_repo, published)
        )
        assert ours.error is None, ours.error
        assert theirs.error is None, theirs.error
        assert ours.config == theirs.config
        assert [(v.policy, v.urn, v.level, v.message) for v in ours.violations] == [
            (v.policy, v.urn, v.level, v.message) for v in theirs.violations
        ]
    assert ours.violations, "the broken stack gives the observability pack something to say"
