"""Regenerate docs/deploy-readiness-findings.md: what the deploy-readiness pack reports on the
shipped stacks, grouped by environment and policy. The document is the program's deploy to-do
list; rerun this after a change to the program or the stacks.

    .venv/bin/python scripts/deploy_readiness_findings.py [--out docs/deploy-readiness-findings.md]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = "obsgov-deploy-readiness"
STACKS = ("dev", "staging", "prod")
# AWS documentation links close every message; the gate's own output keeps them
LINK = re.compile(r"\s*AWS: https://\S+\s*$")


def findings(stack: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "gate.json"
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("obsgov")),
                "preview",
                "--stack",
                stack,
                "--format",
                "json",
                "--output",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if not out.is_file():
            sys.exit(
                f"obsgov preview --stack {stack} wrote no report (exit {run.returncode}):\n"
                f"{run.stderr[-2000:]}"
            )
        report = json.loads(out.read_text(encoding="utf-8"))
    return [v for p in report["packs"] if p["name"] == PACK for v in p.get("violations", [])]


def render(by_stack: dict[str, list[dict]], commit: str) -> str:
    lines = [
        "# deploy-readiness findings on the shipped environments",
        "",
        "What the deploy-readiness pack reports on `stacks/` as shipped, from",
        f"`obsgov preview --stack ENV --format json` at commit {commit}, written by",
        "`scripts/deploy_readiness_findings.py`. This is the to-do list for making the program",
        "deployable; what remains is mostly prerequisites a person or `obsgov org prepare` must",
        "create. AWS documentation links are in each finding of the gate's output and left out",
        "here.",
    ]
    for stack, found in by_stack.items():
        lines += ["", f"## {stack} ({len(found)} finding{'s' if len(found) != 1 else ''})"]
        grouped: dict[str, list[str]] = defaultdict(list)
        for violation in found:
            grouped[violation["policy"]].append(LINK.sub("", violation["message"]))
        for policy in sorted(grouped):
            lines += ["", f"### {policy} ({len(grouped[policy])})"]
            lines += [f"- {message}" for message in sorted(grouped[policy])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "deploy-readiness-findings.md")
    args = parser.parse_args()
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "(unknown)"
    )
    by_stack = {stack: findings(stack) for stack in STACKS}
    text = render(by_stack, commit)
    partial = args.out.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(args.out)
    for stack, found in by_stack.items():
        print(f"{stack}: {len(found)} findings")


if __name__ == "__main__":
    main()
