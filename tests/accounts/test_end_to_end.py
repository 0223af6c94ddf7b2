"""The CLI as a user runs it: a subprocess pointed at `moto_server` through AWS_ENDPOINT_URL.

The server runs in this process (moto's ThreadedMotoServer on 127.0.0.1, a free port); the
CLI runs in child processes, so every request crosses HTTP as it would to a real endpoint,
including the IAM calls made with the member account's assumed-role credentials.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from .support import REGION, build_organization, only_power_user_policy, write_stacks

RUN_CLI = "from obsgov.cli.accounts import app; app()"
# The same, with the registry read slowed so two processes surely overlap between reading
# the file and writing it back: without the lock one of the two entries would be lost.
RUN_CLI_SLOW_READ = textwrap.dedent("""
    import time
    from obsgov.accounts import registry_file
    read = registry_file.RegistryEditor.read
    def slow(self):
        result = read(self)
        time.sleep(1.5)
        return result
    registry_file.RegistryEditor.read = slow
    from obsgov.cli.accounts import app
    app()
""")


# Dies the hard way (SIGKILL: the shell's exit 137) right after the Nth AWS write of the run
# landed, before anything else happens: what a killed CI runner or a power cut leaves.
RUN_CLI_KILLED_AFTER_WRITE = textwrap.dedent("""
    import os, signal
    from obsgov.accounts import aws as aws_module
    after = int(os.environ["OBSGOV_TEST_KILL_AFTER_WRITE"])
    writes = [0]
    def count(model=None, **_):
        if model.name.startswith(("Get", "List", "Describe")) or model.name == "AssumeRole":
            return
        writes[0] += 1
        if writes[0] == after:
            os.kill(os.getpid(), signal.SIGKILL)
    for method in ("client", "client_in"):
        original = getattr(aws_module.Aws, method)
        def hooked(self, *args, _original=original, **kwargs):
            client = _original(self, *args, **kwargs)
            client.meta.events.register("after-call", count)
            return client
        setattr(aws_module.Aws, method, hooked)
    from obsgov.cli.accounts import app
    app()
""")


@pytest.fixture(scope="module")
def server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(server, tmp_path, monkeypatch):
    """A fresh moto state with an organization, and the environment a user would set."""
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    monkeypatch.setattr("moto.iam.models.aws_managed_policies_data", only_power_user_policy())
    env = {
        "AWS_ENDPOINT_URL": server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    session = boto3.Session(region_name=REGION)
    ou_ids = build_organization(session)
    org_id = session.client("organizations").describe_organization()["Organization"]["Id"]
    write_stacks(tmp_path / "stacks", ou_ids, org_id)
    return session


def cli(tmp_path: Path, *args: str, code: str = RUN_CLI) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def onboard_args(name: str) -> list[str]:
    return [
        "onboard",
        "--env",
        "prod",
        "--create",
        "--name",
        name,
        "--email",
        f"aws+{name}@example.com",
        "--owner",
        "ml-platform@example.com",
        "--cost-centre",
        "CC-2100",
        "--data-classification",
        "internal",
        "--ou",
        "ml-prod",
        "--poll-interval",
        "0",
    ]


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


def test_cli_onboards_through_an_endpoint_url_and_a_rerun_changes_nothing(endpoint, tmp_path):
    code, out, err = finish(cli(tmp_path, *onboard_args("ml-e2e-prod")))
    assert code == 0, out + err
    orgs = endpoint.client("organizations")
    account = [a for a in orgs.list_accounts()["Accounts"] if a["Name"] == "ml-e2e-prod"][0]
    assert out.splitlines()[-3:-1] == [
        f"onboarded {account['Id']} (ml-e2e-prod) into prod",
        "changed: 12 AWS writes, 1 registry change",
    ]

    creds = endpoint.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account['Id']}:role/OrganizationAccountAccessRole",
        RoleSessionName="check",
    )["Credentials"]
    iam = boto3.client(
        "iam",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    role = iam.get_role(RoleName="ObsgovDeploymentRole")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account['Id']}:role/ObsgovDeploymentRole"

    registry = tmp_path / "stacks" / "accounts.yaml"
    recorded = yaml.safe_load(registry.read_text())["accounts"]
    assert [a["id"] for a in recorded if a["name"] == "ml-e2e-prod"] == [account["Id"]]
    before = registry.read_bytes()

    code, out, err = finish(cli(tmp_path, *onboard_args("ml-e2e-prod")))
    assert code == 0, out + err
    assert out.splitlines()[-3:-1] == [
        f"{account['Id']} (ml-e2e-prod) is already onboarded into prod",
        "changed: nothing (AWS and accounts.yaml untouched)",
    ]
    assert registry.read_bytes() == before


def test_two_concurrent_onboardings_both_land_in_the_registry(endpoint, tmp_path):
    first = cli(tmp_path, *onboard_args("ml-left-prod"), code=RUN_CLI_SLOW_READ)
    second = cli(tmp_path, *onboard_args("ml-right-prod"), code=RUN_CLI_SLOW_READ)
    for process in (first, second):
        code, out, err = finish(process)
        assert code == 0, out + err
    text = (tmp_path / "stacks" / "accounts.yaml").read_text()
    names = [a["name"] for a in yaml.safe_load(text)["accounts"]]
    assert sorted(n for n in names if n in ("ml-left-prod", "ml-right-prod")) == [
        "ml-left-prod",
        "ml-right-prod",
    ]
    assert text.startswith("# The accounts registry")
    assert [p.name for p in (tmp_path / "stacks").iterdir() if p.suffix == ".tmp"] == []


def test_two_identical_creates_at_once_make_one_account(endpoint, tmp_path):
    """Issue 35 item 5: both runs succeed; AWS is asked to create the account once."""
    first = cli(tmp_path, *onboard_args("ml-twin-prod"))
    second = cli(tmp_path, *onboard_args("ml-twin-prod"))
    for process in (first, second):
        code, out, err = finish(process)
        assert code == 0, out + err
    orgs = endpoint.client("organizations")
    twins = [a for a in orgs.list_accounts()["Accounts"] if a["Name"] == "ml-twin-prod"]
    assert len(twins) == 1
    statuses = orgs.list_create_account_status()["CreateAccountStatuses"]
    assert [s["AccountName"] for s in statuses].count("ml-twin-prod") == 1
    text = (tmp_path / "stacks" / "accounts.yaml").read_text()
    assert text.count("name: ml-twin-prod") == 1


WRITES_OF_A_CREATE = 12  # CreateAccount ... AttachPolicy: the AWS writes of a new account


@pytest.mark.parametrize("after", range(1, WRITES_OF_A_CREATE + 1))
def test_killed_after_any_write_a_rerun_converges_and_the_next_writes_nothing(
    endpoint, tmp_path, monkeypatch, after
):
    monkeypatch.setenv("OBSGOV_TEST_KILL_AFTER_WRITE", str(after))
    code, out, err = finish(
        cli(tmp_path, *onboard_args("ml-kill-prod"), code=RUN_CLI_KILLED_AFTER_WRITE)
    )
    assert code == -9, out + err  # SIGKILL: exit 137 in a shell
    monkeypatch.delenv("OBSGOV_TEST_KILL_AFTER_WRITE")
    code, out, err = finish(cli(tmp_path, *onboard_args("ml-kill-prod")))
    assert code == 0, out + err
    code, out, err = finish(cli(tmp_path, *onboard_args("ml-kill-prod")))
    assert code == 0, out + err
    assert out.splitlines()[-2] == "changed: nothing (AWS and accounts.yaml untouched)"
    orgs = endpoint.client("organizations")
    assert [a["Name"] for a in orgs.list_accounts()["Accounts"]].count("ml-kill-prod") == 1
    text = (tmp_path / "stacks" / "accounts.yaml").read_text()
    assert text.count("name: ml-kill-prod") == 1
    assert [p.name for p in (tmp_path / "stacks").iterdir() if p.suffix == ".tmp"] == []
