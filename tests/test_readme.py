"""README is short (issue 36): what obsgov is, the two commands, a picture of the report and
the command table, with the rest under docs/; every link it gives resolves, and the table
names every command the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from obsgov.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# the first two commands, exactly as they have always been (people copy them)
FIRST_COMMANDS = """\
```bash
python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/obsgov preview --stack dev
apt-get update -qq && apt-get install -y -qq chromium default-jre-headless && .venv/bin/python -m pytest -q -p no:cacheprovider -n 2
```"""


def test_the_readme_starts_with_the_two_commands_and_stays_short():
    assert README.startswith("# obsgov\n\n" + FIRST_COMMANDS + "\n")
    assert len(README.encode()) < 12_000


def test_every_link_in_the_readme_and_the_docs_resolves():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            assert (page.parent / target).exists(), f"{page.name}: {target}"


def test_the_command_table_names_every_command():
    root = typer.main.get_command(app)
    table = README[README.index("## Commands") :]
    table = table[: table.index("\n\n", table.index("| command |"))]
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub in subcommands:
                assert re.search(rf"obsgov {name} (?:[^|]|\\\|)*\b{sub}\b", table), f"{name} {sub}"
        else:
            assert f"`obsgov {name}" in table, name


def test_the_report_picture_is_there():
    picture = ROOT / "docs" / "report.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](docs/report.png)" in README


def test_the_architecture_tree_names_every_package_and_module():
    """docs/architecture.md's code tree is the map a new engineer reads first (issue 26): every
    component folder and every package or top-level module of obsgov/ is on it, so a module
    added without a line there fails here."""
    tree_text = (ROOT / "docs" / "architecture.md").read_text().split("```")[1]
    listed = {line.split()[0] for line in tree_text.splitlines() if line.strip()}
    expected = set()
    for parent in ("components", "obsgov"):
        for path in (ROOT / parent).iterdir():
            if path.name.startswith(("_", ".")):
                continue
            if path.is_dir() and (path / "__init__.py").exists():
                expected.add(f"{path.name}/")
            elif path.suffix == ".py":
                expected.add(path.name)
    assert sorted(expected - listed) == []
