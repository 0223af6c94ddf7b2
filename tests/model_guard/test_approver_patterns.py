"""``allowedApprovers`` names principals, never a wildcard that reaches every principal.

An approver pattern is matched against the caller CloudTrail records
(``detail.userIdentity.arn``) and becomes the SCP's ``aws:PrincipalArn`` exemption, so a
wildcard in the account or the role name would let any account's principal approve
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
Only the session name of an assumed-role ARN may vary.
"""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.model_guard.rules import GuardRules, approver_problem

ACCEPTED = [
    "arn:aws:sts::100000000002:assumed-role/MLApprovers/*",
    "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice",
    "arn:aws:iam::100000000002:role/MLApprovers",
    "arn:aws:iam::100000000002:role/team/MLApprovers",
    "arn:aws-us-gov:iam::100000000002:user/alice",
]
REFUSED = [
    "arn:aws:sts::*",
    "arn:aws:sts::*:assumed-role/MLApprovers/*",
    "arn:aws:sts::100000000002:*",
    "arn:aws:sts::100000000002:assumed-role/*",
    "arn:aws:sts::100000000002:assumed-role/ML*/alice",
    "arn:aws:iam::100000000002:role/*",
    "arn:aws:iam::100000000002:root",
    "arn:aws:iam::100000000002:*",
    "arn:aws:iam::1000000000?2:role/MLApprovers",
    "arn:aws:sts::100000000002:assumed-role/MLApprovers",
    "*",
]


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_one_principal_with_at_most_a_session_wildcard_is_accepted(pattern):
    assert approver_problem(pattern) is None


@pytest.mark.parametrize("pattern", REFUSED)
def test_wildcards_beyond_the_session_name_are_refused(pattern):
    assert approver_problem(pattern) is not None


def test_the_deployed_rules_refuse_a_wildcard_too():
    text = (
        GuardRules(environment="prod")
        .to_json()
        .replace('"allowedApprovers": []', '"allowedApprovers": ["arn:aws:sts::*"]')
    )
    with pytest.raises(ValueError, match="allowedApprovers"):
        GuardRules.from_json(text)


def test_validate_exits_2_naming_the_key(scenario):
    env = scenario("prod")
    env.config["obsgov:modelApproval"] = {
        "enabled": True,
        "registryAccountId": "100000000001",
        "guard": {"enabled": True, "allowedApprovers": ["arn:aws:sts::*"]},
    }
    env.write()
    result = CliRunner().invoke(
        app, ["validate", "--stack", "prod", "--stacks-dir", str(env.directory)]
    )
    assert result.exit_code == 2, result.output
    assert "obsgov:modelApproval.guard.allowedApprovers[0]" in result.output
    assert "arn:aws:sts::*" in result.output
    assert "Traceback" not in result.output
    assert yaml.safe_load(env.stack_file.read_text())  # the file is left as it was
