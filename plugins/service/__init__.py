"""Customer service: tickets, SLA policies, escalation, satisfaction, knowledge base.

The declaration below registers the plugin with the host; its features are
added to this package as they are built.
"""

from crm_core import PluginInfo

PLUGIN = PluginInfo(
    name="service",
    version="0.1.0",
    hook_api=">=1,<2",
    requires=("core",),
    optional=("sales",),
    description="Customer service: tickets, SLA policies, escalation, satisfaction, knowledge base.",
)

__all__ = ["PLUGIN"]
