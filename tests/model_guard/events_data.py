"""The guard's trigger events, shaped as AWS documents them (shared by the guard's tests)."""

import copy
from typing import Any

ARN = "arn:aws:sagemaker:eu-west-1:100000000002:model-package/churn/3"
# Shaped like the documented "SageMaker Model Package State Change" event.
STATE_CHANGE: dict[str, Any] = {
    "version": "0",
    "id": "9d0c5ef6-1e7a-4d1b-a9a6-0c1c7c9f1b11",
    "detail-type": "SageMaker Model Package State Change",
    "source": "aws.sagemaker",
    "account": "100000000002",
    "time": "2026-11-27T08:00:00Z",
    "region": "eu-west-1",
    "resources": [ARN],
    "detail": {
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": 3,
        "ModelPackageArn": ARN,
        "CreationTime": 1764230400000,
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
        "LastModifiedTime": 1764230500000,
    },
}
# Shaped like CloudTrail's record of UpdateModelPackage, delivered by EventBridge.
API_CALL: dict[str, Any] = {
    "version": "0",
    "id": "2b1c8d33-5a1e-4c55-9d2f-8e4f1c0a7e22",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.sagemaker",
    "account": "100000000002",
    "time": "2026-11-27T08:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "eventVersion": "1.08",
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "UpdateModelPackage",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice",
        },
        "requestParameters": {
            "modelPackageArn": ARN,
            "modelApprovalStatus": "Approved",
            "approvalDescription": "ok",
        },
        "responseElements": {"modelPackageArn": ARN},
    },
}


# CloudTrail's record of CreateModelPackage registering a package already Approved: the request
# names the group, the response the new package (CloudTrail user guide, "CloudTrail record
# contents": requestParameters and responseElements).
CREATE_CALL = copy.deepcopy(API_CALL)
CREATE_CALL["detail"]["eventName"] = "CreateModelPackage"
CREATE_CALL["detail"]["requestParameters"] = {
    "modelPackageGroupName": "churn",
    "modelApprovalStatus": "Approved",
}
CREATE_CALL["detail"]["responseElements"] = {"modelPackageArn": ARN}
