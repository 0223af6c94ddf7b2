"""The pack process's environment, as the Python language host builds it."""

from __future__ import annotations

import os
from pathlib import Path

from obsgov.gate.plugin import activate_virtualenv


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
