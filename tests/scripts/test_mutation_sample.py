"""scripts/mutation_sample.py: the seeded sample behind `scripts/mutation-test --sample`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.support.gate import ROOT

_spec = importlib.util.spec_from_file_location(
    "mutation_sample", ROOT / "scripts" / "mutation_sample.py"
)
assert _spec
assert _spec.loader
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)


def _meta(folder: Path, name: str, codes: dict) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes, "durations_by_key": {}}))


def test_the_same_seed_draws_the_same_sample_whatever_the_listing_order():
    names = [f"m.f__mutmut_{i}" for i in range(50)]
    first = sample.pick(names, 10, seed=7)
    assert first == sample.pick(list(reversed(names)), 10, seed=7)
    assert len(set(first)) == 10
    assert set(first) <= set(names)
    assert first != sample.pick(names, 10, seed=8)
    assert sample.pick(names[:3], 10, seed=7) == sorted(names[:3])


@pytest.mark.parametrize(
    ("killed", "total", "low", "high"),
    # Wilson 95% intervals computed by hand: p=0.9,n=100 -> 0.8256..0.9448; p=1,n=20 -> 0.8389..1
    [(90, 100, 0.8256, 0.9448), (20, 20, 0.8389, 1.0), (0, 10, 0.0, 0.2775)],
)
def test_the_interval_is_wilsons(killed, total, low, high):
    got = sample.wilson(killed, total)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_the_summary_scores_the_sample_and_names_what_was_not_killed(tmp_path):
    _meta(tmp_path, "a/x.py.meta", {"a.x.f__mutmut_1": 1, "a.x.f__mutmut_2": 0})
    _meta(tmp_path, "b.py.meta", {"b.g__mutmut_1": 36, "b.g__mutmut_2": 33, "b.g__mutmut_3": None})
    codes = sample.verdicts(tmp_path)
    assert len(codes) == 5
    text = sample.summary(codes, sorted(codes), len(codes))
    assert text.splitlines() == [
        "sample: 5 of 5 mutants",
        "  killed 1, no tests 1, not checked 1, survived 1, timeout 1",
        "  killed 2 of 4 run: 50.0% (95% interval 15.0% to 85.0%)",
        "  survived: a.x.f__mutmut_2",
        "  no tests: b.g__mutmut_2",
    ]


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert sample.main(["pick", str(tmp_path), "x", "1"]) == 2
    assert sample.main(["pick", str(tmp_path), "0", "1"]) == 2
    assert sample.main(["pick", str(tmp_path), "5", "1"]) == 2  # no mutants generated yet
    assert "run the target once" in capsys.readouterr().err
    assert sample.main(["other"]) == 2
