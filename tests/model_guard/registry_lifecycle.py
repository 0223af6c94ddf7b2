"""What moto 5.2 lacks of the model registry, added at the boto3 client boundary.

moto's SageMaker backend (``moto/sagemaker/responses.py``, ``create_model_package`` and
``update_model_package``) ignores ``ModelLifeCycle``, never returns it from
DescribeModelPackage, and resets ``ModelApprovalStatus``, ``ApprovalDescription`` and
``CustomerMetadataProperties`` to nothing when an UpdateModelPackage call leaves them out,
where SageMaker keeps them. This fake hooks botocore's events (``provide-client-params`` and
``after-call``) so that, on every client created from the hooked session:

* ``ModelLifeCycle`` given to CreateModelPackage or UpdateModelPackage is kept (botocore has
  already validated it against the service model: ``Stage`` and ``StageStatus`` required, 1-63
  characters; ``StageDescription`` up to 1,024) and DescribeModelPackage returns it in the
  documented shape (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelLifeCycle.html);
* an UpdateModelPackage call that leaves a field out leaves it as it was
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html).

Everything else is moto's.
"""

from __future__ import annotations

import copy
from typing import Any

KEPT_ON_UPDATE = ("ModelApprovalStatus", "ApprovalDescription", "CustomerMetadataProperties")


class RegistryLifecycle:
    def __init__(self, reader: Any) -> None:
        self.reader = reader  # a client of the same moto account, to read what is kept
        self.lifecycles: dict[str, dict[str, str]] = {}

    def install(self, events: Any) -> None:
        events.register("provide-client-params.sagemaker.CreateModelPackage", self._stash_lifecycle)
        events.register("after-call.sagemaker.CreateModelPackage", self._created)
        events.register("provide-client-params.sagemaker.UpdateModelPackage", self._update)
        events.register("provide-client-params.sagemaker.DescribeModelPackage", self._name)
        events.register("after-call.sagemaker.DescribeModelPackage", self._described)

    def _stash_lifecycle(self, params: dict, context: dict, **_: Any) -> None:
        if "ModelLifeCycle" in params:
            context["obsgov_lifecycle"] = copy.deepcopy(params["ModelLifeCycle"])

    def _created(self, parsed: dict, context: dict, **_: Any) -> None:
        lifecycle = context.get("obsgov_lifecycle")
        if lifecycle is not None and "ModelPackageArn" in parsed:
            self.lifecycles[parsed["ModelPackageArn"]] = lifecycle

    def _update(self, params: dict, **_: Any) -> None:
        arn = params.get("ModelPackageArn")
        missing = [k for k in KEPT_ON_UPDATE if k not in params]
        if arn and missing:
            current = self.reader.describe_model_package(ModelPackageName=arn)
            for key in missing:
                if current.get(key) is not None:
                    params[key] = copy.deepcopy(current[key])
        if arn and "ModelLifeCycle" in params:
            self.lifecycles[arn] = copy.deepcopy(params["ModelLifeCycle"])

    def _name(self, params: dict, context: dict, **_: Any) -> None:
        context["obsgov_package"] = params.get("ModelPackageName")

    def _described(self, parsed: dict, context: dict, **_: Any) -> None:
        arn = parsed.get("ModelPackageArn") or context.get("obsgov_package")
        if arn in self.lifecycles and "Error" not in parsed:
            parsed["ModelLifeCycle"] = copy.deepcopy(self.lifecycles[arn])
