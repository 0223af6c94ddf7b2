"""The monitoring bucket of one member account, and the drift job's layer published from it.

A fresh environment has no capture, baseline or report bucket of its own choosing, so every
member account that runs monitoring jobs gets one (``obsgov-<env>-monitoring-<account id>``):
``datacapture/`` for SageMaker data capture, ``baselines/``, ``ground-truth/``, ``datasets/``
and ``reports/``, encrypted with a rotated key the jobs name by its alias.

The drift job's libraries (223 MB unzipped, 75 MB zipped: ``benchmarks/runtime_size.py``) are
above the 50 MB Lambda accepts in a direct upload, so the layer folder ``obsgov build-layer``
builds is uploaded to this bucket and the layer version is published from there (Lambda
quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from obsgov.config.models.settings import monitoring_bucket_name
from obsgov.job_layer import ARCHITECTURE, RUNTIME, LayerManifest, LayerMissing, read_manifest

from ..shared.access_logs import AccessLogs, AccessLogsArgs
from ..shared.buckets import hardened_bucket
from ..shared.iam_documents import account_administers, deny_insecure_transport, document
from ..shared.keys import rotated_key
from ..shared.platform_function import package_files

LAYER_KEY = "layers/obsgov-drift.zip"
# The Spark drift job's code (components/lifecycle/drift_glue_job.py), under the same prefix:
# the one the deployment role may write (obsgov/accounts/deployment_policy.py, LAYER_PREFIX).
SPARK_SCRIPT_KEY = "layers/drift-spark/spark_job.py"
SPARK_MODULES_KEY = "layers/drift-spark/obsgov-drift.zip"
SPARK_SCRIPT = Path(__file__).resolve().parents[2] / "obsgov" / "drift" / "spark_job.py"


def key_alias(environment: str) -> str:
    return f"alias/obsgov-{environment}-monitoring-data"


def use_key_statement(region: str, account_id: str, environment: str) -> dict:
    """Jobs may use the monitoring key, named by its alias so the statement is known at
    preview (the key's ARN exists only after the key does)."""
    return {
        "Sid": "UseMonitoringKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": f"arn:aws:kms:{region}:{account_id}:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias(environment)}},
    }


@dataclass
class MonitoringStoreArgs:
    environment: str
    account_id: str
    region: str
    layer_dir: Path | None  # None: no Lambda drift job in this account, no layer
    # the Spark drift job's script and modules, for a Glue drift job in this account
    spark_code: bool = False


# what a preview without a built layer shows in place of the layer's content hash
NOT_BUILT = "not-built"
# Set by the test suite only (tests/conftest.py): synthesis in update mode, which the tests
# run to read known values, accepts the layer built from site-packages. A deploy never sets it.
TEST_SITE_LAYER = "OBSGOV_TEST_SITE_LAYER"


class MonitoringStore(pulumi.ComponentResource):
    bucket_name: str
    layer: aws.lambda_.LayerVersion | None

    def __init__(
        self, name: str, args: MonitoringStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:monitoring_store:MonitoringStore", name, None, opts)
        self.bucket_name = monitoring_bucket_name(args.environment, args.account_id)
        self._create_bucket(name, args)
        self.layer = self._create_layer(name, args) if args.layer_dir is not None else None
        self.spark_code: list[aws.s3.BucketObjectv2] = (
            self._create_spark_code(name) if args.spark_code else []
        )
        self.register_outputs(
            {
                "bucket": self.bucket.id,
                "layerArn": self.layer.arn if self.layer is not None else None,
            }
        )

    def _create_bucket(self, name: str, args: MonitoringStoreArgs) -> None:
        """The bucket and its key, logging its server access (Security Hub S3.9) into an
        access-log bucket of this member account: S3 delivers access logs only to a bucket of
        the source's own account and Region (S3 user guide, "Enabling Amazon S3 server access
        logging"), so the observability account's cannot serve here."""
        child = pulumi.ResourceOptions(parent=self)
        self.access_logs = AccessLogs(
            f"{name}-access-logs",
            AccessLogsArgs(
                environment=args.environment,
                account_id=args.account_id,
                source_bucket_names=[self.bucket_name],
            ),
            opts=child,
        )
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} monitoring data",
            policy=document(account_administers(args.account_id)),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=key_alias(args.environment),
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.bucket = hardened_bucket(
            self,
            f"{name}-bucket",
            self.bucket_name,
            kms_key_arn=self.key.arn,
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [deny_insecure_transport(self.bucket_name)]},
                sort_keys=True,
            ),
            lifecycle_rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="old-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=30
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            access_log_bucket=self.access_logs.bucket.id,
            access_log_ready=[self.access_logs.bucket_policy],
            purpose="monitoring",
        )

    def _create_spark_code(self, name: str) -> list[aws.s3.BucketObjectv2]:
        """The Spark job's script (the Glue job's ScriptLocation) and the zip of the obsgov
        modules it imports (its --extra-py-files), derived from the imports as the Lambda
        function's archive is: no build step, so a preview shows what a deploy uploads."""
        child = pulumi.ResourceOptions(parent=self)
        script = aws.s3.BucketObjectv2(
            f"{name}-spark-script",
            bucket=self.bucket.id,
            key=SPARK_SCRIPT_KEY,
            source=pulumi.FileAsset(str(SPARK_SCRIPT)),
            content_type="text/x-python",
            opts=child,
        )
        modules = aws.s3.BucketObjectv2(
            f"{name}-spark-modules",
            bucket=self.bucket.id,
            key=SPARK_MODULES_KEY,
            source=pulumi.AssetArchive(
                {path: pulumi.FileAsset(str(file)) for path, file in package_files("drift").items()}
            ),
            opts=child,
        )
        return [script, modules]

    def _create_layer(self, name: str, args: MonitoringStoreArgs) -> aws.lambda_.LayerVersion:
        """The drift layer: uploaded to the bucket, published from it."""
        assert args.layer_dir is not None
        try:
            manifest: LayerManifest | None = read_manifest(args.layer_dir)
        except LayerMissing:
            # A preview shows the plan without the 220 MB build (README's first command works
            # on a fresh clone); `pulumi up` cannot publish a layer that does not exist.
            if not pulumi.runtime.is_dry_run():
                raise
            pulumi.log.warn(
                f"{args.layer_dir}: the drift job's layer is not built; this preview shows a "
                "placeholder and `pulumi up` refuses until `obsgov build-layer` has run"
            )
            manifest = None
        if (
            manifest is not None
            and not manifest.deployable
            and not pulumi.runtime.is_dry_run()
            and os.environ.get(TEST_SITE_LAYER) != "1"
        ):
            raise ValueError(
                f"{args.layer_dir} was built from {manifest.source}; deploy a layer built "
                "from Lambda's wheels: run `obsgov build-layer` without --from-site"
            )
        upload = aws.s3.BucketObjectv2(
            f"{name}-layer-archive",
            bucket=self.bucket.id,
            key=LAYER_KEY,
            # only python/ goes to Lambda: it is what /opt/python puts on sys.path
            source=pulumi.AssetArchive(
                {"python": pulumi.FileArchive(str(args.layer_dir / "python"))}
                if manifest is not None
                else {}
            ),
            tags={"content-sha256": manifest.content_hash if manifest else NOT_BUILT},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.lambda_.LayerVersion(
            f"{name}-layer",
            layer_name=f"obsgov-{args.environment}-drift",
            description=(
                f"obsgov drift job libraries: {', '.join(manifest.distributions)}"[:256]
                if manifest is not None
                else f"obsgov drift job libraries ({NOT_BUILT})"
            ),
            s3_bucket=upload.bucket,
            s3_key=upload.key,
            s3_object_version=upload.version_id,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            source_code_hash=manifest.content_hash if manifest is not None else NOT_BUILT,
            opts=pulumi.ResourceOptions(parent=self),
        )
