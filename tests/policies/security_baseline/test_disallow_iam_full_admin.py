import json

from tests.support.policies import check

ID = "obsgov-iam-policy-disallow-full-admin"


def doc(action, resource="*", effect="Allow"):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": action, "Resource": resource}],
        }
    )


def test_scoped_policy_passes():
    assert check(ID, {"policy": doc(["s3:GetObject"], "arn:aws:s3:::b/*")}) == []
    assert check(ID, {"policy": doc("*", "*", "Deny")}) == []


def test_full_admin_policy():
    assert check(ID, {"policy": doc("*")}) == ["Statement 0 allows action * on resource *."]
    assert check(ID, {"policy": doc(["*:*"])}, "aws:iam/rolePolicy:RolePolicy") == [
        "Statement 0 allows action * on resource *."
    ]


def test_inline_policies_on_roles():
    props = {"inlinePolicies": [{"name": "admin", "policy": doc("*")}]}
    assert check(ID, props, "aws:iam/role:Role") == [
        "Statement 0 (inline policy admin) allows action * on resource *."
    ]


def test_full_admin_needs_every_action_and_every_resource():
    assert check(ID, {"policy": doc("*", "arn:aws:s3:::b/*")}) == []
    assert check(ID, {"policy": doc("s3:*", "*")}) == []
    assert check(ID, {"policy": doc(["s3:GetObject", "*:*"], ["arn:x", "*"])}) == [
        "Statement 0 allows action * on resource *."
    ]


def test_every_statement_and_inline_policy_is_judged():
    statements = json.dumps(
        {
            "Statement": [
                {"Effect": "Deny", "Action": "*", "Resource": "*"},
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
            ]
        }
    )
    role = {
        "inlinePolicies": [
            {"name": "ok", "policy": doc("s3:GetObject")},
            {"policy": statements},
            {"name": "admin", "policy": statements},
        ]
    }
    assert check(ID, role, "aws:iam/role:Role") == [
        "Statement 1 allows action * on resource *.",
        "Statement 1 (inline policy admin) allows action * on resource *.",
    ]
