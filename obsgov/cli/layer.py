"""``obsgov build-layer``: the drift job's Lambda layer, built from the repository before
``pulumi up`` (the program uploads the folder and fails, naming this command, without it)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import EXIT_OK, command, out


@command
def build_layer(
    output: Path = typer.Option(
        None,
        "--out-dir",
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Layer folder to write (replaced only once the new one is complete). Default: "
        "build/job-layer, what driftMonitoring.layerDir names by default.",
    ),
    from_site: Path | None = typer.Option(
        None,
        "--from-site",
        metavar="DIR",
        file_okay=False,
        exists=True,
        help="Link the libraries from this site-packages folder instead of downloading "
        "Lambda's manylinux wheels: for tests and offline synthesis only; the layer is "
        "marked not deployable and `pulumi up` refuses it.",
    ),
) -> None:
    """Build the drift job's Lambda layer (numpy, scipy, pyarrow, pydantic, PyYAML).

    Downloads the manylinux wheels of the libraries the drift handler imports for Lambda's
    python3.12 on x86_64 (pip download from PyPI), unpacks and strips them (tests, headers,
    unused pyarrow modules, duplicate library copies) and writes python/ and manifest.json.
    Fails (exit 2) when the result would not fit Lambda's 250 MB for a function and its
    layers, unzipped.
    """
    from obsgov.job_layer import DEFAULT_DIR
    from obsgov.job_layer import build_layer as build

    target = output or DEFAULT_DIR
    manifest = build(target, from_site=from_site)
    out.print(
        f"{target}: {len(manifest.distributions)} distributions, "
        f"{manifest.unzipped_bytes / 1e6:.1f} MB unzipped"
        + ("" if manifest.deployable else " (not deployable: built from site-packages)")
    )
    raise typer.Exit(EXIT_OK)
