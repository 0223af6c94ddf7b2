"""The deploy-readiness pack: stack policies over the whole graph that prove, before
``pulumi up``, that the stack can be created in the order AWS needs, that every data flow it
sets up is allowed, that what it needs but does not create is named, that its names and
singletons do not collide with the organisation's other stacks, and that every alarm has a
producer. The tables of AWS facts each policy checks live in its module, each row citing AWS's
documentation."""

DESCRIPTION = (
    "The stack deploys in the order AWS needs, its flows are allowed, its prerequisites, "
    "names and singletons are accounted for, and its alarms can fire."
)


def warm_up() -> None:
    """Share the SDK's conversion of a stack between this pack's stack policies (each would
    otherwise convert every resource again: seconds at thousands of resources)."""
    from ..shared_conversion import install

    install()
