"""Check a model package against the rules, and enforce the verdict.

:func:`check_package` reads what the rules need from AWS (the package, its quality report in S3,
the model lifecycle that records its promotion) and evaluates every rule; ``obsgov models
check`` and the Lambda function both call it, so they give the same answer, before and after
the approval. :func:`enforce` acts on a verdict: a failed package goes back to
``PendingManualApproval`` with a description listing each failed rule, the account's alarm
topic is told, and a metric and an audit line are written; a package that passed every rule,
the approver included, gets this environment's lifecycle stage recorded as Approved.

Writes are conditional. SageMaker's UpdateModelPackage takes no expected status or version, so
the guard reads the package again just before writing and writes only when the status and
``LastModifiedTime`` are the ones it judged: a status a person set after the event stands, and
a package changed since the check is checked again. A change landing between that last read and
the write can still be overwritten; the window is one API round trip.

State is read from AWS every time, so a repeated or redriven event changes nothing twice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .events import PACKAGE_ARN, ApprovalEvent, StageWrite
from .rules import (
    REJECTION_PREFIX,
    SOURCE_PACKAGE_KEY,
    STAGE_APPROVED,
    STAGE_PENDING,
    GuardRules,
    PreviousApproval,
    RuleResult,
    check_approver,
    check_description,
    check_metadata,
    check_metrics,
    check_promotion,
    check_stage_write,
    lifecycle_evidence,
    rejection_description,
)

METRIC_NAMESPACE = "Obsgov/ModelGovernance"
METRIC_DIMENSION = "ModelPackageGroup"
REPORT_LIMIT = 8 * 1024 * 1024  # a quality report is a few KB; refuse anything absurd
CHECK_ATTEMPTS = 3  # checks of a package that keeps changing under the guard


@dataclass
class Verdict:
    package_arn: str
    group: str
    status: str  # ModelApprovalStatus when checked
    results: list[RuleResult] = field(default_factory=list)
    last_modified: Any = None  # LastModifiedTime when checked: the version the verdict is about
    lifecycle: Mapping[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def judged(self) -> bool:
        """Every rule was applied (the approver rule is not when the trigger has no caller)."""
        return all(r.judged for r in self.results)

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
    # The guard's own principal (its role session, from STS): the one caller that may record
    # this environment's lifecycle stage.
    identity: str | None = None


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


def model_artifacts(package: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a package serves: each container's image and model data."""
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    return [
        (str(c.get("Image") or ""), str(c.get("ModelDataUrl") or ""))
        for c in containers
        if isinstance(c, Mapping)
    ]


def _previous(
    sagemaker: Any, package: Mapping[str, Any], rules: GuardRules
) -> PreviousApproval | None:
    """The promotion evidence: the model lifecycle of the package or, when its
    ``source-model-package-arn`` names the same model in the previous environment's registry,
    of that package. Never the package's own approval status, which the approval being
    judged sets."""
    earlier = rules.previous_environment
    if earlier is None:
        return None
    own = str(package["ModelPackageArn"])
    source = str((package.get("CustomerMetadataProperties") or {}).get(SOURCE_PACKAGE_KEY) or "")
    if not source or source == own:
        return lifecycle_evidence(rules, own, package.get("ModelLifeCycle"))
    if not PACKAGE_ARN.match(source):
        return PreviousApproval(
            source, False, f"{SOURCE_PACKAGE_KEY} {source!r} is not a versioned model package ARN"
        )
    account = source.split(":")[4]
    registries = {own.split(":")[4], rules.previous_registry_account or own.split(":")[4]}
    if account not in registries:
        return PreviousApproval(
            source,
            False,
            f"{source} is in account {account}, not in the {earlier} registry "
            f"({', '.join(sorted(registries))})",
        )
    from botocore.exceptions import ClientError

    try:
        found = sagemaker.describe_model_package(ModelPackageName=source)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ValidationException", "ResourceNotFound", "AccessDeniedException"):
            return PreviousApproval(source, False, f"{source} cannot be described ({code})")
        raise
    if model_artifacts(found) != model_artifacts(package):
        return PreviousApproval(
            source, False, f"{source} serves other images or model data than {own}"
        )
    return lifecycle_evidence(rules, source, found.get("ModelLifeCycle"))


def check_package(
    clients: Clients, arn: str, rules: GuardRules, approver: str | None = None
) -> Verdict:
    package = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    report, unavailable = read_quality_report(clients.s3, package)
    verdict = Verdict(
        arn,
        str(package.get("ModelPackageGroupName", "")),
        str(package.get("ModelApprovalStatus", "")),
        last_modified=package.get("LastModifiedTime"),
        lifecycle=package.get("ModelLifeCycle"),
    )
    verdict.results = [
        check_metadata(package, rules),
        check_metrics(package, rules, report, unavailable),
        check_description(package, rules),
        check_promotion(rules, _previous(clients.sagemaker, package, rules)),
        check_approver(rules, approver),
    ]
    return verdict


def audit_line(
    verdict: Verdict, action: str, event_id: str | None, approver: str | None, **extra: Any
) -> str:
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
            **extra,
        },
        sort_keys=True,
        default=str,
    )


def _unchanged(clients: Clients, verdict: Verdict) -> str | None:
    """None when the package is still as judged; else what changed (``superseded``: it is
    no longer Approved, a later decision that stands; ``changed``: still Approved but modified
    since the check)."""
    current = clients.sagemaker.describe_model_package(ModelPackageName=verdict.package_arn)
    if current.get("ModelApprovalStatus") != "Approved":
        return "superseded"
    if current.get("LastModifiedTime") != verdict.last_modified:
        return "changed"
    return None


def _notify(clients: Clients, topic_arn: str | None, subject: str, message: str) -> None:
    if topic_arn and clients.sns is not None:
        clients.sns.publish(TopicArn=topic_arn, Subject=subject[:100], Message=message)


def _count(clients: Clients, metric: str, group: str) -> None:
    if clients.cloudwatch is not None:
        clients.cloudwatch.put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": METRIC_DIMENSION, "Value": group or "unknown"}],
                    "Value": 1.0,
                    "Unit": "Count",
                }
            ],
        )


def _stage_record(rules: GuardRules, event_id: str | None) -> dict[str, str]:
    return {
        "Stage": rules.environment,
        "StageStatus": STAGE_APPROVED,
        "StageDescription": f"obsgov approval guard: passed every {rules.environment} rule"
        + (f" (event {event_id})" if event_id else ""),
    }


def enforce(
    clients: Clients,
    verdict: Verdict,
    *,
    topic_arn: str | None,
    event_id: str | None = None,
    approver: str | None = None,
    rules: GuardRules | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stdout),
) -> str:
    """Act on ``verdict``; returns the action taken: ``passed`` (and, given ``rules`` with
    this environment in the promotion order and every rule judged, the stage recorded),
    ``reverted``, ``already-reverted`` (not Approved when checked), ``superseded`` (someone
    changed the status after the check: their decision stands) or ``changed`` (modified since
    the check but still Approved: check again)."""
    if verdict.passed:
        action = "passed"
        if (
            rules is not None
            and rules.environment in rules.promotion_order
            and verdict.judged
            and verdict.status == "Approved"
            and not _at_stage(verdict.lifecycle, rules.environment)
        ):
            moved = _unchanged(clients, verdict)
            if moved is not None:
                return moved
            clients.sagemaker.update_model_package(
                ModelPackageArn=verdict.package_arn,
                ModelLifeCycle=_stage_record(rules, event_id),
            )
            action = "passed-stage-recorded"
    elif verdict.status != "Approved":
        action = "already-reverted"  # a repeated event: the package is no longer approved
    else:
        moved = _unchanged(clients, verdict)
        if moved is not None:
            if moved == "superseded":
                log(audit_line(verdict, moved, event_id, approver))
            return moved
        clients.sagemaker.update_model_package(
            ModelPackageArn=verdict.package_arn,
            ModelApprovalStatus="PendingManualApproval",
            ApprovalDescription=rejection_description(verdict.results),
        )
        action = "reverted"
        failed = "\n".join(f"- {r.rule}: {r.detail}" for r in verdict.failed)
        _notify(
            clients,
            topic_arn,
            "obsgov: model approval reverted",
            f"The approval of {verdict.package_arn} broke the organisation's rules "
            f"and was set back to PendingManualApproval.\n{failed}",
        )
    if action != "already-reverted":
        _count(
            clients, "ApprovalsPassed" if verdict.passed else "ApprovalViolations", verdict.group
        )
    log(audit_line(verdict, action, event_id, approver))
    return action


def _at_stage(lifecycle: Mapping[str, Any] | None, stage: str) -> bool:
    lifecycle = lifecycle or {}
    return lifecycle.get("Stage") == stage and lifecycle.get("StageStatus") == STAGE_APPROVED


def guard_approval(
    clients: Clients,
    arn: str,
    rules: GuardRules,
    *,
    approver: str | None,
    topic_arn: str | None,
    event_id: str | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stdout),
) -> str:
    """Check and enforce, checking again while the package changes under the guard."""
    for _ in range(CHECK_ATTEMPTS):
        verdict = check_package(clients, arn, rules, approver)
        action = enforce(
            clients,
            verdict,
            topic_arn=topic_arn,
            event_id=event_id,
            approver=approver,
            rules=rules,
            log=log,
        )
        if action != "changed":
            return action
    raise RuntimeError(f"{arn} changed during each of {CHECK_ATTEMPTS} checks")


def guard_stage_write(
    clients: Clients,
    event: ApprovalEvent,
    write: StageWrite,
    rules: GuardRules,
    *,
    topic_arn: str | None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stdout),
) -> str:
    """Undo a lifecycle stage written by a caller the rules do not allow: the stage keeps its
    name and goes back to PendingApproval, so it proves nothing. ``write`` is ``event``'s
    stage write."""
    arn, stage, status = event.package_arn, write.stage, write.status
    caller, event_id = event.approver or "", event.event_id
    result = check_stage_write(rules, stage, status, caller, clients.identity)
    package = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    verdict = Verdict(
        arn,
        str(package.get("ModelPackageGroupName", "")),
        str(package.get("ModelApprovalStatus", "")),
        [result],
        package.get("LastModifiedTime"),
        package.get("ModelLifeCycle"),
    )
    lifecycle = package.get("ModelLifeCycle") or {}
    if result.passed:
        action = "stage-allowed"
    elif (lifecycle.get("Stage"), lifecycle.get("StageStatus")) != (stage, status):
        action = "stage-superseded"  # written over since: the later write has its own event
    elif status == STAGE_PENDING:
        action = "stage-already-pending"
    else:
        clients.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelLifeCycle={
                "Stage": stage,
                "StageStatus": STAGE_PENDING,
                "StageDescription": f"{REJECTION_PREFIX} stage: {result.detail}"[:1024],
            },
        )
        action = "stage-reverted"
        _notify(
            clients,
            topic_arn,
            "obsgov: model lifecycle stage reverted",
            f"{caller} set {arn} to lifecycle stage {stage} {status}; {result.detail}. "
            f"The stage was set back to {STAGE_PENDING}.",
        )
        _count(clients, "ApprovalViolations", verdict.group)
    log(audit_line(verdict, action, event_id, caller, stage=stage, stageStatus=status))
    return action


def revert_unchecked(
    clients: Clients,
    arn: str,
    why: str,
    *,
    topic_arn: str | None,
    event_id: str | None = None,
    approver: str | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stdout),
) -> str:
    """Fail closed: an approval the guard could not check does not stand. Raises when even
    this cannot be done, so the invocation fails and the dead-letter queue keeps the event."""
    package = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    result = RuleResult("checked", False, f"the approval could not be checked: {why}")
    verdict = Verdict(
        arn,
        str(package.get("ModelPackageGroupName", "")),
        str(package.get("ModelApprovalStatus", "")),
        [result],
        package.get("LastModifiedTime"),
    )
    if verdict.status != "Approved":
        action = "already-reverted"
    else:
        clients.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="PendingManualApproval",
            ApprovalDescription=rejection_description([result]),
        )
        action = "reverted-unchecked"
        _notify(
            clients,
            topic_arn,
            "obsgov: model approval reverted, not checked",
            f"The approval of {arn} could not be checked ({why}) and was set back to "
            "PendingManualApproval. Approve it again once AWS answers.",
        )
        _count(clients, "ApprovalViolations", verdict.group)
    log(audit_line(verdict, action, event_id, approver))
    return action
