"""Marketing automation: campaigns, journeys, A/B tests, lead-capture forms, attribution.

The declaration below registers the plugin with the host; its features are
added to this package as they are built.
"""

from crm_core import PluginInfo

PLUGIN = PluginInfo(
    name="marketing",
    version="0.1.0",
    hook_api=">=1,<2",
    requires=("core",),
    optional=("sales",),
    description="Marketing automation: campaigns, journeys, A/B tests, lead-capture forms, attribution.",
)

__all__ = ["PLUGIN"]
