"""How one environment is assembled: which component goes on which account's provider.

``__main__.py`` calls these functions in order; each returns what the later ones need. The
central accounts come first (their bus, topics and log destination are what member accounts
send to), then every member account's baseline, then the model lifecycle that spans both, then
the views on top. Names that cross accounts (the bus, the log destination) are derived from the
environment, so they are known at preview and a member account never waits on a central
resource's outputs.
"""

from .central_account import Central, central_account
from .central_providers import CentralProviders, central_providers
from .member_accounts import member_account, member_monitoring_jobs
from .model_lifecycle import member_lifecycle_forwarding, model_lifecycle
from .stacks import organization_outputs, organization_stack, shard_targets
from .views import analytics_views

__all__ = [
    "Central",
    "CentralProviders",
    "analytics_views",
    "central_account",
    "central_providers",
    "member_account",
    "member_lifecycle_forwarding",
    "member_monitoring_jobs",
    "model_lifecycle",
    "organization_outputs",
    "organization_stack",
    "shard_targets",
]
