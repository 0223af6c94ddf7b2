"""Caches that last one pytest session.

mutmut runs each mutant's tests in a process forked from one that has already run them on
the unmutated code: a module-level ``functools.cache`` would hand that process the graphs the
unmutated components built, and every mutant in them would survive. Caches made here are
emptied when a session starts (``tests/conftest.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_CACHES: list[Any] = []


def session_cache(fn: F) -> F:
    cached = functools.cache(fn)
    _CACHES.append(cached)
    return cached  # type: ignore[return-value]


def clear_session_caches() -> None:
    for cached in _CACHES:
        cached.cache_clear()
