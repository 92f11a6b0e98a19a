"""hamd's Python client against hostile input: the property-based tests of
hostile.py (hypothesis), or SKIPPED, saying why, when python3-hypothesis
is not installed (deploy/install-deps.sh --tests)."""
import os
import sys
import tempfile
import unittest

# hypothesis caches Unicode tables in its storage directory, by default
# .hypothesis/ where it runs: here, the source tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(
    tempfile.gettempdir(), "hamd-hypothesis"))

try:
    import hypothesis  # noqa: F401
except ImportError:
    NOTE = ("SKIPPED: python3-hypothesis is not installed "
            "(deploy/install-deps.sh --tests)")
    print(NOTE, file=sys.stderr)

    class TestHostile(unittest.TestCase):
        def test_hostile(self):
            self.skipTest(NOTE)
else:
    from hostile import (TestLiveStream, TestReaders,  # noqa: F401
                         TestSnapshotReply)

if __name__ == "__main__":
    unittest.main()
