"""Analytics: RFM, lifetime value, churn and propensity scores, basket patterns, performance.

The declaration below registers the plugin with the host; its features are
added to this package as they are built.
"""

from crm_core import PluginInfo

PLUGIN = PluginInfo(
    name="analytics",
    version="0.1.0",
    hook_api=">=1,<2",
    requires=("core",),
    optional=("sales", "marketing", "service"),
    description="Analytics: RFM, lifetime value, churn and propensity scores, basket patterns, performance.",
)

__all__ = ["PLUGIN"]
