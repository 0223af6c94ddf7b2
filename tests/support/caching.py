"""Caches that last one pytest session.

mutmut runs each mutant's tests in a process forked from one that has already run them on
the unmutated code: a module-level ``functools.cache`` would hand that process the graphs the
unmutated components built, and every mutant in them would survive. Caches made here are
emptied when a session starts (``tests/conftest.py``). While mutmut maps tests to the
functions they reach (``MUTANT_UNDER_TEST=stats``) they do not cache at all: a cached graph
is built by the first test that asks for it, and every later test would go unrecorded, so a
mutant would be run against the one test that happened to come first.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])
_CACHES: list[Any] = []


def session_cache(fn: F) -> F:
    cached = functools.cache(fn)
    _CACHES.append(cached)

    @functools.wraps(fn)
    def lookup(*args: Any, **kwargs: Any) -> Any:
        if os.environ.get("MUTANT_UNDER_TEST") == "stats":
            return fn(*args, **kwargs)
        return cached(*args, **kwargs)

    return lookup  # type: ignore[return-value]


def clear_session_caches() -> None:
    for cached in _CACHES:
        cached.cache_clear()


def graph_scope(fixture_name: str, config: pytest.Config) -> Literal["function", "module"]:
    """The scope of a fixture that builds a graph for a module's tests: ``module``, but
    ``function`` while mutmut maps tests to functions, for the reason above."""
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "module"
