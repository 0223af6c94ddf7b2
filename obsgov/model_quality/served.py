"""Which model version an endpoint serves now, read from SageMaker at run time.

DescribeEndpoint names the endpoint configuration and each variant's current weight;
DescribeEndpointConfig names each variant's model; DescribeModel names the model package the
model was created from (``PrimaryContainer.ModelPackageName``, or a container's in an
inference pipeline); a versioned package ARN ends in ``/<group>/<version>``, and
DescribeModelPackage gives ``ModelPackageVersion`` otherwise. A model created from an image
and not from a package has no version: its model name stands in.

So each model release is scored under its own ``ModelVersion`` the moment it serves, without
a platform deploy to update a registry file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_VERSIONED_PACKAGE = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[^:]+:\d{12}:model-package/[^/]+/(\d+)$"
)


@dataclass(frozen=True)
class ServedModel:
    endpoint: str
    variant: str
    model_name: str
    model_package: str | None
    version: str
    endpoint_modified: datetime | None  # the endpoint's last update: a release in the window


def _variant(described: dict[str, Any], wanted: str | None) -> str:
    variants = described.get("ProductionVariants") or []
    names = [v["VariantName"] for v in variants]
    if wanted is not None:
        if wanted not in names:
            raise ValueError(
                f"endpoint {described['EndpointName']} has no variant {wanted!r} "
                f"(it has {', '.join(names) or 'none'})"
            )
        return wanted
    if not variants:
        raise ValueError(f"endpoint {described['EndpointName']} has no production variant")
    # the variant taking most of the traffic; ties by name, so the choice is stable
    heaviest = sorted(
        variants, key=lambda v: (-float(v.get("CurrentWeight", 1.0)), v["VariantName"])
    )
    return str(heaviest[0]["VariantName"])


def _package_of(model: dict[str, Any]) -> str | None:
    containers = [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]
    for container in containers:
        name = container.get("ModelPackageName")
        if name:
            return str(name)
    return None


def served_model(sagemaker: Any, endpoint: str, variant: str | None = None) -> ServedModel:
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    chosen = _variant(described, variant)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    model_name = next(
        (
            v["ModelName"]
            for v in config.get("ProductionVariants", [])
            if v["VariantName"] == chosen and v.get("ModelName")
        ),
        None,
    )
    if model_name is None:
        raise ValueError(
            f"endpoint configuration {described['EndpointConfigName']} names no model for "
            f"variant {chosen}"
        )
    package = _package_of(sagemaker.describe_model(ModelName=model_name))
    version = model_name
    if package:
        matched = _VERSIONED_PACKAGE.match(package)
        if matched:
            version = matched.group(1)
        else:
            found = sagemaker.describe_model_package(ModelPackageName=package)
            if found.get("ModelPackageVersion") is not None:
                version = str(found["ModelPackageVersion"])
    return ServedModel(
        endpoint, chosen, model_name, package, version, described.get("LastModifiedTime")
    )
