"""Lay out pulumi/examples' and pulumi/templates' Python AWS programs as a team would run them.

    python scripts/prepare_team_programs.py --examples EXAMPLES_GIT --templates TEMPLATES_GIT \
        --venv VENV [--venv-for PROJECT=VENV]... OUT

EXAMPLES_GIT and TEMPLATES_GIT are git directories of pulumi/examples and pulumi/templates
(bare or not); the programs are read with ``git archive`` from their HEAD. Each project lands
in ``OUT/<folder>`` (a nested project as ``<folder>-<subfolder>``) the way a user has it after following its README: a template as
``pulumi new --yes`` leaves it (``${PROJECT}`` filled in, ``virtualenv: venv``, the template's
config defaults in ``Pulumi.dev.yaml``), an example with the config its README sets
(``pulumi config set``), and the project's virtualenv a link to VENV (one environment with the
programs' requirements installed; ``--venv-for`` gives one project another). Then

    python scripts/check_team_programs.py --policy-pack policies/security-baseline OUT/*

tallies how ``obsgov preview --project`` ends on each. Writes only under OUT.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from ruamel.yaml import YAML

TEMPLATES = (
    "aws-python",
    "container-aws-python",
    "kubernetes-aws-python",
    "sagemaker-aws-python",
    "serverless-aws-python",
    "static-website-aws-python",
    "vm-aws-python",
)

# What each example's README has the user `pulumi config set` before `pulumi up` (values made
# up; secrets as plain values, which `require_secret` accepts; a bare key is the project's).
EXAMPLE_CONFIG: dict[str, dict[str, str]] = {
    "aws-py-ansible-wordpress": {
        "publicKeyPath": "keys/id_rsa.pub",
        "privateKeyPath": "keys/id_rsa",
        "dbPassword": "correct-horse-battery",
    },
    "aws-py-assume-role-assume-role": {
        "roleToAssumeARN": "arn:aws:iam::123456789012:role/allow-s3"
    },
    "aws-py-assume-role-create-role": {"unprivilegedUsername": "alice"},
    "aws-py-dynamicresource": {
        "sql-admin-name": "admin",
        "sql-admin-password": "correct-horse-battery",
        "sql-user-name": "app",
        "sql-user-password": "correct-horse-battery",
    },
    "aws-py-django-voting-app": {
        "sql-admin-name": "admin",
        "sql-admin-password": "correct-horse-battery",
        "sql-user-name": "app",
        "sql-user-password": "correct-horse-battery",
        "django-admin-name": "admin",
        "django-admin-password": "correct-horse-battery",
        "django-secret-key": "not-a-real-key",
    },
    "aws-py-ec2-provisioners": {
        "publicKey": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 user@example",
        "privateKey": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
    },
    "aws-py-ecs-instances-autoapi-py-ecs-instance": {"cfg:autoscalingGroupSize": "2"},
    "aws-py-redshift-glue-etl": {
        "clusterIdentifier": "etl-cluster",
        "clusterNodeType": "ra3.xlplus",
        "clusterDBName": "dev",
        "clusterDBUsername": "admin",
        "clusterDBPassword": "Correct-horse-battery-1",
        "glueDBName": "events",
    },
    "aws-py-slackbot": {
        "mentionbot:slackToken": "xoxb-not-a-token",
        "mentionbot:verificationToken": "not-a-token",
    },
    "aws-py-static-website": {"targetDomain": "www.example.com"},
    "aws-py-stackreference-company": {"companyName": "acme"},
    "aws-py-stackreference-department": {"departmentName": "platform"},
    "aws-py-stackreference-team": {
        "companyStack": "organization/aws-py-stackreference-company/dev",
        "departmentStack": "organization/aws-py-stackreference-department/dev",
        "teamName": "observability",
    },
    "aws-py-voting-app": {"redis-password": "correct-horse-battery"},
}


def git_tree(git_dir: Path, folder: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "HEAD", folder],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def projects_in(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob("Pulumi.yaml"))


def lay_out(project: Path, folder: str, out: Path, venv: Path, template: bool) -> Path:
    yaml = YAML()
    text = (project / "Pulumi.yaml").read_text()
    if template:
        text = text.replace("${PROJECT}", project.name).replace("${DESCRIPTION}", project.name)
    settings = yaml.load(text)
    name = str(settings["name"])
    target = out / folder
    shutil.rmtree(target, ignore_errors=True)  # laid out afresh on every run
    shutil.copytree(project, target)
    stack_config: dict[str, object] = {}
    template_config = (settings.get("template") or {}).get("config") or {}
    for key, spec in template_config.items():
        if isinstance(spec, dict) and "default" in spec:
            full = key if ":" in key else f"{name}:{key}"
            stack_config[full] = spec["default"]
    for key, value in EXAMPLE_CONFIG.get(folder, {}).items():
        stack_config[key if ":" in key else f"{name}:{key}"] = value
    stack_config.setdefault("aws:region", "us-east-1")
    runtime = settings.get("runtime")
    if template and not isinstance(runtime, dict):
        # `pulumi new` with the pip toolchain records the virtualenv it created.
        settings["runtime"] = {"name": str(runtime), "options": {"virtualenv": "venv"}}
        runtime = settings["runtime"]
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    if template:
        settings.pop("template", None)  # `pulumi new` drops it once the prompts are answered
    with (target / "Pulumi.yaml").open("w") as handle:
        yaml.dump(settings, handle)
    with (target / "Pulumi.dev.yaml").open("w") as handle:
        yaml.dump({"config": stack_config}, handle)
    if "virtualenv" in options:
        link = target / str(options["virtualenv"])
        if not link.exists():
            link.symlink_to(venv.resolve())
    if folder == "aws-py-ansible-wordpress":
        (target / "keys").mkdir(exist_ok=True)
        (target / "keys/id_rsa.pub").write_text("ssh-rsa AAAAB3NzaC1yc2E user@example\n")
        (target / "keys/id_rsa").write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, required=True)
    parser.add_argument("--templates", type=Path, required=True)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--venv-for", action="append", default=[], metavar="PROJECT=VENV")
    parser.add_argument("out", type=Path)
    options = parser.parse_args(argv)
    special = dict(item.split("=", 1) for item in options.venv_for)
    scratch = options.out / ".sources"
    scratch.mkdir(parents=True, exist_ok=True)
    listing = subprocess.run(
        ["git", "--git-dir", str(options.examples), "ls-tree", "-d", "--name-only", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for folder in [f for f in listing if f.startswith("aws-py-")]:
        git_tree(options.examples, folder, scratch / "examples")
    for folder in TEMPLATES:
        git_tree(options.templates, folder, scratch / "templates")
    made = []
    for kind in ("examples", "templates"):
        for project in projects_in(scratch / kind):
            folder = "-".join(project.relative_to(scratch / kind).parts)
            venv = Path(special.get(folder, options.venv))
            made.append(lay_out(project, folder, options.out, venv, template=kind == "templates"))
    print("\n".join(str(p) for p in made))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
