"""The pack process: its environment, as the Python language host builds it, and what a
failure to start tells."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from obsgov.gate.launch import GateOptions, launch_pack
from obsgov.gate.plugin import PackError, activate_virtualenv
from obsgov.gate.project import load_policy_pack
from tests.support.gate import PACKS


def test_a_virtualenv_goes_first_on_path_and_python_home_is_dropped():
    env = {"PATH": "/usr/bin", "PYTHONHOME": "/opt/python", "HOME": "/home/ci"}
    activated = activate_virtualenv(env, Path("/packs/venv"))
    assert activated == {
        "PATH": f"/packs/venv/bin{os.pathsep}/usr/bin",
        "VIRTUAL_ENV": "/packs/venv",
        "HOME": "/home/ci",
    }
    # the caller's environment is left as it was
    assert env == {"PATH": "/usr/bin", "PYTHONHOME": "/opt/python", "HOME": "/home/ci"}


def test_without_a_path_the_virtualenv_bin_is_joined_with_an_empty_path():
    assert activate_virtualenv({}, Path("/v")) == {
        "PATH": f"/v/bin{os.pathsep}",
        "VIRTUAL_ENV": "/v",
    }


def test_a_pack_that_dies_at_start_is_reported_with_the_last_15_lines_it_wrote(tmp_path):
    pack = tmp_path / "noisy"
    shutil.copytree(PACKS / "crash-at-start", pack)
    (pack / "__main__.py").write_text(
        textwrap.dedent("""
            import os, sys
            for i in range(1, 21):
                print(f"line {i}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(3)
        """)
    )
    project = load_policy_pack(pack)
    with pytest.raises(PackError) as caught:
        launch_pack(project, "dev", "obsgov", True, GateOptions(stack_config={}))
    tail = "\n".join(f"    line {i}" for i in range(6, 21))
    assert (
        str(caught.value) == f"policy pack {pack} printed no port and exited with code 3.\n{tail}"
    )
