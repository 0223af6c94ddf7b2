"""Check a model package against the rules, and enforce the verdict.

:func:`check_package` reads what the rules need from AWS (the package, its quality report in S3,
the package in the previous environment) and evaluates every rule. :func:`enforce` acts on a
failed verdict: the package goes back to ``PendingManualApproval`` with a description listing
each failed rule, the account's alarm topic is told, and a metric and an audit line are written.
State is read from AWS every time, so a repeated event changes nothing twice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .rules import (
    APPROVED_ENVIRONMENTS_KEY,
    SOURCE_PACKAGE_KEY,
    GuardRules,
    PreviousApproval,
    RuleResult,
    check_approver,
    check_description,
    check_metadata,
    check_metrics,
    check_promotion,
    rejection_description,
)

METRIC_NAMESPACE = "Obsgov/ModelGovernance"
METRIC_DIMENSION = "ModelPackageGroup"
REPORT_LIMIT = 8 * 1024 * 1024  # a quality report is a few KB; refuse anything absurd


@dataclass
class Verdict:
    package_arn: str
    group: str
    status: str  # ModelApprovalStatus when checked
    results: list[RuleResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]


@dataclass
class Clients:
    """The AWS clients the guard uses; built by the caller (Lambda, CLI or a test)."""

    sagemaker: Any
    s3: Any
    sns: Any = None
    cloudwatch: Any = None


def read_quality_report(s3: Any, package: Mapping[str, Any]) -> tuple[dict | None, str | None]:
    """The package's model quality report, or None and why it could not be read."""
    uri = (
        ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    ).get("S3Uri")
    if not uri:
        return None, "the package has no ModelMetrics.ModelQuality.Statistics report"
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        return None, f"{uri} is not an s3:// URI"
    from botocore.exceptions import ClientError

    try:
        body = s3.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"]
        raw = body.read(REPORT_LIMIT + 1)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"):
            return None, f"{uri} cannot be read ({code})"
        raise
    if len(raw) > REPORT_LIMIT:
        return None, f"{uri} is larger than {REPORT_LIMIT} bytes"
    try:
        report = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{uri} is not a JSON report ({exc})"
    except RecursionError:
        return None, f"{uri} is nested too deeply to be a JSON report"
    if not isinstance(report, dict):
        return None, f"{uri} is not a JSON object"
    return report, None


def _previous(
    sagemaker: Any, package: Mapping[str, Any], rules: GuardRules
) -> PreviousApproval | None:
    earlier = rules.previous_environment
    if earlier is None:
        return None
    metadata = package.get("CustomerMetadataProperties") or {}
    source = metadata.get(SOURCE_PACKAGE_KEY) or package["ModelPackageArn"]
    from botocore.exceptions import ClientError

    try:
        found = sagemaker.describe_model_package(ModelPackageName=source)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ValidationException", "ResourceNotFound", "AccessDeniedException"):
            return PreviousApproval(source, False, f"{source} cannot be described ({code})")
        raise
    if found.get("ModelApprovalStatus") != "Approved":
        return PreviousApproval(source, False, f"{source} is {found.get('ModelApprovalStatus')}")
    account = source.split(":")[4] if source.count(":") >= 5 else ""
    in_previous_registry = (
        rules.previous_registry_account is not None and account == rules.previous_registry_account
    )
    environments = [
        e.strip()
        for e in str(
            (found.get("CustomerMetadataProperties") or {}).get(APPROVED_ENVIRONMENTS_KEY, "")
        ).split(",")
    ]
    if in_previous_registry or earlier in environments:
        return PreviousApproval(source, True, "approved")
    return PreviousApproval(
        source, False, f"{source} is approved but not recorded as approved in {earlier}"
    )


def check_package(
    clients: Clients, arn: str, rules: GuardRules, approver: str | None = None
) -> Verdict:
    package = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    report, unavailable = read_quality_report(clients.s3, package)
    verdict = Verdict(
        arn,
        str(package.get("ModelPackageGroupName", "")),
        str(package.get("ModelApprovalStatus", "")),
    )
    verdict.results = [
        check_metadata(package, rules),
        check_metrics(package, rules, report, unavailable),
        check_description(package, rules),
        check_promotion(rules, _previous(clients.sagemaker, package, rules)),
        check_approver(rules, approver),
    ]
    return verdict


def audit_line(verdict: Verdict, action: str, event_id: str | None, approver: str | None) -> str:
    return json.dumps(
        {
            "obsgov": "model-approval-guard",
            "eventId": event_id,
            "modelPackageArn": verdict.package_arn,
            "modelPackageGroup": verdict.group,
            "approver": approver,
            "passed": verdict.passed,
            "action": action,
            "rules": [
                {"rule": r.rule, "passed": r.passed, "judged": r.judged, "detail": r.detail}
                for r in verdict.results
            ],
        },
        sort_keys=True,
    )


def enforce(
    clients: Clients,
    verdict: Verdict,
    *,
    topic_arn: str | None,
    event_id: str | None = None,
    approver: str | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stdout),
) -> str:
    """Act on ``verdict``; returns the action taken (``passed``, ``reverted`` or
    ``already-reverted``)."""
    if verdict.passed:
        action = "passed"
    elif verdict.status != "Approved":
        action = "already-reverted"  # a repeated event: the package is no longer approved
    else:
        clients.sagemaker.update_model_package(
            ModelPackageArn=verdict.package_arn,
            ModelApprovalStatus="PendingManualApproval",
            ApprovalDescription=rejection_description(verdict.results),
        )
        action = "reverted"
        if topic_arn and clients.sns is not None:
            failed = "\n".join(f"- {r.rule}: {r.detail}" for r in verdict.failed)
            clients.sns.publish(
                TopicArn=topic_arn,
                Subject="obsgov: model approval reverted"[:100],
                Message=f"The approval of {verdict.package_arn} broke the organisation's rules "
                f"and was set back to PendingManualApproval.\n{failed}",
            )
    if clients.cloudwatch is not None and action != "already-reverted":
        clients.cloudwatch.put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[
                {
                    "MetricName": "ApprovalViolations" if not verdict.passed else "ApprovalsPassed",
                    "Dimensions": [{"Name": METRIC_DIMENSION, "Value": verdict.group or "unknown"}],
                    "Value": 1.0,
                    "Unit": "Count",
                }
            ],
        )
    log(audit_line(verdict, action, event_id, approver))
    return action
