"""The output layer: whole files or nothing, through symlinks, no temporary files left."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from obsgov.errors import InputError
from obsgov.io import ProtectedArea, check_folder_writable, check_writable, write_atomic


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def message(call, *args) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)
    return str(caught.value.problems[0])


def test_writes_and_replaces(here):
    write_atomic(here / "out.json", "one\n")
    write_atomic(here / "out.json", "two\n")
    assert (here / "out.json").read_text() == "two\n"
    assert os.listdir(here) == ["out.json"]


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(here):
    write_atomic(here / "new.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((here / "new.txt").stat().st_mode) == 0o666 & ~umask
    (here / "kept.txt").write_text("x")
    os.chmod(here / "kept.txt", 0o640)
    write_atomic(here / "kept.txt", "y")
    assert stat.S_IMODE((here / "kept.txt").stat().st_mode) == 0o640


def test_writes_through_a_symlink(here):
    (here / "real").mkdir()
    (here / "real" / "report.json").write_text("old")
    os.symlink("real/report.json", here / "link.json")
    write_atomic(here / "link.json", "new")
    assert os.path.islink(here / "link.json")
    assert (here / "real" / "report.json").read_text() == "new"


def test_writes_through_a_dangling_symlink(here):
    os.symlink("target.json", here / "link.json")
    write_atomic(here / "link.json", "new")
    assert os.path.islink(here / "link.json")
    assert (here / "target.json").read_text() == "new"


def test_refuses_a_folder(here):
    (here / "out").mkdir()
    assert message(write_atomic, "out", "x") == "out: is a folder; give a file path"


def test_refuses_a_symlink_loop(here):
    os.symlink("loop", here / "loop")
    assert message(write_atomic, "loop", "x") == (
        "loop: is a symlink loop (a symlink that points back to itself)"
    )


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(here, monkeypatch):
    (here / "out.json").write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert message(write_atomic, "out.json", "new") == (
        "out.json: cannot be written (No space left on device)"
    )
    assert os.listdir(here) == ["out.json"]
    assert (here / "out.json").read_text() == "old"


def test_missing_folder(here):
    assert message(write_atomic, "nowhere/out.json", "x").startswith(
        "nowhere/out.json: cannot be written (No such file or directory"
    )


def test_concurrent_writers_never_collide(here):
    """The temporary file is unique per write: with a fixed name, two writers would rename
    each other's half-written file into place."""
    texts = [f"{i}\n" * 5000 for i in range(8)]
    errors: list[BaseException] = []

    def writer(text: str) -> None:
        try:
            for _ in range(20):
                write_atomic(here / "out.txt", text)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (here / "out.txt").read_text() in texts
    assert os.listdir(here) == ["out.txt"]


# --------------------------------------------------------------------------- check_writable


def test_check_refuses_an_input(here):
    (here / "accounts.yaml").write_text("accounts: []\n")
    assert message(check_writable, "accounts.yaml", "--output", [Path("accounts.yaml")]) == (
        "--output: accounts.yaml is one of this command's inputs (accounts.yaml); it would "
        "be overwritten"
    )


def test_check_refuses_an_input_reached_through_a_symlink(here):
    (here / "accounts.yaml").write_text("accounts: []\n")
    os.symlink("accounts.yaml", here / "report.json")
    assert message(check_writable, "report.json", "--output", [here / "accounts.yaml"]) == (
        "--output: report.json is one of this command's inputs (accounts.yaml); it would be "
        "overwritten"
    )


def test_check_refuses_a_parent_that_is_a_file(here):
    (here / "file").write_text("")
    assert message(check_writable, "file/out.json", "--json") == (
        "--json: file/out.json: file is not a folder"
    )


def test_check_refuses_a_missing_folder(here):
    assert message(check_writable, "missing/out.json", "--json") == (
        "--json: missing/out.json: folder missing does not exist"
    )


def test_check_refuses_a_folder(here):
    (here / "out").mkdir()
    assert message(check_writable, "out", "-o") == "-o: out is a folder; give a file path"


def test_check_leaves_nothing_behind(here):
    target = check_writable("out.json", "--output")
    assert target == here / "out.json"
    assert os.listdir(here) == []


# --------------------------------------------------------------------------- protected areas


def _project(here: Path) -> list[ProtectedArea]:
    (here / "project" / "pack").mkdir(parents=True)
    (here / "project" / "__main__.py").write_text("")
    return [
        ProtectedArea(here / "project", "the project's files", ("*.py", "Pulumi.*.yaml"), False),
        ProtectedArea(here / "project" / "pack", "a pack folder"),
    ]


def test_a_file_the_project_reads_is_refused_and_named_with_its_area(here):
    areas = _project(here)
    assert message(check_writable, "project/__main__.py", "--json", (), areas) == (
        "--json: project/__main__.py is in the project's files (project/), which the project "
        "reads; obsgov writes no output there: give a path outside it"
    )
    # a new file of a kind the project reads is refused too: it would be read next time
    assert "is in the project's files" in message(
        check_writable, "project/Pulumi.qa.yaml", "-o", (), areas
    )
    assert "is in a pack folder" in message(check_writable, "project/pack/x.json", "-o", (), areas)


def test_other_files_beside_the_project_and_below_it_may_be_written(here):
    areas = _project(here)
    (here / "project" / "reports").mkdir()
    assert (
        check_writable("project/report.json", "-o", (), areas) == here / "project" / "report.json"
    )
    # a pattern area without recursion guards only its own folder's files
    assert check_writable("project/reports/x.py", "-o", (), areas).name == "x.py"


def test_the_file_a_command_regenerates_is_allowed(here):
    areas = _project(here)
    allowed = [here / "project" / "pack" / "snapshot.json"]
    target = check_writable("project/pack/snapshot.json", "-o", (), areas, allowed)
    assert target == allowed[0]


def test_a_symlink_into_a_protected_area_is_refused(here):
    areas = _project(here)
    os.symlink(here / "project" / "__main__.py", here / "innocent.json")
    assert "is in the project's files" in message(check_writable, "innocent.json", "-o", (), areas)


def test_an_output_folder_is_probed_and_never_in_a_protected_area(here):
    areas = _project(here)
    assert "is in a pack folder" in message(
        check_folder_writable, "project/pack/out", "--out-dir", areas
    )
    assert check_folder_writable("new/deeper", "--out-dir", areas) == here / "new" / "deeper"
    assert os.listdir(here) == ["project"]  # the probe left nothing, created nothing
    (here / "file").write_text("")
    assert message(check_folder_writable, "file", "--out") == "--out: file is not a folder"
    assert message(check_folder_writable, "/proc/obsgov", "--out").startswith(
        "--out: /proc/obsgov cannot be written in /proc"
    )
