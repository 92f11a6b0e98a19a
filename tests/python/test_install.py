"""`pip install ./src/python` works with nothing but Debian's packages: in a
virtual environment that sees the system's python3-zmq and
python3-msgpack, offline, the package installs, its dependencies are met
by them, and the installed copy imports from outside the checkout."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, "..", "..", "src", "python"))
INSTALL_TIMEOUT_S = 180


class TestInstall(unittest.TestCase):
    def test_pip_install(self):
        tmp = tempfile.mkdtemp(prefix="hamd-pip-")
        try:
            venv = os.path.join(tmp, "venv")
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                            venv], check=True, timeout=INSTALL_TIMEOUT_S)
            py = os.path.join(venv, "bin", "python")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            # A copy of the source tree: the build writes next to it.
            src = os.path.join(tmp, "src")
            shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns(
                "__pycache__", "build", "*.egg-info"))
            r = subprocess.run([py, "-m", "pip", "install", "--no-index",
                                "--no-build-isolation", src],
                               capture_output=True, text=True, env=env,
                               timeout=INSTALL_TIMEOUT_S)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = subprocess.run([py, "-c", "import hamd, hamd.client; "
                                "print(hamd.__version__, hamd.__file__)"],
                               capture_output=True, text=True, env=env, cwd=tmp,
                               timeout=INSTALL_TIMEOUT_S)
            self.assertEqual(r.returncode, 0, r.stderr)
            version, path = r.stdout.split()
            self.assertEqual(version, "1.0.0")
            self.assertTrue(path.startswith(venv), path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
