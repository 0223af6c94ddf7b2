"""The drift layer the program refuses to synthesize without, built once per machine for the
tests from this environment's site-packages (``obsgov build-layer --from-site``: linked, fast,
marked not deployable). A lock keeps parallel test workers from building it twice at once."""

from __future__ import annotations

import fcntl
import site
from pathlib import Path

from obsgov.job_layer import DEFAULT_DIR, MANIFEST, build_layer


def ensure_test_layer(folder: Path = DEFAULT_DIR) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / ".job-layer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / MANIFEST).is_file():
            build_layer(folder, from_site=Path(site.getsitepackages()[0]))
    return folder
