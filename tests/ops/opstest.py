"""Helpers of the operations tests (tests/ops): where the source, the
build and the extracted tools are, and a runner that knows skips.

A test raises Skip(why) where this machine lacks what it needs (root, a
tool, a namespace); the runner prints "SKIP name: why". Closing line
"N passed, N failed, N skipped"; exit 1 on a failure, 77 (ctest: skipped)
when everything skipped, else 0.
"""
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("HAMD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("HAMD_BUILD_DIR") or os.path.join(SOURCE, "build"))
os.environ["HAMD_BUILD_DIR"] = BUILD
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
TOOLS_DIR = os.environ.get("HAMD_TOOLS_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hamd", "tools")
EXIT_SKIP = 77


class Skip(Exception):
    """This machine cannot run the test; the message says why."""


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


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def run(tests):
    passed = failed = skipped = 0
    for fn in tests:
        t0 = time.monotonic()
        try:
            fn()
            passed += 1
            log("PASS %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (fn.__name__, e))
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            log("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.stdout.flush()
    if failed:
        sys.exit(1)
    sys.exit(EXIT_SKIP if skipped and not passed else 0)
