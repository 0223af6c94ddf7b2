"""CONTRIBUTING.md's recipes, performed as written in a copy of the repository.

Each test copies the source tree (no .venv, no .git), follows one recipe (add a policy, a
component, a workload kind, a command) with the files and edits CONTRIBUTING names, and runs
the tests or commands the recipe affects there, with the copy's packages first on the path.
A recipe that stops working (a module moved, a registration step added) fails here before a
contributor follows it. Each takes up to about a minute: the ``recipe`` mark selects them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
# what a checkout holds but the recipes never read (and the copy need not carry)
IGNORED = shutil.ignore_patterns(
    ".venv",
    "venv",
    ".git",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.egg-info",
    "build",
    "dist",
    "out",
)

pytestmark = pytest.mark.recipe


def copy_repository(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=IGNORED, symlinks=True)
    return copy


def run(copy: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python *args`` in the copy, importing the copy's obsgov, components and policy
    library rather than the installed ones."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(copy), str(copy / "policies")]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pytest_in(copy: Path, *args: str) -> None:
    done = run(copy, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def write(copy: Path, name: str, text: str) -> Path:
    path = copy / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def edit(copy: Path, name: str, old: str, new: str) -> None:
    path = copy / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{name}: the recipe's anchor {old!r} is not there once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def section(title: str) -> str:
    """One ``## title`` section of CONTRIBUTING.md."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", CONTRIBUTING, re.M | re.S)
    assert match, f"CONTRIBUTING.md has no section {title!r}"
    return match.group(1)


def test_the_copy_imports_its_own_packages(tmp_path):
    copy = copy_repository(tmp_path)
    done = run(
        copy,
        "-c",
        "import components, obsgov, obsgov_policies; "
        "print(components.__file__, obsgov.__file__, obsgov_policies.__file__)",
    )
    assert done.returncode == 0, done.stderr
    for path in done.stdout.split():
        assert Path(path).is_relative_to(copy), path


# --------------------------------------------------------------------------- add a policy

POLICY_MODULE = "policies/obsgov_policies/tagging/require_topic_owner_tag.py"
POLICY_ID = "obsgov-sns-topic-require-owner-tag"


def test_add_a_policy(tmp_path):
    recipe = section("Add a policy")
    assert "policies/obsgov_policies/<pack>/<require_or_disallow_x>.py" in recipe
    assert "tests/policies/<pack>/test_<module>.py" in recipe
    copy = copy_repository(tmp_path)
    # 1. one module in the pack's package: the function under its registering decorator
    write(
        copy,
        POLICY_MODULE,
        f'''
        """SNS topics say who owns them."""

        from ..catalog import policy
        from ..props import get


        @policy(
            id="{POLICY_ID}",
            description="SNS topics must carry an owner tag naming the team that reads them.",
            severity="low",
            service="sns",
            resource_types=("aws:sns/topic:Topic",),
            remediation="Tag the topic with the owning team's address (owner).",
        )
        def require_topic_owner_tag(args, report_violation):
            if not get(args.props, "tags", "owner"):
                report_violation("The topic has no owner tag.")
        ''',
    )
    # 2. its test: a compliant baseline, then one mutation per case with the exact message
    write(
        copy,
        "tests/policies/tagging/test_require_topic_owner_tag.py",
        f"""
        from tests.support.policies import check

        ID = "{POLICY_ID}"


        def test_an_owned_topic_passes():
            assert check(ID, {{"tags": {{"owner": "ml-platform@example.com"}}}}) == []


        def test_a_topic_without_owner():
            assert check(ID, {{"tags": {{}}}}) == ["The topic has no owner tag."]
        """,
    )
    # nothing else to register: the library's own tests find it in its pack
    pytest_in(
        copy,
        "tests/policies/tagging/test_require_topic_owner_tag.py",
        "tests/policies/test_catalog.py",
        "tests/policies/test_packs.py",
        "-k",
        "owner_tag or topic or catalog or every_policy or descriptions or say_which_types",
    )
    listed = run(
        copy,
        "-c",
        "from obsgov_policies.catalog import policies_for; "
        "print('\\n'.join(s.id for s in policies_for('tagging')))",
    )
    assert POLICY_ID in listed.stdout.split(), listed.stderr


# --------------------------------------------------------------------------- add a component

COMPONENT_TEST = '''
import textwrap

from obsgov.config.loader import load_environment
from obsgov.synth import synthesize

from ..conftest import STACKS
from .test_type_tokens import component_classes

PROGRAM = textwrap.dedent("""
    import pulumi
    from components.member.owner_topic import OwnerTopic, OwnerTopicArgs

    OwnerTopic("owners", OwnerTopicArgs(topic_name="owners", owner="ml-platform@example.com"))
""")


def test_the_topic_is_a_child_named_after_the_component(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    graph = synthesize(load_environment("prod", STACKS / "Pulumi.prod.yaml"), program=program)
    [component] = graph.of_type("obsgov:owner_topic:OwnerTopic")
    [topic] = graph.of_type("aws:sns/topic:Topic")
    assert topic.parent == component.urn
    assert topic.name == "owners-topic"
    assert topic.inputs["tags"] == {"owner": "ml-platform@example.com"}
    assert topic.inputs["name"] == "owners"


def test_the_token_names_the_module_and_the_class():
    cls = component_classes()["OwnerTopic"]
    assert cls.__module__ == "components.member.owner_topic"
'''


def test_add_a_component(tmp_path):
    recipe = section("Add a component")
    assert "components/<group>/<name>.py" in recipe
    assert "obsgov:<name>:<Type>" in recipe
    assert "tests/components/test_<name>.py" in recipe
    copy = copy_repository(tmp_path)
    # 1. an Args dataclass, (name, args, opts=None), the token, children parent=self and
    #    named f"{name}-<role>", _create_* steps, register_outputs last
    write(
        copy,
        "components/member/owner_topic.py",
        '''
        """A topic that says who owns it."""

        from __future__ import annotations

        from dataclasses import dataclass

        import pulumi
        import pulumi_aws as aws


        @dataclass
        class OwnerTopicArgs:
            topic_name: pulumi.Input[str]
            owner: str


        class OwnerTopic(pulumi.ComponentResource):
            def __init__(
                self, name: str, args: OwnerTopicArgs, opts: pulumi.ResourceOptions | None = None
            ) -> None:
                super().__init__("obsgov:owner_topic:OwnerTopic", name, None, opts)
                self._create_topic(name, args)
                self.register_outputs({"topic_arn": self.topic.arn})

            def _create_topic(self, name: str, args: OwnerTopicArgs) -> None:
                self.topic = aws.sns.Topic(
                    f"{name}-topic",
                    name=args.topic_name,
                    tags={"owner": args.owner},
                    opts=pulumi.ResourceOptions(parent=self),
                )
        ''',
    )
    # 3. its test under the mocks
    write(copy, "tests/components/test_owner_topic.py", COMPONENT_TEST)
    pytest_in(copy, "tests/components/test_owner_topic.py")
    wire_the_owner_topic(copy)


def wire_the_owner_topic(copy: Path) -> None:
    """Step 2 and 4 of the recipe: its settings, its wiring on the account's provider, a
    stack that turns it on, the inventory of physical names, and the program building it."""
    recipe = section("Add a component")
    for named in ("components/environment/", "obsgov/config/models/settings.py", "inventory"):
        assert named in recipe, named
    edit(
        copy,
        "obsgov/config/models/settings.py",
        "\n\nclass StackSettings(Model):",
        "\n\nclass OwnerTopicSettings(Model):\n"
        "    enabled: bool = False\n"
        "    owner: Email | None = None\n"
        "\n\nclass StackSettings(Model):",
    )
    edit(
        copy,
        "obsgov/config/models/settings.py",
        "    drift_monitoring: DriftMonitoringSettings = Field(default_factory=DriftMonitoringSettings)\n",
        "    drift_monitoring: DriftMonitoringSettings = Field(default_factory=DriftMonitoringSettings)\n"
        "    owner_topic: OwnerTopicSettings = Field(default_factory=OwnerTopicSettings)\n",
    )
    # in the module of the part it belongs to, on the provider of the account that owns it
    edit(
        copy,
        "components/environment/member_accounts.py",
        "from ..member.member_baseline import",
        "from ..member.owner_topic import OwnerTopic, OwnerTopicArgs\n"
        "from ..member.member_baseline import",
    )
    edit(
        copy,
        "components/environment/member_accounts.py",
        "    return provider, baseline\n",
        "    if env.settings.owner_topic.enabled:\n"
        "        OwnerTopic(\n"
        '            f"{account.name}-owners",\n'
        "            OwnerTopicArgs(\n"
        '                topic_name=f"owners-{account.name}",\n'
        '                owner=env.settings.owner_topic.owner or "",\n'
        "            ),\n"
        "            opts=on(provider),\n"
        "        )\n"
        "    return provider, baseline\n",
    )
    edit(
        copy,
        "stacks/Pulumi.dev.yaml",
        "  obsgov:environment: dev\n",
        "  obsgov:environment: dev\n"
        "  obsgov:ownerTopic:\n"
        "    enabled: true\n"
        "    owner: ml-platform@example.com\n",
    )
    inventory = run(copy, "-m", "obsgov.cli", "policy", "inventory")
    assert inventory.returncode == 0, inventory.stdout + inventory.stderr
    names = (copy / "stacks" / "physical-names.json").read_text(encoding="utf-8")
    synthesized = run(copy, "-m", "obsgov.cli", "synth", "--stack", "dev", "--json", "graph.json")
    assert synthesized.returncode == 0, synthesized.stdout + synthesized.stderr
    graph = json.loads((copy / "graph.json").read_text(encoding="utf-8"))
    by_urn = {r["urn"]: r for r in graph["resources"]}
    components = [r for r in graph["resources"] if r["type"] == "obsgov:owner_topic:OwnerTopic"]
    accounts = [r for r in graph["resources"] if r["type"] == "pulumi:providers:aws"]
    topics = {
        r["parent"]: r
        for r in graph["resources"]
        if r["type"] == "aws:sns/topic:Topic" and r["parent"] in {c["urn"] for c in components}
    }
    assert components
    assert len(topics) == len(components)
    for component in components:
        topic = topics[component["urn"]]
        account = component["name"].removesuffix("-owners")
        # built in the member account: its children take the account's provider
        assert by_urn[topic["provider"].rpartition("::")[0]]["name"] == f"account-{account}"
        assert topic["inputs"]["name"] == f"owners-{account}"
        assert f"owners-{account}" in names
    assert {c["name"].removesuffix("-owners") for c in components} < {
        a["name"].removeprefix("account-") for a in accounts
    }


# --------------------------------------------------------------------------- add a workload kind

KIND_MODEL = """

class QueueWorker(_Workload):
    kind: Literal["queue-worker"]
    queue_name: ResourceName
    max_age_seconds: Annotated[int, Field(gt=0)] = 600


"""

KIND_ALARMS = '''
"""The alarms of a queue worker: its oldest message waits too long."""

from __future__ import annotations

from obsgov.config.models.accounts import QueueWorker
from obsgov_policies.signals import FRESHNESS

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef


def queue_worker_alarms(ctx: AlarmContext, worker: QueueWorker) -> list[AlarmSpec]:
    age = MetricRef(
        "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": worker.queue_name}, "Maximum"
    )
    return [
        AlarmSpec(
            "message-age",
            FRESHNESS,
            f"Queue {worker.queue_name} holds a message older than {worker.max_age_seconds} s.",
            f"the consumers of {worker.queue_name}",
            "GreaterThanThreshold",
            {"m1": age},
            threshold=worker.max_age_seconds,
        )
    ]
'''

KIND_EXAMPLE = """  - kind: queue-worker
    name: scoring-queue-dev
    account: ml-serving-dev
    environment: dev
    queueName: scoring-requests-dev
"""


def test_add_a_workload_kind(tmp_path):
    recipe = section("Add a workload kind")
    for named in (
        "obsgov/config/models/accounts.py",
        "components/member/<kind>_alarms.py",
        "components/workload_kinds.py",
        "stacks/accounts.yaml",
    ):
        assert named in recipe, named
    copy = copy_repository(tmp_path)
    # 1. the model and its place in the WorkloadModel union
    edit(
        copy,
        "obsgov/config/models/accounts.py",
        "\n\n# Every workload kind's model",
        KIND_MODEL.rstrip("\n") + "\n\n\n# Every workload kind's model",
    )
    edit(
        copy,
        "obsgov/config/models/accounts.py",
        "WorkloadModel = MlEndpoint | EtlPipeline | BusinessKpi",
        "WorkloadModel = MlEndpoint | EtlPipeline | BusinessKpi | QueueWorker",
    )
    # 2. its alarm builder
    write(copy, "components/member/queue_worker_alarms.py", KIND_ALARMS)
    # 3. one entry in the table
    edit(
        copy,
        "components/workload_kinds.py",
        "from .member.pipeline_alarms import pipeline_alarms\n",
        "from .member.pipeline_alarms import pipeline_alarms\n"
        "from .member.queue_worker_alarms import queue_worker_alarms\n",
    )
    edit(
        copy,
        "components/workload_kinds.py",
        "from obsgov.config.models import BusinessKpi, EtlPipeline, MlEndpoint\n",
        "from obsgov.config.models import BusinessKpi, EtlPipeline, MlEndpoint\n"
        "from obsgov.config.models.accounts import QueueWorker\n",
    )
    edit(
        copy,
        "components/workload_kinds.py",
        "\n)\n\n_BY_NAME",
        "\n    WorkloadKind(\n"
        "        model=QueueWorker,\n"
        "        alarms=queue_worker_alarms,\n"
        "        signal_classes=lambda worker: frozenset({FRESHNESS}),\n"
        "        panel=None,\n"
        "        drift=None,\n"
        "    ),\n)\n\n_BY_NAME",
    )
    # then an example in the shipped registry
    last_dev_workload = "    drivenBy: churn-propensity-dev\n"
    edit(copy, "stacks/accounts.yaml", last_dev_workload, last_dev_workload + KIND_EXAMPLE)
    pytest_in(
        copy,
        "tests/components/test_workload_alarms.py",
        "-k",
        "one_entry_in_the_kinds_table or an_example_in_the_shipped_registry",
    )
    validated = run(copy, "-m", "obsgov.cli", "validate", "--stack", "dev")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    # the member baseline builds the kind's alarm through the table
    built = run(
        copy,
        "-c",
        textwrap.dedent("""
            from components.workload_kinds import kind_of
            from obsgov.config.loader import load_environment
            from pathlib import Path

            env = load_environment("dev", Path("stacks/Pulumi.dev.yaml"))
            [worker] = [w for w in env.registry.workloads if w.kind == "queue-worker"]
            kind = kind_of(worker)
            print(kind.name, sorted(kind.signal_classes(worker)))
        """),
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.split() == ["queue-worker", "['freshness']"]
    # and the program deploys its alarm in the member account
    synthesized = run(copy, "-m", "obsgov.cli", "synth", "--stack", "dev", "--json", "graph.json")
    assert synthesized.returncode == 0, synthesized.stdout + synthesized.stderr
    graph = json.loads((copy / "graph.json").read_text(encoding="utf-8"))
    alarms = [
        r
        for r in graph["resources"]
        if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"
        and "scoring-queue-dev-message-age" in r["urn"]
    ]
    assert len(alarms) == 1, [r["urn"] for r in graph["resources"] if "scoring-queue" in r["urn"]]


# --------------------------------------------------------------------------- add a command

COMMAND_MODULE = '''
"""``obsgov greeting``: says hello (a recipe check)."""

from __future__ import annotations

import typer

from .common import command, out

app = typer.Typer(help="Greetings: say hello to a team.", no_args_is_help=True)


@app.command("hello")
@command
def hello(
    team: str = typer.Option("world", "--team", metavar="NAME", help="Who to greet."),
) -> None:
    """Say hello to NAME."""
    out.print(f"hello {team}")
'''


def test_add_a_command(tmp_path):
    recipe = section("Add a CLI command")
    assert "obsgov/cli/<group>.py" in recipe
    assert 'app.add_typer(<group>.app, name="<group>")' in recipe
    copy = copy_repository(tmp_path)
    # 1. the module with a typer.Typer named app, each command wrapped in @command
    write(copy, "obsgov/cli/greeting.py", COMMAND_MODULE)
    # 2. two edits in obsgov/cli/app.py: the import list and one add_typer line
    edit(copy, "obsgov/cli/app.py", "    gate,\n", "    gate,\n    greeting,\n")
    edit(
        copy,
        "obsgov/cli/app.py",
        'app.add_typer(org.app, name="org")\n',
        'app.add_typer(org.app, name="org")\napp.add_typer(greeting.app, name="greeting")\n',
    )
    said = run(copy, "-m", "obsgov.cli", "greeting", "hello", "--team", "ml-platform")
    assert said.returncode == 0, said.stdout + said.stderr
    assert said.stdout.strip() == "hello ml-platform"
    # the surface tests cover every command, the new one included
    pytest_in(copy, "tests/cli/test_surface.py", "-k", "greeting or root_help")
