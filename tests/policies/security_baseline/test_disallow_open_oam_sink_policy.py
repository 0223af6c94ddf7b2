import json

from tests.support.policies import check

ID = "obsgov-oam-sinkpolicy-disallow-open-principal"
STATEMENT = {
    "Effect": "Allow",
    "Principal": "*",
    "Resource": "*",
    "Action": ["oam:CreateLink", "oam:UpdateLink"],
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
}


def policy_of(*statements):
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def test_org_scoped_sink_policy_passes():
    assert check(ID, policy_of(STATEMENT)) == []


def test_named_accounts_need_no_condition():
    named = {**STATEMENT, "Principal": {"AWS": ["111111111111"]}}
    del named["Condition"]
    assert check(ID, policy_of(named)) == []


def test_open_sink_policy():
    open_statement = {k: v for k, v in STATEMENT.items() if k != "Condition"}
    assert check(ID, policy_of(open_statement)) == [
        "Statement 0 allows any principal without a condition on aws:PrincipalOrgID or "
        "aws:PrincipalOrgPaths or aws:PrincipalAccount."
    ]


def test_condition_that_does_not_scope():
    loose = {
        **STATEMENT,
        "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": ["AWS::Logs::LogGroup"]}},
    }
    assert check(ID, policy_of(loose)) == [
        "Statement 0 allows any principal without a condition on aws:PrincipalOrgID or "
        "aws:PrincipalOrgPaths or aws:PrincipalAccount."
    ]


def test_not_a_policy_document():
    assert check(ID, {"policy": "not json"}) == ["The sink policy is not a JSON policy document."]


def test_only_open_allow_statements_are_judged_and_all_of_them():
    open_statement = {k: v for k, v in STATEMENT.items() if k != "Condition"}
    deny = {**open_statement, "Effect": "Deny"}
    named = {**open_statement, "Principal": {"AWS": "111111111111"}}
    wildcard_account = {**open_statement, "Principal": {"AWS": ["111111111111", "*"]}}
    assert check(ID, policy_of(deny, named, STATEMENT, wildcard_account, open_statement)) == [
        f"Statement {i} allows any principal without a condition on aws:PrincipalOrgID or "
        "aws:PrincipalOrgPaths or aws:PrincipalAccount."
        for i in (3, 4)
    ]


def test_every_scoping_key_scopes():
    for key in (
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:SourceAccount",
        "aws:SourceOrgID",
    ):
        scoped = {**STATEMENT, "Condition": {"StringLike": {key: "x"}}}
        assert check(ID, policy_of(scoped)) == [], key
