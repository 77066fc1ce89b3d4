"""Sales automation: leads, assignment, pipelines, quotes and orders, forecast.

The declaration below registers the plugin with the host; its features are
added to this package as they are built.
"""

from crm_core import PluginInfo

PLUGIN = PluginInfo(
    name="sales",
    version="0.1.0",
    hook_api=">=1,<2",
    requires=("core",),
    description="Sales automation: leads, assignment, pipelines, quotes and orders, forecast.",
)

__all__ = ["PLUGIN"]
