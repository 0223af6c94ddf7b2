"""Running a Pulumi program under obsgov's mock monitor: what obsgov's own synthesis and a
team program's host process share. Imports nothing but the Pulumi SDK and the standard
library, because a team's program runs it in the team's own environment."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi.runtime import mocks, settings
from pulumi.runtime.config import set_all_config


class SynthesisError(Exception):
    """The program failed while it ran under the mocks."""


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _relaxed_gc() -> Iterator[None]:
    """Registering a resource allocates thousands of short-lived objects; with the default
    thresholds the cyclic collector runs so often that it doubles the time of a large stack
    (measured: 100 accounts, 10 s -> 5 s). Objects alive before the run are frozen out of
    the collector's sight and collections are made rarer, then everything is restored."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def install_mocks(  # noqa: PLR0913 - keyword-only: pulumi.runtime.Settings' fields
    impl: Any,
    monitor: Any,
    *,
    project: str,
    stack: str,
    preview: bool,
    organization: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    root_directory: str | None = None,
) -> _ErrorCollector:
    """Point the Pulumi SDK at the recording monitor with the stack's config; the returned
    collector gathers the errors the engine would print."""
    errors = _ErrorCollector()
    logger = logging.getLogger("obsgov.synth.engine")
    logger.propagate = False
    logger.handlers = [errors]
    settings.ROOT.set(None)
    mocks.set_mocks(
        impl,
        project=project,
        stack=stack,
        preview=preview,
        logger=logger,
        monitor=monitor,
        organization=organization,
    )
    set_all_config(dict(config), list(secret_keys))
    if root_directory is not None:
        # what the language host passes as --root_directory: Pulumi.yaml's folder, which
        # pulumi.get_root_directory() returns
        settings.SETTINGS.root_directory = root_directory
    # The RPC manager and the output set are context variables that set_mocks does not
    # replace: a program that failed leaves its unhandled exception there, and the next
    # synthesis in this process would fail with it (the SDK's own mocks.test clears them too).
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    return errors
