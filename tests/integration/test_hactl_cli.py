"""hactl's command line as docs/hactl.md describes it.

A bad --timeout (not a number, 0: libcurl's "never") is a bad command
line, exit 2, before any node is asked; `--json` after the command works
for `tail` as for every other command, one JSON tick a line.
"""
import json
import subprocess

from hamdtest import HACTL, Cluster, check, run, sim_account

# Port 1 on loopback refuses at once: without the option check, hactl
# would ask it and exit 3 (no node answered).
NOWHERE = "127.0.0.1:1"


def hactl(*args):
    return subprocess.run([HACTL] + list(args), capture_output=True,
                          text=True, timeout=30)


def test_bad_timeout_is_a_usage_error():
    for bad in ("abc", "0", "-5", "12ms", "", "99999999999999999999"):
        r = hactl("-H", NOWHERE, "--timeout", bad, "status")
        check(r.returncode == 2 and "--timeout" in r.stderr,
              "--timeout %r: exit %d, %r" % (bad, r.returncode, r.stderr))
    r = hactl("-H", NOWHERE, "--timeout", "300", "status")
    check(r.returncode == 3, "--timeout 300 against nothing: exit %d, %r"
          % (r.returncode, r.stderr))


def test_tail_json_after_the_command():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=20)],
                ["rb2601.SHFE"], name="clijson").start()
    try:
        r = c.hactl("tail", "--count", "3", "--json", "rb2601")
        lines = r.stdout.splitlines()
        check(len(lines) == 3, "tail --json printed %r" % r.stdout)
        ticks = [json.loads(line) for line in lines]
        check(all(t["vt_symbol"] == "rb2601.SHFE" for t in ticks),
              "ticks %r" % ticks)
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_bad_timeout_is_a_usage_error, test_tail_json_after_the_command])
