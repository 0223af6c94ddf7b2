"""The obsgov Pulumi program: one stack per environment.

It validates the environment (``stacks/Pulumi.<env>.yaml``, ``stacks/organization.yaml`` and
``stacks/accounts.yaml``), builds one explicit AWS provider per target account, then the central
observability account and every member account's baseline. ``obsgov synth`` runs this same file
under the Pulumi SDK's mocks; ``pulumi up --stack <env>`` runs it for real.
"""

import os
from pathlib import Path

import pulumi

from components.central import CentralObservability, CentralObservabilityArgs
from components.member_baseline import MemberAccountBaseline, MemberAccountBaselineArgs
from components.providers import account_provider
from obsgov.config.loader import load_environment
from obsgov.config.runtime import runtime_config_map
from obsgov.errors import InputError

# Pulumi.yaml's stackConfigDir; `obsgov synth` points it elsewhere for generated environments.
STACKS_DIR = Path(os.environ.get("OBSGOV_STACKS_DIR") or Path(__file__).resolve().parent / "stacks")


def main() -> None:
    stack = pulumi.get_stack()
    stack_file = STACKS_DIR / f"Pulumi.{stack}.yaml"
    try:
        env = load_environment(stack, stack_file, runtime_config_map())
    except InputError as exc:
        # RunError makes the CLI print the message without a Python traceback.
        raise pulumi.RunError(exc.report()) from None

    org = env.org.organization
    region = env.settings.region

    observability = account_provider(
        "observability",
        account_id=org.observability_account_id,
        role_arn=env.role_arn(org.observability_account_id),
        region=region,
        default_tags=env.central_default_tags(),
    )
    central = CentralObservability(
        f"central-{env.environment}",
        CentralObservabilityArgs(organization_id=org.id, environment=env.environment),
        opts=pulumi.ResourceOptions(providers=[observability]),
    )

    alarm_topics = {}
    for account in env.member_accounts:
        provider = account_provider(
            f"account-{account.name}",
            account_id=account.id,
            role_arn=env.role_arn(account.id),
            region=region,
            default_tags=env.account_default_tags(account),
        )
        baseline = MemberAccountBaseline(
            account.name,
            MemberAccountBaselineArgs(
                account_id=account.id,
                account_name=account.name,
                region=region,
                environment=env.environment,
                alarm_defaults=env.settings.alarm_defaults,
                log_retention_days=env.settings.log_retention_days,
                notification_emails=env.settings.notifications.emails,
                notification_https_endpoints=env.settings.notifications.https_endpoints,
                sink_arn=central.sink.arn,
                alert_routing=env.settings.alert_routing,
                tracing=env.settings.tracing,
                workloads=env.workloads_for(account),
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        alarm_topics[account.id] = baseline.alarm_topic.arn

    pulumi.export("environment", env.environment)
    pulumi.export("sinkArn", central.sink.arn)
    pulumi.export("alarmTopicArns", alarm_topics)


main()
