"""``obsgov:centralAudit``: defaults, and every rule's message with its file and key path."""

from __future__ import annotations

import pytest

from obsgov.config.models.central import (
    CentralAuditSettings,
    central_audit_problems,
)
from obsgov.config.validation import validate_model
from obsgov.errors import Problem

FILE = "stacks/Pulumi.prod.yaml"
MANAGEMENT, LOG_ARCHIVE = "100000000001", "100000000003"


def problems(data: dict) -> list[str]:
    """Validate as the stack loader does for a key of StackSettings (same key-path prefix)."""
    model, found = validate_model(
        CentralAuditSettings, data, FILE, lambda loc: ["config", "obsgov:centralAudit", *loc]
    )
    assert (model is None) == bool(found)
    return [str(p) for p in found]


def test_defaults_are_valid_and_route_member_levels():
    settings = CentralAuditSettings()
    assert settings.trail.enabled
    assert settings.trail.log_retention_days == 365
    assert settings.trail.metric_namespace == "LogMetrics"
    assert settings.archive.object_lock is None
    assert settings.archive.expiration_days is None
    assert sorted(settings.event_routing.severities) == ["critical", "security", "warning"]
    assert settings.event_routing.levels_of("critical") == ["critical", "high"]
    assert settings.event_routing.levels_of("warning") == ["warning", "medium", "low"]
    assert settings.analytics.bytes_scanned_cutoff_per_query == 10 * 1024**3


def test_example_shape_is_accepted():
    settings = CentralAuditSettings.model_validate(
        {
            "trail": {
                "logRetentionDays": 400,
                "adminAccountId": "100000000009",
                "dataEvents": {
                    "s3Buckets": ["obsgov-prod-model-artifacts"],
                    "sagemakerEndpoints": True,
                },
                "decryptPrincipals": ["arn:aws:iam::100000000003:role/obsgov-auditor"],
            },
            "archive": {
                "transitions": [
                    {"days": 30, "storageClass": "STANDARD_IA"},
                    {"days": 90, "storageClass": "GLACIER_IR"},
                ],
                "expirationDays": 2557,
                "objectLock": {"mode": "GOVERNANCE", "days": 365},
            },
            "eventRouting": {
                "busName": "central",
                "severities": {
                    "critical": {"emails": ["a@example.com"], "levels": ["critical", "high"]},
                    "warning": {"sqsQueueArns": ["arn:aws:sqs:eu-west-1:100000000002:q"]},
                    "security": {"httpsEndpoints": ["https://hooks.example.com/x"]},
                },
            },
            "tagPolicy": {"enforcedFor": ["sagemaker:endpoint", "s3:ALL_SUPPORTED"]},
        }
    )
    assert settings.trail.admin_account_id == "100000000009"
    assert settings.archive.object_lock is not None
    assert settings.archive.object_lock.mode == "GOVERNANCE"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"trail": {"logRetentionDays": 42}},
            "config.obsgov:centralAudit.trail.logRetentionDays: must be one of the values CloudWatch "
            "Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
            "2192, 2557, 2922, 3288, 3653",
        ),
        (
            {"trail": {"decryptPrincipals": ["*"]}},
            "config.obsgov:centralAudit.trail.decryptPrincipals[0]: must match the pattern "
            r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
        ),
        (
            {"trail": {"adminAccountId": "123"}},
            "config.obsgov:centralAudit.trail.adminAccountId: must be 12 ASCII digits (0-9)",
        ),
        (
            {"trail": {"dataEvents": {"s3Buckets": ["Bad_Bucket"]}}},
            "config.obsgov:centralAudit.trail.dataEvents.s3Buckets[0]: must match the pattern "
            "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        ),
        (
            {"archive": {"transitions": [{"days": 10, "storageClass": "STANDARD_IA"}]}},
            "config.obsgov:centralAudit.archive.transitions[0]: days must be at least 30 for "
            "STANDARD_IA (S3 rejects earlier transitions to IA classes)",
        ),
        (
            {
                "archive": {
                    "transitions": [
                        {"days": 365, "storageClass": "DEEP_ARCHIVE"},
                        {"days": 90, "storageClass": "GLACIER_IR"},
                    ]
                }
            },
            "config.obsgov:centralAudit.archive: transitions must be in increasing order of days, "
            "one per day",
        ),
        (
            {
                "archive": {
                    "transitions": [
                        {"days": 90, "storageClass": "DEEP_ARCHIVE"},
                        {"days": 365, "storageClass": "GLACIER_IR"},
                    ]
                }
            },
            "config.obsgov:centralAudit.archive: transitions must go to colder storage classes in "
            "the order STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, "
            "DEEP_ARCHIVE",
        ),
        (
            {
                "archive": {
                    "transitions": [{"days": 400, "storageClass": "GLACIER"}],
                    "expirationDays": 365,
                }
            },
            "config.obsgov:centralAudit.archive: expirationDays must be greater than the last "
            "transition's days",
        ),
        (
            {"archive": {"expirationDays": 30, "objectLock": {"mode": "COMPLIANCE", "days": 365}}},
            "config.obsgov:centralAudit.archive: expirationDays must be at least objectLock.days: "
            "locked objects cannot expire before their retention ends",
        ),
        (
            {"archive": {"objectLock": {"mode": "LEGAL_HOLD", "days": 1}}},
            "config.obsgov:centralAudit.archive.objectLock.mode: must be one of GOVERNANCE, "
            "COMPLIANCE",
        ),
        (
            {"eventRouting": {"severities": {"critical": {}}}},
            "config.obsgov:centralAudit.eventRouting: severities must include critical, warning, "
            "security; missing: warning, security",
        ),
        (
            {
                "eventRouting": {
                    "severities": {
                        "critical": {"levels": ["high"]},
                        "warning": {"levels": ["high"]},
                        "security": {},
                    }
                }
            },
            "config.obsgov:centralAudit.eventRouting: level high is routed to both critical and "
            "warning; each level goes to one topic",
        ),
        (
            {
                "eventRouting": {
                    "severities": {
                        "critical": {"emails": ["not-an-email"]},
                        "warning": {},
                        "security": {},
                    }
                }
            },
            "config.obsgov:centralAudit.eventRouting.severities.critical.emails[0]: must be an "
            "email address",
        ),
        (
            {"tagPolicy": {"enforcedFor": ["sagemaker endpoint"]}},
            "config.obsgov:centralAudit.tagPolicy.enforcedFor[0]: must match the pattern "
            "^[a-z0-9-]+:([A-Za-z0-9-]+|ALL_SUPPORTED)$",
        ),
        (
            {"analytics": {"bytesScannedCutoffPerQuery": 1000}},
            "config.obsgov:centralAudit.analytics.bytesScannedCutoffPerQuery: must be greater than "
            "or equal to 10485760",
        ),
        (
            {"trail": {"enabled": False}},
            "config.obsgov:centralAudit: analytics.enabled needs trail.enabled: the Athena table "
            "reads the trail's logs",
        ),
    ],
)
def test_each_rule_names_the_key_and_what_it_expects(data, expected):
    assert problems(data) == [f"{FILE}: {expected}"]


def test_unknown_keys_are_reported_with_a_suggestion_and_all_problems_together():
    found = problems({"trail": {"logRetentionDay": 365, "adminAccountId": "1"}})
    assert found == [
        f"{FILE}: config.obsgov:centralAudit.trail.adminAccountId: must be 12 ASCII digits (0-9)",
        f"{FILE}: config.obsgov:centralAudit.trail.logRetentionDay: is not a known key "
        "(did you mean logRetentionDays?)",
    ]


def test_prod_needs_a_year_of_trail_logs_and_other_environments_do_not():
    short = CentralAuditSettings.model_validate({"trail": {"logRetentionDays": 90}})
    assert central_audit_problems("prod", short, MANAGEMENT, LOG_ARCHIVE, FILE) == [
        Problem(
            FILE,
            "config.obsgov:centralAudit.trail.logRetentionDays",
            "90 is too short for prod: CloudWatch.16 asks for at least 365 days",
        )
    ]
    assert central_audit_problems("dev", short, MANAGEMENT, LOG_ARCHIVE, FILE) == []


@pytest.mark.parametrize(
    ("admin", "message"),
    [
        (
            LOG_ARCHIVE,
            "100000000003 is the log-archive account; the trail's administrator must be "
            "another account so that the archive stays out of its reach",
        ),
        (MANAGEMENT, "is the management account, which runs the trail anyway; leave it unset"),
    ],
)
def test_the_trail_administrator_is_neither_the_archive_nor_the_management_account(admin, message):
    settings = CentralAuditSettings.model_validate({"trail": {"adminAccountId": admin}})
    assert central_audit_problems("staging", settings, MANAGEMENT, LOG_ARCHIVE, FILE) == [
        Problem(FILE, "config.obsgov:centralAudit.trail.adminAccountId", message)
    ]
