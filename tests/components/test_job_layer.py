"""The drift layer: built by ``obsgov build-layer``, required by the program, within Lambda's
limits. Lambda quotas: a function and all its layers at most 250 MB unzipped, 50 MB zipped
for a direct upload, five layers per function
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)."""

from __future__ import annotations

import json
import site
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.shared.platform_function import MAX_LAYERS, PlatformFunctionArgs
from obsgov.cli import app
from obsgov.errors import InputError
from obsgov.job_layer import (
    MANIFEST,
    MAX_UNZIPPED_BYTES,
    LayerMissing,
    build_layer,
    handler_distributions,
    read_manifest,
    strip_tree,
)

SITE = Path(site.getsitepackages()[0])


def test_the_limit_is_lambdas_250_mb():
    # GetAccountSettings reports CodeSizeUnzipped 262144000 bytes (250 MiB)
    assert MAX_UNZIPPED_BYTES == 262_144_000


def test_the_drift_handler_needs_its_libraries_and_not_the_runtimes_boto3():
    found = {d.lower().replace("_", "-") for d in handler_distributions()}
    assert {"numpy", "scipy", "pyarrow", "pydantic", "pyyaml"} <= found
    assert not found & {"boto3", "botocore", "obsgov"}


def test_a_site_build_links_the_distributions_and_is_marked_not_deployable(tmp_path):
    out = tmp_path / "layer"
    manifest = build_layer(out, from_site=SITE, distributions=["PyYAML", "annotated-types"])
    assert (out / "python" / "yaml" / "__init__.py").is_file()
    assert (out / "python" / "annotated_types" / "__init__.py").is_file()
    assert not list((out / "python").rglob("*.dist-info"))
    assert not (tmp_path / "bin").exists()  # a distribution's scripts stay out
    assert manifest.deployable is False
    assert json.loads((out / MANIFEST).read_text())["deployable"] is False
    assert read_manifest(out) == manifest
    # rebuilding replaces the folder whole, with the same content hash
    again = build_layer(out, from_site=SITE, distributions=["PyYAML", "annotated-types"])
    assert again.content_hash == manifest.content_hash


def test_a_distribution_the_site_lacks_is_named(tmp_path):
    with pytest.raises(InputError, match="lacks the distributions no-such-dist"):
        build_layer(tmp_path / "layer", from_site=SITE, distributions=["no-such-dist"])
    assert not (tmp_path / "layer").exists()


def test_a_missing_layer_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(LayerMissing) as caught:
        read_manifest(tmp_path / "job-layer")
    assert "obsgov build-layer" in caught.value.report()
    (tmp_path / "job-layer" / "python").mkdir(parents=True)
    (tmp_path / "job-layer" / MANIFEST).write_text("{}")
    with pytest.raises(LayerMissing, match="is not a layer manifest"):
        read_manifest(tmp_path / "job-layer")


def test_strip_drops_tests_headers_and_unused_arrow_modules(tmp_path):
    arrow = tmp_path / "pyarrow"
    (arrow / "tests").mkdir(parents=True)
    (arrow / "tests" / "test_x.py").write_text("")
    for name in (
        "lib.so",
        "_flight.so",
        "_s3fs.so",
        "libarrow.so",
        "libarrow.so.1800",
        "libarrow.so.1800.1.0",
        "api.h",
    ):
        (arrow / name).write_bytes(b"x")
    strip_tree(tmp_path)
    assert sorted(p.name for p in arrow.iterdir()) == ["lib.so", "libarrow.so.1800"]


def test_the_cli_builds_from_a_site_and_refuses_a_missing_one(tmp_path):
    runner = CliRunner()
    done = runner.invoke(
        app, ["build-layer", "--out", str(tmp_path / "l"), "--from-site", str(tmp_path / "none")]
    )
    assert done.exit_code == 2


def test_at_most_five_layers():
    from components.shared.platform_function import PlatformFunction

    args = PlatformFunctionArgs(
        environment="dev",
        account_id="111122223333",
        region="eu-west-1",
        function_name="f",
        handler="h.handler",
        archive_files={},
        statements=[],
        alarm_topic_arn="arn:aws:sns:eu-west-1:111122223333:t",
        layers=[f"arn:aws:lambda:eu-west-1:111122223333:layer:l{i}:1" for i in range(6)],
    )
    assert MAX_LAYERS == 5
    with pytest.raises(ValueError, match="at most 5 layers"):
        PlatformFunction("f", args)
