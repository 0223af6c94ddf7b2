"""Prerequisites per account. AWS: docs.aws.amazon.com/opensearch-service/latest/developerguide/slr.html
(VPC domains need AWSServiceRoleForAmazonOpenSearchService); kms key-policy-overview.html (a key
policy naming a principal that does not exist is refused)."""

from tests.policies.deploy_readiness.corpus import (
    opensearch_without_slr,
    roles_named_in_policies,
)
from tests.support.policies import check_stack

ID = "obsgov-deploy-account-require-prerequisites"


def _without_deployment_roles(found):
    return [(n, m) for n, m in found if "deployment role" not in m]


def test_a_vpc_domain_needs_the_service_linked_role():
    assert _without_deployment_roles(check_stack(ID, opensearch_without_slr(True))) == []
    [(name, message)] = _without_deployment_roles(check_stack(ID, opensearch_without_slr(False)))
    assert name == "domain"
    assert message == (
        "account 100000000002 needs the service-linked role "
        "AWSServiceRoleForAmazonOpenSearchService before OpenSearch domain logs (domain): "
        "CreateDomain for a domain in a VPC fails until it exists (OpenSearch needs it to "
        "create the network interfaces). Fix: `obsgov org prepare --env ENV` "
        "creates it, or `aws iam create-service-linked-role --aws-service-name "
        "opensearchservice.amazonaws.com` in that account; once `obsgov org check` confirms it, "
        "list 'service-linked-role:opensearchservice.amazonaws.com@100000000002' in "
        "verifiedPrerequisites. AWS: https://docs.aws.amazon.com/opensearch-service/latest/"
        "developerguide/slr.html"
    )


def test_verified_prerequisites_are_not_reported():
    verified = [
        "service-linked-role:opensearchservice.amazonaws.com@100000000002",
        "deployment-role:arn:aws:iam::100000000002:role/ObsgovDeploymentRole",
    ]
    found = check_stack(ID, opensearch_without_slr(False), {"verifiedPrerequisites": verified})
    assert found == []


def test_each_provider_role_is_a_prerequisite_of_its_account():
    found = check_stack(ID, roles_named_in_policies(True)[:1])
    assert [m.split(":")[0] for _, m in found if "deployment role" in m] == [
        "account 100000000003 needs the deployment role ObsgovDeploymentRole that provider "
        "archive-key-provider assumes before provider archive-key-provider"
    ]


def test_a_principal_named_in_a_key_policy_must_exist_unless_the_stack_creates_it():
    found = _without_deployment_roles(check_stack(ID, roles_named_in_policies(False)))
    assert [m.split(":")[0] for _, m in found] == [
        "account 100000000003 needs the IAM role obsgov-auditor (named in KMS key archive-key) "
        "before KMS key archive-key"
    ]
    assert _without_deployment_roles(check_stack(ID, roles_named_in_policies(True))) == []
