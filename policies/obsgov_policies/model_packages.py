"""The model packages a SageMaker model serves, and their records in the approval source.

Shared by the model-governance policies (approval, metadata, promotion order), which all
judge the packages a model's containers name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .approval_source import PACKAGE_ARN, ApprovalUnavailable, PackageRecord, approval_source
from .props import as_bool, as_list, as_str, get, is_set

APPROVAL_CONFIG: dict[str, dict[str, Any]] = {
    "modelApprovalRequired": {
        "type": "boolean",
        "default": True,
        "description": "Whether this environment enforces approval rules.",
    },
    "approvalSource": {
        "type": "string",
        "enum": ["auto", "registry", "snapshot"],
        "default": "auto",
        "description": "Where approval is read: the live registry (boto3), a "
        "snapshot file, or auto (registry when credentials exist).",
    },
    "registrySnapshotFile": {
        "type": "string",
        "description": "Path of the snapshot `obsgov registry snapshot` wrote.",
    },
    "registryAccountId": {"type": "string", "description": "Account of the model registry."},
}


def approval_required(config) -> bool:
    """Whether the environment enforces the approval rules (``modelApprovalRequired``)."""
    return as_bool(config.get("modelApprovalRequired", True))


def containers(props) -> Iterator[tuple[str, Any]]:
    if is_set(props, "primaryContainer"):
        yield "primaryContainer", get(props, "primaryContainer")
    for i, container in enumerate(as_list(get(props, "containers"))):
        yield f"containers[{i}]", container


def served_packages(props, report_violation, registry_account: str) -> list[str]:
    """Versioned package ARNs the model serves; reports containers that serve anything else,
    including packages outside ``registry_account`` (the organisation's model registry) when
    it is given: another account's approval is not the organisation's."""
    arns = []
    served = list(containers(props))
    if not served:
        report_violation("The model has no container.")
    for where, container in served:
        package = get(container, "modelPackageName")
        if not isinstance(package, str) or not package:
            image = as_str(get(container, "image"))
            report_violation(
                f"{where} serves a bare image{f' ({image})' if image else ''}; "
                "models must serve a versioned package from the model registry."
            )
        elif not PACKAGE_ARN.match(package):
            report_violation(
                f"{where} serves {package!r}, which is not a versioned model "
                "package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)."
            )
        elif registry_account and package.split(":")[4] != registry_account:
            report_violation(
                f"{where} serves {package}, which is not in the model registry's "
                f"account {registry_account}."
            )
        else:
            arns.append(package)
    return arns


def provider_region(args):
    """The region of the resource's provider, where its registry lookups go."""
    if args.provider is None:
        return None
    return as_str(get(args.provider.props, "region")) or None


def lookup_packages(
    args, packages: list[str], what: str, report_violation
) -> list[tuple[str, PackageRecord]]:
    """Registry records of ``packages``. Fails closed: each package whose record cannot be
    read is reported as "<what> of <arn> cannot be verified: <why>." and left out."""
    try:
        source = approval_source(args.get_config(), provider_region(args))
    except ApprovalUnavailable as exc:
        for arn in packages:
            report_violation(f"{what} of {arn} cannot be verified: {exc}.")
        return []
    found = []
    for arn in packages:
        try:
            record = source.lookup(arn)
        except ApprovalUnavailable as exc:
            report_violation(f"{what} of {arn} cannot be verified: {exc}.")
            continue
        if record is None:
            report_violation(
                f"{what} of {arn} cannot be verified: it is not in {source.describe()}."
            )
        else:
            found.append((arn, record))
    return found
