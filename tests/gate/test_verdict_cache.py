"""The verdict cache: an Analyze answer is reused only for the same request, the same pack
and the same pack config; changing the pack or its config judges every resource again."""

from __future__ import annotations

import shutil

import pytest

from obsgov.config.loader import load_environment
from obsgov.gate.engine import GateOptions, run_pack
from obsgov.gate.pack_config import parse_pack_config
from obsgov.gate.project import load_policy_pack
from obsgov.gate.requests import Requests
from obsgov.gate.verdict_cache import VerdictCache
from tests.support.gate import PACKS, STACKS, probe_graph


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    env = load_environment("dev", STACKS / "Pulumi.dev.yaml")
    return probe_graph(env, tmp_path_factory.mktemp("probe"))


def _judge(graph, pack_dir, cache, layer=None):
    layers = [parse_pack_config(layer, "test")] if layer else []
    options = GateOptions(stack_config={"obsgov:environment": "dev"}, verdict_cache=cache)
    result = run_pack(load_policy_pack(pack_dir), graph, layers, options)
    assert result.error is None, result.error
    return result


def _verdicts(result):
    return sorted((v.policy, v.urn, v.level, v.message) for v in result.violations)


def test_a_changed_pack_or_config_invalidates_the_cache(graph, tmp_path):
    pack = tmp_path / "probe"
    shutil.copytree(PACKS / "probe", pack)
    cache = tmp_path / "cache"
    analyzed = len(Requests(graph).analyzed())  # what the engine sends Analyze for

    first = _judge(graph, pack, cache)
    assert first.analyze_calls == analyzed
    again = _judge(graph, pack, cache)
    assert again.analyze_calls == 0  # every answer reused
    assert _verdicts(again) == _verdicts(first)

    # another config: the name-prefix policy now judges against another prefix
    layer = {"name-prefix": {"prefix": "plain"}}
    reconfigured = _judge(graph, pack, cache, layer)
    assert reconfigured.analyze_calls == analyzed
    assert _verdicts(reconfigured) != _verdicts(first)
    assert _judge(graph, pack, cache, layer).analyze_calls == 0

    # the pack's code changed (a comment is enough: the cache cannot know what it means)
    main = pack / "__main__.py"
    main.write_text(main.read_text() + "\n# changed\n")
    assert _judge(graph, pack, cache).analyze_calls == analyzed


def test_without_a_cache_every_resource_is_judged(graph, tmp_path, monkeypatch):
    monkeypatch.delenv("OBSGOV_VERDICT_CACHE", raising=False)
    analyzed = len(Requests(graph).analyzed())
    assert _judge(graph, PACKS / "probe", None).analyze_calls == analyzed
    assert _judge(graph, PACKS / "probe", None).analyze_calls == analyzed


def test_a_file_the_config_names_is_part_of_the_key(tmp_path):
    cache = VerdictCache(tmp_path / "cache")
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text("{}")
    project = load_policy_pack(PACKS / "probe")
    config = {"p": {"registrySnapshotFile": str(snapshot)}}
    before = cache.session_key(project, config, {})
    snapshot.write_text('{"changed": true}')
    assert cache.session_key(project, config, {}) != before
