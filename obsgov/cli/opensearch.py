"""``obsgov opensearch``: what Pulumi cannot set on the log analytics domain."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import EXIT_AWS, StacksDirOption, aws_errors, command, fail, load_stack, out

app = typer.Typer(
    help=(
        "The log analytics domain: index templates, ISM policies, and the Firehose role's "
        "access (fine-grained access control)."
    ),
    no_args_is_help=True,
)


@app.command("bootstrap")
@command
def bootstrap(
    env_name: str = typer.Option(
        ...,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Environment whose log analytics domain to configure.",
    ),
    endpoint: str | None = typer.Option(
        None,
        "--endpoint",
        metavar="URL",
        help="The domain's endpoint (default: looked up with DescribeDomain).",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Apply the shipped index templates and ISM policies, and map the log ingest Firehose
    role to the OpenSearch role that may write the log indexes, with signed requests.

    Run it as the domain's master role, once after the first deployment and after each
    upgrade. Idempotent: each document is read first and written only when missing or
    different. Exit 4 when AWS or the domain refuses.
    """
    import boto3

    from obsgov.opensearch.bootstrap import RemoteError, apply, load_documents, signed_sender
    from obsgov.opensearch.ism import for_storage
    from obsgov.opensearch.security import security_documents

    env = load_stack(env_name, stacks_dir)
    # The Firehose role is mapped last: until then the domain answers its _bulk with 403, so
    # no log index exists before the ISM policy whose ism_template manages every new one.
    search = env.settings.open_search
    documents = [
        # the retention policy migrates to UltraWarm (and cold) when the domain has them
        *for_storage(load_documents(), warm=search.warm_enabled, cold=search.cold_storage),
        *security_documents(env.environment, env.org.organization.observability_account_id),
    ]
    region = env.settings.region
    session = boto3.Session(region_name=region)
    credentials = session.get_credentials()
    if credentials is None:
        fail(
            "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            EXIT_AWS,
        )
    domain = f"obsgov-{env.environment}-logs"
    try:
        with aws_errors():
            if endpoint is None:
                opensearch = session.client("opensearch")
                status = opensearch.describe_domain(DomainName=domain)["DomainStatus"]
                host = status.get("Endpoint") or (status.get("Endpoints") or {}).get("vpc")
                if not host:
                    fail(
                        f"domain {domain} has no endpoint yet (is it still being created?)",
                        EXIT_AWS,
                    )
                endpoint = f"https://{host}"
            outcomes = apply(signed_sender(endpoint, region, credentials), documents)
    except RemoteError as exc:
        # the domain's own refusal (HTTP), which botocore does not raise
        fail(str(exc), EXIT_AWS)
    for outcome in outcomes:
        out.print(f"{outcome.action:9} {outcome.document.kind} {outcome.document.name}")
