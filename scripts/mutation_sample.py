"""A seeded random sample of a mutmut run's mutants, and the sample's score.

Used by scripts/mutation-test --sample: when every mutant of a target costs too much to run
(the gate's tests start pack processes), a uniform random sample estimates the kill rate, and
the Wilson interval says how far the estimate may be from the whole run's figure.

    python scripts/mutation_sample.py pick MUTANTS_DIR SIZE SEED [--unchecked]
    python scripts/mutation_sample.py summary MUTANTS_DIR SIZE SEED
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py); a timeout is a test that failed by waiting too long.
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout"}
NOT_KILLED = {0: "survived", 5: "no tests", 33: "no tests"}


def verdicts(mutants_dir: Path) -> dict[str, int | None]:
    """Every mutant mutmut generated under ``mutants_dir``, with its exit code (None: not run)."""
    found: dict[str, int | None] = {}
    for meta in sorted(mutants_dir.rglob("*.meta")):
        found.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return found


def pick(names: list[str], size: int, seed: int) -> list[str]:
    """``size`` names drawn without replacement; the same names, seed and size give the same
    sample whatever order the names were listed in."""
    ordered = sorted(names)
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


def status(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    return KILLED.get(exit_code) or NOT_KILLED.get(exit_code) or "suspicious"


def wilson(killed: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (well behaved near 100%, unlike the
    normal approximation)."""
    if total == 0:
        return (0.0, 1.0)
    p = killed / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summary(codes: dict[str, int | None], sample: list[str], population: int) -> str:
    counts = Counter(status(codes[name]) for name in sample)
    checked = len(sample) - counts["not checked"]
    killed = counts["killed"] + counts["timeout"]
    low, high = wilson(killed, checked)
    lines = [
        f"sample: {len(sample)} of {population} mutants",
        "  " + ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())),
    ]
    if checked:
        lines.append(
            f"  killed {killed} of {checked} run: {killed / checked:.1%} "
            f"(95% interval {low:.1%} to {high:.1%})"
        )
    lines += [
        f"  {status(codes[name])}: {name}"
        for name in sample
        if status(codes[name]) not in ("killed", "timeout", "not checked")
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    usage = __doc__.strip().splitlines()[-2:]
    if len(argv) < 4 or argv[0] not in ("pick", "summary"):
        print("usage:\n" + "\n".join(usage), file=sys.stderr)
        return 2
    command, folder, size_text, seed_text, *flags = argv
    try:
        size, seed = int(size_text), int(seed_text)
    except ValueError:
        print(
            f"--sample and --seed take whole numbers, not {size_text!r}, {seed_text!r}",
            file=sys.stderr,
        )
        return 2
    if size < 1:
        print(f"--sample must be at least 1, not {size}", file=sys.stderr)
        return 2
    codes = verdicts(Path(folder))
    if not codes:
        print(f"no mutants under {folder}: run the target once to generate them", file=sys.stderr)
        return 2
    sample = pick(list(codes), size, seed)
    if command == "pick":
        unchecked_only = "--unchecked" in flags
        print("\n".join(n for n in sample if not unchecked_only or codes[n] is None))
    else:
        print(summary(codes, sample, len(codes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
