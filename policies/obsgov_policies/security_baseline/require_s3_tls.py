"""Every bucket's policy denies requests that do not use TLS."""

from ..aws_types import BUCKET, BUCKET_POLICY
from ..catalog import FSBP, Control, policy
from ..props import as_dict, as_list, get, json_document, statements, str_list
from ..s3 import buckets, configs_for


def denies_plain_http(document) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        actions = str_list(statement.get("Action"))
        if not ({"s3:*", "*"} & set(actions)):
            continue
        condition = as_dict(statement.get("Condition"))
        for operator in ("Bool", "BoolIfExists"):
            value = as_dict(condition.get(operator)).get("aws:SecureTransport")
            # a condition value may be a list of values, any of which matches
            values = as_list(value) or [value]
            if any(str(v).lower() == "false" for v in values):
                return True
    return False


@policy(
    id="obsgov-s3-bucket-require-tls",
    description="S3 bucket policies must deny requests that do not use TLS.",
    severity="high",
    service="s3",
    kind="stack",
    resource_types=(BUCKET,),  # it judges every bucket
    controls=[Control(FSBP, "S3.5")],
    remediation="Add a bucket policy statement that denies s3:* when aws:SecureTransport is false.",
)
def require_s3_tls(args, report_violation):
    for bucket in buckets(args.resources):
        policies = configs_for(args.resources, bucket, BUCKET_POLICY)
        documents = [json_document(get(p.props, "policy")) for p in policies]
        if not any(denies_plain_http(d) for d in documents if d is not None):
            report_violation(
                f"Bucket {bucket.name} has no policy denying requests without TLS "
                "(aws:SecureTransport false).",
                bucket.urn,
            )
