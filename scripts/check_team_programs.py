"""Run `obsgov preview --project` on many team projects and tally how each run ends.

    python scripts/check_team_programs.py --policy-pack policies/security-baseline DIR...

A run reaches a verdict when every pack judged the stack (exit 0 or 1, no pack error), followed
by what the verdict rests on that obsgov could only guess (invokes, stack references); every
other ending is listed with its first error line. Extra arguments after ``--`` go to each
``obsgov preview`` (``--stack``, ``--config``, ``--program-timeout``...). Prints one line per
project and the totals; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path


def guessed(guesses: dict) -> str:
    """What a verdict rests on that obsgov could only guess (the report's ``guesses``), short:
    such a verdict is the CLI's only as far as the guesses are right."""
    parts = [
        f"{token.rsplit(':', 1)[-1]}" + (f" x{n}" if n > 1 else "")
        for key in ("unansweredInvokes", "derivedInvokes")
        for token, n in guesses.get(key, {}).items()
    ]
    parts += [f"stackref {name}" for name in guesses.get("unknownStackReferences", [])]
    return ", ".join(parts)


def outcome(project: Path, packs: list[str], extra: list[str], timeout: float) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "report.json")
        args = [sys.executable, "-m", "obsgov.cli", "preview", "--project", str(project)]
        args += [a for p in packs for a in ("--policy-pack", p)]
        args += ["--format", "json", "--output", str(report), *extra]
        if "--stack" not in extra:
            args += ["--stack", "dev"]
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            return "hang", f"no answer within {timeout:g} s"
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        if report.exists() and done.returncode in (0, 1):
            data = json.loads(report.read_text())
            failed = [p for p in data.get("packs", []) if p.get("status") == "error"]
            if failed:
                return "pack error", str(failed[0].get("error", ""))[:120]
            counts = Counter(
                v["level"] for p in data.get("packs", []) for v in p.get("violations", [])
            )
            rests_on = guessed(data.get("guesses", {}))
            detail = f"exit {done.returncode}; {dict(sorted(counts.items()))}"
            return "verdict", detail + (f"; guessed: {rests_on}" if rests_on else "")
        if done.returncode == 1 and errors:
            return "refused", errors[0][:160]
        return f"exit {done.returncode}", (errors or done.stderr.splitlines()[-1:] or [""])[0][:160]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy-pack", action="append", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("projects", nargs="+", type=Path)
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    else:
        extra = []
    options = parser.parse_args(argv)
    tally: Counter[str] = Counter()
    for project in options.projects:
        kind, detail = outcome(project, options.policy_pack, extra, options.timeout)
        tally[kind] += 1
        print(f"{project.name:45} {kind:11} {detail}", flush=True)
    print("totals:", ", ".join(f"{k} {n}" for k, n in tally.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
