"""Strategy: target segments, goals, resource allocation and treatment policies.

The declaration below registers the plugin with the host; its features are
added to this package as they are built.
"""

from crm_core import PluginInfo

PLUGIN = PluginInfo(
    name="strategy",
    version="0.1.0",
    hook_api=">=1,<2",
    requires=("core",),
    optional=("sales", "marketing", "service", "analytics"),
    description="Strategy: target segments, goals, resource allocation and treatment policies.",
)

__all__ = ["PLUGIN"]
