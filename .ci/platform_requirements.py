"""Print pyproject's dependencies as they apply to one target platform, markers resolved.

pip evaluates environment markers against the machine it runs on, even with --platform,
so `check_platforms.sh` asks for each target's own list:

    python .ci/platform_requirements.py darwin arm64 3.12 > requirements.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
from pip._vendor.packaging.requirements import Requirement

system, machine, python = sys.argv[1:4]
environment = {
    "sys_platform": system,
    "platform_system": {"linux": "Linux", "darwin": "Darwin"}[system],
    "platform_machine": machine,
    "python_version": python,
    "python_full_version": f"{python}.0",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
for line in pyproject["project"]["dependencies"]:
    requirement = Requirement(line)
    if requirement.marker is None or requirement.marker.evaluate(environment):
        requirement.marker = None
        print(requirement)
