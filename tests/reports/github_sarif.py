"""GitHub's documented requirements for SARIF uploads, as a checker tests can run.

From "SARIF support for code scanning" (docs.github.com, code-security/code-scanning/
integrating-with-code-scanning/sarif-support-for-code-scanning) and its limits table, and the
upload action's fingerprinting (github/codeql-action src/fingerprints.ts). Each problem is a
sentence naming the object and what GitHub expects of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

LEVELS = {"note", "warning", "error"}  # defaultConfiguration.level: "none" is not accepted
PROBLEM_SEVERITIES = {"error", "warning", "recommendation"}
MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_TAGS_SHOWN = 10  # up to 20 are accepted, only 10 are shown
MAX_DESCRIPTION = 1024
MAX_NAME = 255
MAX_LOCATIONS = 10


def _text(obj: Any, key: str) -> str:
    value = (obj or {}).get(key) or {}
    return value.get("text", "") if isinstance(value, dict) else ""


def rule_problems(rule: dict[str, Any]) -> list[str]:
    rid = rule.get("id") or "?"
    problems = []
    if not rule.get("id"):
        problems.append("a rule has no id")
    for key in ("shortDescription", "fullDescription", "help"):
        text = _text(rule, key)
        if not text.strip():
            problems.append(f"rule {rid}: {key}.text is required and may not be empty")
        elif key != "help" and len(text) > MAX_DESCRIPTION:
            problems.append(f"rule {rid}: {key}.text is over {MAX_DESCRIPTION} characters")
    if len(rule.get("name", "")) > MAX_NAME:
        problems.append(f"rule {rid}: name is over {MAX_NAME} characters")
    level = (rule.get("defaultConfiguration") or {}).get("level", "warning")
    if level not in LEVELS:
        problems.append(
            f"rule {rid}: defaultConfiguration.level {level!r} is not one of {sorted(LEVELS)}"
        )
    properties = rule.get("properties") or {}
    tags = properties.get("tags", [])
    if len(tags) > MAX_TAGS_SHOWN:
        problems.append(f"rule {rid}: {len(tags)} tags, only {MAX_TAGS_SHOWN} are shown")
    if len(set(tags)) != len(tags):
        problems.append(f"rule {rid}: repeated tags")
    if "security-severity" in properties:
        try:
            score = float(properties["security-severity"])
        except ValueError:
            score = -1.0
        if not 0.0 < score <= 10.0:
            problems.append(f"rule {rid}: security-severity must be a score in (0, 10]")
        if "security" not in tags:
            problems.append(
                f"rule {rid}: security-severity on a rule not tagged security "
                "makes its results security alerts"
            )
    if properties.get("problem.severity", "warning") not in PROBLEM_SEVERITIES:
        problems.append(f"rule {rid}: problem.severity must be one of {sorted(PROBLEM_SEVERITIES)}")
    return problems


def location_problems(
    where: str, location: dict[str, Any], base_ids: dict[str, Any], repo_root: Path
) -> list[str]:
    physical = location.get("physicalLocation")
    if not physical:
        return [f"{where}: the location has no physicalLocation"]
    problems = []
    artifact = physical.get("artifactLocation") or {}
    uri = artifact.get("uri", "")
    if not uri:
        problems.append(f"{where}: artifactLocation.uri is required")
    elif re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri) or uri.startswith("/"):
        problems.append(f"{where}: uri {uri!r} is not relative to the repository root")
    elif not (repo_root / unquote(uri)).is_file():
        problems.append(f"{where}: uri {uri!r} is not a file in the repository")
    base = artifact.get("uriBaseId")
    if base is not None and base not in base_ids:
        problems.append(f"{where}: uriBaseId {base!r} is not in run.originalUriBaseIds")
    region = physical.get("region") or {}
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        if not isinstance(region.get(key), int) or region[key] < 1:
            problems.append(f"{where}: region.{key} must be a positive integer")
    if (
        isinstance(region.get("startLine"), int)
        and isinstance(region.get("endLine"), int)
        and region["endLine"] < region["startLine"]
    ):
        problems.append(f"{where}: region ends before it starts")
    return problems


def github_problems(sarif: dict[str, Any], repo_root: Path) -> list[str]:
    """Everything in ``sarif`` that code scanning would reject, mis-track or not show."""
    problems = []
    if not sarif.get("$schema"):
        problems.append("$schema is required")
    if sarif.get("version") != "2.1.0":
        problems.append("code scanning supports SARIF version 2.1.0 only")
    runs = sarif.get("runs") or []
    if not 1 <= len(runs) <= MAX_RUNS:
        problems.append(f"a file has 1 to {MAX_RUNS} runs")
    categories = []
    for r, run in enumerate(runs):
        driver = (run.get("tool") or {}).get("driver") or {}
        if not driver.get("name"):
            problems.append(f"runs[{r}]: tool.driver.name is required")
        rules = driver.get("rules")
        if rules is None:
            problems.append(f"runs[{r}]: tool.driver.rules is required")
            rules = []
        ids = [rule.get("id") for rule in rules]
        if len(set(ids)) != len(ids):
            problems.append(f"runs[{r}]: rule ids are not unique")
        for rule in rules:
            problems += rule_problems(rule)
        category = (run.get("automationDetails") or {}).get("id", "")
        if "/" not in category:
            problems.append(
                f"runs[{r}]: automationDetails.id needs a category "
                "(category/run-id) so several uploads per commit coexist"
            )
        categories.append(category.rsplit("/", 1)[0])
        problems += _results_problems(f"runs[{r}]", run, rules, ids, repo_root)
    if len(set(categories)) != len(categories):
        problems.append("two runs share a category")
    return problems


def _results_problems(
    where_run: str, run: dict[str, Any], rules: list[Any], ids: list[Any], repo_root: Path
) -> list[str]:
    problems = []
    results = run.get("results")
    if results is None:
        problems.append(f"{where_run}: results is required")
        results = []
    if len(results) > MAX_RESULTS:
        problems.append(f"{where_run}: over {MAX_RESULTS} results")
    base_ids = run.get("originalUriBaseIds") or {}
    hashes = []
    for i, result in enumerate(results):
        where = f"{where_run}.results[{i}]"
        problems += result_problems(where, result, rules, ids, base_ids, repo_root)
        hashes.append((result.get("partialFingerprints") or {}).get("primaryLocationLineHash"))
    if len(set(hashes)) != len(hashes):
        problems.append(
            f"{where_run}: results share a primaryLocationLineHash and would "
            "be folded into one alert"
        )
    return problems


def result_problems(
    where: str,
    result: dict[str, Any],
    rules: list[Any],
    ids: list[Any],
    base_ids: dict[str, Any],
    repo_root: Path,
) -> list[str]:
    problems = []
    rule_id, index = result.get("ruleId"), result.get("ruleIndex")
    if rule_id not in ids:
        problems.append(f"{where}: ruleId {rule_id!r} is not among the rules")
    elif index is None or not 0 <= index < len(rules) or ids[index] != rule_id:
        problems.append(f"{where}: ruleIndex does not point at rule {rule_id!r}")
    if result.get("level", "warning") not in LEVELS | {"none"}:
        problems.append(f"{where}: level {result.get('level')!r} is not a SARIF level")
    if not _text(result, "message").strip():
        problems.append(f"{where}: message.text is required")
    locations = result.get("locations") or []
    if not locations:
        problems.append(f"{where}: at least one location is required to show it")
    if len(locations) > MAX_LOCATIONS:
        problems.append(f"{where}: over {MAX_LOCATIONS} locations")
    if locations:
        problems += location_problems(where, locations[0], base_ids, repo_root)
    line_hash = (result.get("partialFingerprints") or {}).get("primaryLocationLineHash")
    if not line_hash:
        problems.append(
            f"{where}: partialFingerprints.primaryLocationLineHash is "
            "missing: the upload action would hash the line's text"
        )
    return problems
