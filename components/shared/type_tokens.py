"""Component type tokens: ``obsgov:<module>:<Type>``, the module being the file that defines it.

A type token is part of every URN under the component, so changing one would make the engine
replace the component and everything it parents. A component whose token changed keeps its
former one as an alias: the engine finds the deployed component under the alias, and each child
under the alias it inherits from its parent, so nothing is replaced.
"""

from __future__ import annotations

import pulumi


def formerly(opts: pulumi.ResourceOptions | None, former_type: str) -> pulumi.ResourceOptions:
    """``opts`` with an alias to the component's former type token (same name, same parent)."""
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=former_type)])
    )
