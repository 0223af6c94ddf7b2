"""Session caches are emptied when a session starts, so a mutant run forked from a process
that already ran the tests computes its graphs again (see tests/support/caching.py)."""

from __future__ import annotations

from .support.caching import clear_session_caches, session_cache

calls: list[int] = []


@session_cache
def square(n: int) -> int:
    calls.append(n)
    return n * n


def test_a_session_cache_computes_once_until_cleared():
    clear_session_caches()
    calls.clear()
    assert square(3) == 9
    assert square(3) == 9
    assert calls == [3]
    clear_session_caches()
    assert square(3) == 9
    assert calls == [3, 3]


def test_nothing_is_cached_while_mutmut_maps_tests_to_functions(monkeypatch):
    calls.clear()
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    assert square(4) == 16
    assert square(4) == 16
    assert calls == [4, 4]


def test_graph_fixtures_are_per_module_but_per_test_while_mutmut_maps(monkeypatch):
    from .support.caching import graph_scope

    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    assert graph_scope("prod", None)  # type: ignore[arg-type]  # the config is not read == "module"
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    assert graph_scope("prod", None)  # type: ignore[arg-type]  # the config is not read == "function"
