"""Package discovery: the ``plugins/`` folder installs as ``crm_plugins``.

A bare top-level ``plugins`` package would collide in users' environments, so
the folder is mapped to another import name; pyproject.toml cannot express a
recursive search under a renamed folder, hence this file.
"""

from setuptools import find_packages, setup

plugin_packages = ["crm_plugins"] + [
    f"crm_plugins.{name}" for name in find_packages("plugins")
]

setup(
    packages=find_packages(include=["crm_core", "crm_core.*"]) + plugin_packages,
    package_dir={"crm_plugins": "plugins"},
)
