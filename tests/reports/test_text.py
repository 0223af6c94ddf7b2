"""The ``Policies:`` block: the Pulumi CLI's layout, fitted to the terminal, with pack output
stripped of control characters.

Layout source: pulumi/pulumi pkg/backend/display/progress.go (printPolicies: packs sorted by
``name@vX``; a ``- [remediate]  <policy>  (N resources)`` line per remediating policy, sorted,
before the violations; violations by enforcementRank, where remediate comes before mandatory,
then severityRank, policy name and URN) and diff.go (renderDiffPolicyViolationEvent:
``[level] [severity: s]  policy  (type: name)`` then the message, indented two more).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from obsgov.gate.project import PolicyPackProject
from obsgov.gate.results import GateRun, PackResult, Remediation, Violation
from obsgov.graph import ResourceGraph
from obsgov.reports import render_text
from obsgov.reports.common import clean_text
from obsgov.reports.text import wrap

from .conftest import ROOT

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
LONG_NAME = "ml-serving-prod-fraud-scoring-prod-overhead-latency-anomaly-band"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::obsgov::obsgov:member:MemberAccountBaseline${type_}::{name}"


def violation(pack, policy, level, severity, type_, name, description, detail) -> Violation:
    return Violation(
        pack=pack,
        pack_version="",
        policy=policy,
        description=description,
        message=f"{description}\n{detail}",
        level=level,
        severity=severity,
        urn=urn(type_, name),
        resource_type=type_,
        resource_name=name,
        phase="analyze",
    )


def pack(directory: str, **fields) -> PackResult:
    return PackResult(
        project=PolicyPackProject(directory=ROOT / directory, runtime="python"), **fields
    )


def sample_run() -> GateRun:
    noisy = pack(
        "tests/reports/packs/noisy",
        name="noisy",
        version="2.0.0",
        violations=[
            violation(
                "noisy",
                "alarm-runbook",
                "mandatory",
                "medium",
                ALARM,
                LONG_NAME,
                "Alarms link a runbook.",
                "\x1b[31malarm prod-x has no runbook\x1b[0m: set alarmDescription to a "
                "runbook URL so that whoever is paged knows what to do\x07",
            ),
            violation(
                "noisy",
                "owner-tag",
                "remediate",
                "",
                TOPIC,
                "alarms",
                "Topics carry an owner tag.",
                "could not remediate",
            ),
        ],
        remediations=[
            *(
                Remediation(
                    pack="noisy",
                    policy="owner-tag",
                    urn=urn(TOPIC, f"t{i}"),
                    changes={"tags": {}},
                    diagnostic="",
                )
                for i in range(3)
            ),
            Remediation(
                pack="noisy",
                policy="add-key",
                urn=urn(TOPIC, "t0"),
                changes={"kmsMasterKeyId": "k"},
                diagnostic="",
            ),
        ],
    )
    tagging = pack(
        "policies/tagging",
        name="obsgov-tagging",
        version="0.1.0",
        violations=[
            violation(
                "obsgov-tagging",
                "require-tags\x1b[0m",
                "advisory",
                "low",
                "aws:kms/key:Key",
                "k",
                "Resources carry the tags.",
                "Missing required tags: owner.",
            )
        ],
    )
    broken = pack(
        "tests/packs/crash-at-start",
        error="policy pack crash-at-start exited: \x1b[1mImportError\x1b[0m: this "
        "pack cannot load its policies",
    )
    graph = ResourceGraph(project="obsgov", stack="prod", preview=True, resources=[])
    return GateRun(graph=graph, packs=[tagging, noisy, broken], seconds=1.25)


def render(run: GateRun, width: int) -> str:
    buffer = io.StringIO()
    render_text(
        run, Console(file=buffer, width=width, color_system=None, highlight=False, soft_wrap=True)
    )
    return buffer.getvalue()


def policies_block(text: str) -> list[str]:
    lines = text.split("\n")
    return lines[: lines.index("Policy gate summary")]


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # (local: path) is shown relative to the working directory


def test_the_policies_block_in_80_columns(at_root):
    assert policies_block(render(sample_run(), 80)) == [
        "Policies:",
        "    ❌ crash-at-start (local: tests/packs/crash-at-start)",
        "        error: policy pack crash-at-start exited: ImportError: this pack cannot",
        "          load its policies",
        "    ❌ noisy@v2.0.0 (local: tests/reports/packs/noisy)",
        "        - [remediate]  add-key  (1 resource)",
        "        - [remediate]  owner-tag  (3 resources)",
        "        - [remediate]  owner-tag  (aws:sns:Topic: alarms)",
        "          Topics carry an owner tag.",
        "          could not remediate",
        "        - [mandatory] [severity: medium]  alarm-runbook",
        "          (aws:cloudwatch:MetricAlarm:",
        "            ml-serving-prod-fraud-scoring-prod-overhead-latency-anomaly-band)",
        "          Alarms link a runbook.",
        "          alarm prod-x has no runbook: set alarmDescription to a runbook URL so",
        "            that whoever is paged knows what to do",
        "    ⚠️ obsgov-tagging@v0.1.0 (local: policies/tagging)",
        "        - [advisory] [severity: low]  require-tags  (aws:kms:Key: k)",
        "          Resources carry the tags.",
        "          Missing required tags: owner.",
    ]


def test_the_summary_and_verdict_follow_the_block(at_root):
    lines = render(sample_run(), 80).rstrip("\n").split("\n")
    table = lines[lines.index("Policy gate summary") :]
    assert [
        line.split()[:2] for line in table if line.strip().startswith(("crash", "noisy", "obsgov"))
    ] == [["crash-at-start", "error"], ["noisy", "failed"], ["obsgov-tagging", "warnings"]]
    assert lines[-1] == "FAILED: 0 resources of obsgov/prod judged by 3 packs in 1.25s"


def test_a_wide_terminal_keeps_the_clis_one_line_format(at_root):
    block = policies_block(render(sample_run(), 200))
    assert (
        f"        - [mandatory] [severity: medium]  alarm-runbook  "
        f"(aws:cloudwatch:MetricAlarm: {LONG_NAME})"
    ) in block
    assert (
        "          alarm prod-x has no runbook: set alarmDescription to a runbook URL so "
        "that whoever is paged knows what to do"
    ) in block


@pytest.mark.parametrize("width", [60, 80, 100])
def test_every_line_of_the_block_fits_the_terminal(at_root, width):
    for line in policies_block(render(sample_run(), width)):
        assert cell_len(line) <= width, line


def test_no_control_character_reaches_the_terminal(at_root):
    text = render(sample_run(), 80)
    assert not any(ord(c) < 32 and c != "\n" for c in text)


def test_clean_text_removes_escapes_whole_and_keeps_the_words():
    assert clean_text("\x1b[1;31mred\x1b[0m plain") == "red plain"
    assert clean_text("title\x1b]0;pwned\x07 after") == "title after"
    assert clean_text("a\x00b\x07c\x7fd\x85e") == "abcde"
    assert clean_text("x\x9b31my") == "xy"  # the 8-bit CSI, sequence and all
    assert clean_text("one\r\ntwo\rthree\tfour") == "one\ntwo\nthree    four"
    assert clean_text("\u202eevil\u202c") == "evil"


def test_wrap_hangs_continuations_and_keeps_words_whole():
    assert wrap("alpha beta gamma delta", 20, "  ") == ["  alpha beta gamma", "    delta"]
    assert wrap("short", 20, "  ") == ["  short"]
    assert wrap("", 20, "  ") == [""]
    # a word wider than the room is cut, never left overflowing
    assert wrap("x" * 30, 24, "  ", "  ") == ["  " + "x" * 22, "    " + "x" * 8]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=32, max_value=120),
)
def test_wrap_fits_and_loses_no_text(words, width):
    # (below 32 columns, 10 of indent and 2 of hang leave less than MIN_TEXT_WIDTH: overflow)
    text = " ".join(w.replace(" ", "") or "w" for w in words)
    lines = wrap(text, width, " " * 10)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(line.replace(" ", "") for line in lines) == text.replace(" ", "")


def test_wrapping_measures_each_character_a_bounded_number_of_times(monkeypatch):
    """Wrapping is linear in the text's length: a pack that writes a 100 KB message for each
    of a few hundred resources must not stall the report (measuring every prefix of a long
    word, as the wrapper once did, took over two minutes). Counted, not timed: every
    character the width functions look at is counted, for texts 10 and 100 times longer."""
    import obsgov.reports.text as text_module

    seen = [0]
    real_cell_len = text_module.cell_len
    real_char = getattr(text_module, "get_character_cell_size", None) or real_cell_len

    def counting_cell_len(text: str) -> int:
        seen[0] += len(text)
        return real_cell_len(text)

    def counting_char(char: str) -> int:
        seen[0] += 1
        return real_char(char)

    monkeypatch.setattr(text_module, "cell_len", counting_cell_len)
    monkeypatch.setattr(text_module, "get_character_cell_size", counting_char, raising=False)
    for text in ("x" * 100_000, " ".join(["word"] * 20_000), ("é" * 5_000 + " ") * 20):
        seen[0] = 0
        lines = wrap(text, 80, " " * 10)
        assert "".join(line.replace(" ", "") for line in lines) == text.replace(" ", "")
        assert seen[0] <= 4 * len(text), f"{seen[0]} characters measured for {len(text)}"
