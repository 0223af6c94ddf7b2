"""Read the stack's ``obsgov:*`` config from the running Pulumi program.

Only the public ``pulumi.Config`` API is used, so this works the same under ``pulumi up`` and
under the offline synthesizer (which sets the config exactly as the CLI does).
"""

from __future__ import annotations

import pulumi

from .models import StackSettings
from .stack_config import PROJECT


def runtime_config_map() -> dict[str, str]:
    config = pulumi.Config(PROJECT)
    flat: dict[str, str] = {}
    for name, field in StackSettings.model_fields.items():
        key = field.alias or name
        if key == "region":
            continue
        value = config.get(key)
        if value is not None:
            flat[f"{PROJECT}:{key}"] = value
    region = pulumi.Config("aws").get("region")
    if region is not None:
        flat["aws:region"] = region
    return flat
