"""Configure-stack pack: reports the ConfigureStack request the gate sent. The Python SDK's
servicer keeps only its tags (pulumi_policy/policy.py, ConfigureStack), so the pack records the
request on the way in."""

import json

from pulumi_policy import PolicyPack, ResourceValidationPolicy
from pulumi_policy import policy as sdk

SEEN = {}
_configure_stack = sdk._PolicyAnalyzerServicer.ConfigureStack


def configure_stack(self, request, context):
    SEEN.update(
        stack=request.stack,
        project=request.project,
        organization=request.organization,
        dry_run=request.dry_run,
        config=dict(request.config),
        tags=dict(request.tags),
    )
    return _configure_stack(self, request, context)


sdk._PolicyAnalyzerServicer.ConfigureStack = configure_stack


def request(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(json.dumps(SEEN, sort_keys=True))


PolicyPack(
    name="configure-stack",
    policies=[
        ResourceValidationPolicy(
            name="request",
            description="Reports the ConfigureStack request.",
            validate=request,
        ),
    ],
)
