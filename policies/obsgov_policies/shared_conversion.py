"""Convert an AnalyzeStack request once for all of a pack's stack policies.

The SDK's servicer (``pulumi_policy/policy.py``, ``_PolicyAnalyzerServicer.AnalyzeStack``)
rebuilds every resource for every stack policy: ``json_format.MessageToDict`` of its
properties, ``deserialize_properties``, ``unknown_checking_proxy``, and the same again for its
provider (``_get_provider_resource``). At 6,000 resources that is seconds per policy, repeated
for each of the deploy-readiness pack's stack policies, on identical input.

:func:`install` makes those conversions shared within one AnalyzeStack call: the same
request message gives the same converted properties, and the same provider URN the same
provider object. Nothing else changes: each policy still gets its own ``PolicyResource``
objects (parent and dependencies are rebuilt by the servicer), the converted values are only
read, and the memo is emptied when the call ends, so Analyze and later calls convert afresh.
It is installed by the pack's ``warm_up`` and only in that pack's process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_installed = False
_state = threading.local()


def _memo() -> dict[int, tuple[Any, Any]] | None:
    return getattr(_state, "memo", None)


def _shared(convert: Callable[[Any], Any]) -> Callable[..., Any]:
    """``convert`` memoised on its argument's identity while a memo is active; the argument
    is kept alive with the result so its id cannot be reused within the call."""

    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        memo = _memo()
        if memo is None or args or kwargs:
            return convert(value, *args, **kwargs)
        key = (id(convert), id(value))
        hit = memo.get(key)  # type: ignore[call-overload]
        if hit is not None and hit[0] is value:
            return hit[1]
        result = convert(value)
        memo[key] = (value, result)  # type: ignore[index]
        return result

    return wrapper


class _JsonFormat:
    """The SDK module's view of ``json_format`` with a shared ``MessageToDict``."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.MessageToDict = _shared(module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def install() -> None:
    """Share conversions within each AnalyzeStack call of this process (idempotent)."""
    global _installed
    if _installed:
        return
    from pulumi_policy import policy as sdk

    sdk.json_format = _JsonFormat(sdk.json_format)
    sdk.deserialize_properties = _shared(sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _shared(sdk.unknown_checking_proxy)
    servicer = sdk._PolicyAnalyzerServicer
    original_provider = servicer._get_provider_resource
    original_options = servicer._get_resource_options

    def resource_options(self: Any, request: Any) -> Any:
        memo = _memo()
        if memo is None:
            return original_options(self, request)
        key = ("options", id(request))
        hit = memo.get(key)  # type: ignore[call-overload]
        if hit is None or hit[0] is not request:
            hit = (request, original_options(self, request))
            memo[key] = hit  # type: ignore[index]
        return hit[1]

    original_stack = servicer.AnalyzeStack

    def provider_resource(self: Any, request: Any) -> Any:
        memo = _memo()
        if memo is None or not request.HasField("provider"):
            return original_provider(self, request)
        key = ("provider", request.provider.urn, request.provider.name)
        hit = memo.get(key)  # type: ignore[call-overload]
        if hit is None:
            hit = (None, original_provider(self, request))
            memo[key] = hit  # type: ignore[index]
        return hit[1]

    def analyze_stack(self: Any, request: Any, context: Any) -> Any:
        _state.memo = {}
        try:
            return original_stack(self, request, context)
        finally:
            _state.memo = None

    servicer._get_provider_resource = provider_resource  # type: ignore[method-assign]
    servicer._get_resource_options = resource_options  # type: ignore[method-assign]
    servicer.AnalyzeStack = analyze_stack  # type: ignore[method-assign]
    _installed = True
