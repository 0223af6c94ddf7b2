"""Which packs judge a stack and the config layers each gets, decided before any pack
process starts: ``--policy-pack`` folders, else the stack's ``policyPacks``, else every pack
under ``policies/``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from obsgov.errors import InputError, Problem
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.floors import FloorLayer
from obsgov.gate.pack_config import PolicyConfig, SourcedConfig
from obsgov.gate.project import load_policy_pack
from obsgov.gate.results import PolicyConfigError
from obsgov.gate.selection import environment_pack_config, select_packs, stack_pack_projects
from obsgov.io import display_path
from tests.support.gate import PACKS

ADVISORY = {"probe-policy": {"enforcementLevel": "advisory"}}
LAYER = {"probe-policy": PolicyConfig("advisory", None)}


def _file(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document))
    return path


def _refused(*args, **kwargs) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        select_packs(*args, **kwargs)
    return list(caught.value.problems)


def test_one_config_file_per_pack_folder_or_none():
    packs = [PACKS / "probe", PACKS / "strict-config"]
    assert _refused(None, packs, [Path("a.json")]) == [
        Problem(
            "--policy-pack-config",
            "",
            "got 1 config file(s) for 2 --policy-pack folder(s); give one "
            "--policy-pack-config per --policy-pack, in the same order",
        )
    ]


def test_pack_folders_get_their_config_file_in_order(tmp_path):
    config = _file(tmp_path / "probe.json", ADVISORY)
    empty = _file(tmp_path / "strict.json", {})
    chosen = select_packs(None, [PACKS / "probe", PACKS / "strict-config"], [config, empty])
    assert [(project.directory, layers) for project, layers in chosen] == [
        ((PACKS / "probe").resolve(), [LAYER]),
        ((PACKS / "strict-config").resolve(), [{}]),
    ]


def test_pack_folders_without_config_files_get_only_the_environment(scenario):
    env = scenario().load()
    [(project, layers)] = select_packs(env, [PACKS / "probe"], None)
    assert project.directory == (PACKS / "probe").resolve()
    assert [type(layer) for layer in layers] == [FloorLayer, EnvironmentLayer]
    assert isinstance(layers[1], EnvironmentLayer)
    assert layers[1].env is env


def test_a_pack_folder_given_twice_is_refused_before_it_starts():
    assert _refused(None, [PACKS / "probe", PACKS / "strict-config", PACKS / "probe"], None) == [
        Problem(
            "--policy-pack",
            "",
            f"{(PACKS / 'probe').resolve()} is given twice (positions 1 and 3); give each "
            "policy pack once",
        )
    ]


def _stack_with_packs(scenario, tmp_path, refs: list[dict]):
    env = scenario()
    for name in ("probe", "strict-config"):
        shutil.copytree(PACKS / name, env.directory / "packs" / name)
    env.config["obsgov:policyPacks"] = refs
    return env


def test_the_stack_lists_its_packs_and_their_files(scenario, tmp_path):
    env = _stack_with_packs(
        scenario,
        tmp_path,
        [{"path": "packs/probe", "config": "probe.json"}, {"path": "packs/strict-config"}],
    )
    env.write()
    _file(env.directory / "probe.json", ADVISORY)
    loaded = env.load()
    chosen = select_packs(loaded, None, None)
    assert [project.directory for project, _ in chosen] == [
        env.directory / "packs" / "probe",
        env.directory / "packs" / "strict-config",
    ]
    probe_layers, strict_layers = (layers for _, layers in chosen)
    assert [type(layer) for layer in probe_layers] == [FloorLayer, EnvironmentLayer, SourcedConfig]
    assert probe_layers[2] == LAYER
    assert isinstance(probe_layers[2], SourcedConfig)
    assert probe_layers[2].source.endswith("probe.json")
    assert [type(layer) for layer in strict_layers] == [FloorLayer, EnvironmentLayer]
    assert stack_pack_projects(loaded) == [project for project, _ in chosen]


def test_a_pack_the_stack_lists_twice_names_the_stack_key(scenario, tmp_path):
    env = _stack_with_packs(
        scenario, tmp_path, [{"path": "packs/probe"}, {"path": "packs/../packs/probe"}]
    )
    loaded = env.load()
    assert _refused(loaded, None, None) == [
        Problem(
            f"{display_path(env.stack_file)}: config.obsgov:policyPacks",
            "",
            f"{env.directory / 'packs' / 'probe'} is given twice (positions 1 and 2); give "
            "each policy pack once",
        )
    ]


def test_a_pack_the_stack_lists_that_is_missing_names_the_stack_key(scenario, tmp_path):
    env = _stack_with_packs(scenario, tmp_path, [{"path": "packs/probe"}, {"path": "packs/x"}])
    loaded = env.load()
    [problem] = _refused(loaded, None, None)
    assert problem.file == f"{display_path(env.stack_file)}: config.obsgov:policyPacks[1].path"


def test_without_a_list_every_pack_under_the_root_runs(scenario, tmp_path):
    root = tmp_path / "policies"
    for name in ("strict-config", "probe"):
        shutil.copytree(PACKS / name, root / name)
    (root / "notes").mkdir()
    env = scenario().load()
    chosen = select_packs(env, None, None, root)
    assert [project.directory.name for project, _ in chosen] == ["probe", "strict-config"]
    assert [[type(layer) for layer in layers] for _, layers in chosen] == [
        [FloorLayer, EnvironmentLayer],
        [FloorLayer, EnvironmentLayer],
    ]
    assert [layers for _, layers in select_packs(None, None, None, root)] == [[], []]
    assert [p.directory.name for p in stack_pack_projects(env, root)] == ["probe", "strict-config"]


def test_no_pack_under_the_root_is_an_input_error(tmp_path):
    assert _refused(None, None, None, tmp_path) == [
        Problem("--policy-pack", "", f"no policy packs found under {tmp_path}")
    ]


# --------------------------------------------------------------------------- policy config file


def _preview_config_stack(scenario, config: dict | None):
    """A stack that lists the preview-config pack, with ``config`` as its per-environment
    pack file."""
    env = scenario()
    ref = {"path": str(PACKS / "preview-config")}
    if config is not None:
        ref["config"] = "preview-config.json"
    env.config["obsgov:policyPacks"] = [ref]
    env.write()
    if config is not None:
        _file(env.directory / "preview-config.json", config)
    return env.load(), load_policy_pack(PACKS / "preview-config")


def test_the_policy_config_file_is_checked_against_the_packs_preview_schemas(scenario):
    """The file is for ``pulumi preview --policy-pack-config``, so the pack is asked for its
    schemas as a preview runs it (PULUMI_DRY_RUN=true), and refused in the gate's words with
    the version PulumiPolicy.yaml gives (not the SDK's 0.0.1)."""
    env, project = _preview_config_stack(scenario, None)
    with pytest.raises(PolicyConfigError) as caught:
        environment_pack_config(env, project)
    assert caught.value.lines == [
        "validating policy config: preview-config 2.0.0  change-ticket: ticket is required"
    ]


def test_all_in_the_stacks_file_reaches_the_names_of_the_packs_initial_config(scenario):
    """``applyConfig`` (pkg/resource/analyzer/config.go) applies ``all`` to every entry the
    reconciliation holds, the pack's initial config included; folded into per-policy keys, it
    must name those entries too."""
    env, project = _preview_config_stack(
        scenario, {"all": "mandatory", "change-ticket": {"ticket": "CHG-1"}}
    )
    assert environment_pack_config(env, project) == {
        "change-ticket": {"ticket": "CHG-1", "enforcementLevel": "mandatory"},
        "library-policy": "mandatory",
    }
