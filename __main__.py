"""The obsgov Pulumi program: one stack per environment.

It validates the environment (``stacks/Pulumi.<env>.yaml``, ``stacks/organization.yaml`` and
``stacks/accounts.yaml``), then builds, each on the provider of the account that owns it: the
central accounts (observability, organization trail and archive, guardrails, log analytics and
the metric lake), every member account's baseline and monitoring jobs, the model lifecycle that
spans them, and the views on top. ``obsgov synth`` runs this same file under the Pulumi SDK's
mocks; ``pulumi up --stack <env>`` runs it for real. The wiring lives in
``components/environment/``.
"""

import os
from pathlib import Path

import pulumi

from components import environment as assemble
from components.member.alarm_spec import alarm_name
from obsgov.accounts.workload_roles import bound_member_roles
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

    # Member accounts' roles carry the workload boundary the deployment role requires
    # (obsgov/accounts/deployment_policy.py).
    bound_member_roles({a.name: a.id for a in env.member_accounts}, env.settings.region)
    providers = assemble.central_providers(env)
    central = assemble.central_account(env, providers)

    alarm_topics, member_providers, paging_alarms = {}, {}, []
    for account in env.member_accounts:
        provider, baseline = assemble.member_account(env, account, central)
        assemble.member_monitoring_jobs(env, account, provider, baseline)
        member_providers[account.id] = provider
        alarm_topics[account.id] = baseline.alarm_topic.arn
        paging_alarms += [
            f"arn:aws:cloudwatch:{env.settings.region}:{account.id}:alarm:"
            f"{alarm_name(env.environment, account.name, w.name, 'unhealthy')}"
            for w in env.workloads_for(account)
        ]

    assemble.model_lifecycle(env, providers, central, member_providers)
    assemble.analytics_views(env, providers, central, paging_alarms)

    pulumi.export("environment", env.environment)
    pulumi.export("sinkArn", central.sink.sink.arn)
    pulumi.export("alarmTopicArns", alarm_topics)


main()
