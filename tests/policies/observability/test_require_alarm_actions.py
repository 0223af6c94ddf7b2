from tests.support.policies import UNKNOWN, check

ID = "obsgov-cloudwatch-alarm-require-actions"
GOOD = {"alarmActions": ["arn:aws:sns:eu-west-1:111111111111:alarms"], "actionsEnabled": True}


def test_alarm_with_actions_passes():
    assert check(ID, GOOD) == []
    assert check(ID, {"alarmActions": [UNKNOWN]}) == []  # an unknown topic ARN is still an action


def test_alarm_without_alarm_action():
    assert check(ID, {**GOOD, "alarmActions": []}) == [
        "The alarm has no action for the ALARM state (alarmActions is empty)."
    ]


def test_alarm_with_actions_disabled():
    assert check(ID, {**GOOD, "actionsEnabled": False}) == [
        "The alarm's actions are disabled (actionsEnabled is false)."
    ]


def test_composite_alarms_are_judged_too():
    assert check(ID, {}, "aws:cloudwatch/compositeAlarm:CompositeAlarm") == [
        "The alarm has no action for the ALARM state (alarmActions is empty)."
    ]


def test_actions_are_enabled_unless_switched_off():
    assert check(ID, {"alarmActions": GOOD["alarmActions"]}) == []
    assert check(ID, {**GOOD, "actionsEnabled": "true"}) == []
    assert check(ID, {**GOOD, "actionsEnabled": "false"}) == [
        "The alarm's actions are disabled (actionsEnabled is false)."
    ]
