"""What every report format shares: clean text, the CLI's orderings and labels."""

from __future__ import annotations

import re

from obsgov.gate.results import PackResult, Violation

# Pulumi's display ranks (pkg/backend/display/progress.go, enforcementRank and severityRank):
# remediate sorts before mandatory, unknown values last.
LEVEL_RANK = {"remediate": 0, "mandatory": 1, "advisory": 2, "disabled": 3}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}

# ESC-introduced sequences a pack's output may carry: CSI (colours, cursor moves), OSC
# (window titles, hyperlinks; ended by BEL or ST) and the two-byte escapes.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Left after the sequences are gone: C0 controls but newline, DEL, C1 controls, and the
# bidirectional overrides that make a line read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text: str) -> str:
    """Pack output made safe to print and to embed: escape sequences and control characters
    removed, line ends (``\\r\\n``, ``\\r``, U+2028, U+2029) normalised to ``\\n``, tabs as
    spaces."""
    text = _ANSI.sub("", text)
    # U+2028 and U+2029 end lines in JavaScript, JSON viewers and some terminals: a message
    # carrying one would read as two lines where the report shows one
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("", text)


def clean_xml(text: str) -> str:
    """:func:`clean_text`, then whatever else XML 1.0 cannot hold (lone surrogates,
    U+FFFE, U+FFFF): a document with any of them is not well-formed."""
    return _NOT_XML.sub("", clean_text(text))


def display_type(token: str) -> str:
    """``aws:sns/topic:Topic`` -> ``aws:sns:Topic``, as the CLI's Type.DisplayName does."""
    parts = token.split(":")
    if len(parts) == 3:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def pack_name(pack: PackResult) -> str:
    """The name the pack reports, or its folder's when it failed before saying."""
    return pack.name or pack.project.directory.name


def pack_label(pack: PackResult) -> str:
    """``name@vX``, the key the CLI prints and sorts packs by."""
    return f"{pack_name(pack)}@v{pack.version}" if pack.version else pack_name(pack)


def sort_packs(packs: list[PackResult]) -> list[PackResult]:
    return sorted(packs, key=pack_label)


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """The CLI's order (level, severity, policy, URN), then the message so that equal keys
    come out the same way every run."""
    return sorted(
        violations,
        key=lambda v: (
            LEVEL_RANK.get(v.level, 99),
            SEVERITY_RANK.get(v.severity, 99),
            v.policy,
            v.urn,
            v.message,
        ),
    )


def resource_clause(violation: Violation) -> str:
    """``type: name`` of the violating resource, or "" when the pack named none."""
    if not violation.urn:
        return ""
    return f"{display_type(violation.resource_type)}: {violation.resource_name}"
