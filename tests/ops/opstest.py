"""Helpers of the operations tests (tests/ops): where the source, the
build and the extracted tools are. The runner is hamdtest.run: a test
raises Skip(why) where this machine lacks what it needs (root, a tool, a
namespace); the runner prints "SKIP name: why" and exits 77 (ctest:
skipped) when every test skipped.
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("HAMD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("HAMD_BUILD_DIR") or os.path.join(SOURCE, "build"))
os.environ["HAMD_BUILD_DIR"] = BUILD  # hamdtest reads it when imported
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from hamdtest import Skip, log, run  # noqa: E402,F401 - the ops tests use these
TOOLS_DIR = os.environ.get("HAMD_TOOLS_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hamd", "tools")


def find_tool(name, env=None):
    """Path of a program: $env, the tools deploy/install-deps.sh --tests
    extracted, then PATH (with the sbin directories). Raises Skip."""
    if env and os.environ.get(env):
        return os.environ[env]
    cached = os.path.join(TOOLS_DIR, "usr", "bin", name)
    if os.access(cached, os.X_OK):
        return cached
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if found:
        return found
    raise Skip("%s not found (deploy/install-deps.sh --tests installs or extracts it)"
               % name)
