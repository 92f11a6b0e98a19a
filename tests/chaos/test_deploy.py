"""The deployment files hold what docs/deployment.md promises; no root needed.

- every deploy/examples/*/node*.ini loads with hamd's own loader: hamd gets
  past the configuration (exit 2 would be a configuration error) and stops
  at a data_dir it cannot create, before it starts anything;
- the [peer.N] blocks are the same in the three files of a layout, the
  files differ in [node] id, and a witness layout has exactly one witness,
  without hooks;
- the VIP hooks and the systemd unit say what the docs say;
- the chaos lab's keepalived scenarios can still run the shipped
  deploy/keepalived/keepalived.conf, changed only in the per-host settings.

Closing line "N passed, N failed"; exit 1 on any failure.
"""
import configparser
import difflib
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("HAMD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from hamdtest import HAMD, check, run  # noqa: E402
import keepalivedlab  # noqa: E402

EXAMPLES = os.path.join(SOURCE, "deploy", "examples")
KEEPALIVED_CONF = os.path.join(SOURCE, "deploy", "keepalived", "keepalived.conf")
# what keepalivedlab.lab_config may change; everything else is tested as shipped
KEEPALIVED_LAB_KEYS = ("router_id", "script_user", "script", "interface",
                       "unicast_src_ip", "10.", "file")
LAYOUTS = ("three-hosts", "two-hosts-witness")
UNCREATABLE_DATA_DIR = "/proc/hamd-chaos-no-such-dir/x"
LOAD_TIMEOUT_S = 10


def ini(path):
    p = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"),
                                  inline_comment_prefixes=(" ;",), strict=False)
    p.optionxform = str
    p.read(path)
    return p


def layout_files(layout):
    files = sorted(glob.glob(os.path.join(EXAMPLES, layout, "node*.ini")))
    check(len(files) == 3, "%s: %d node files" % (layout, len(files)))
    return files


def test_examples_load_with_the_real_loader():
    check(os.access(HAMD, os.X_OK), "%s is not built" % HAMD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMD_")}
    env["HAMD_NODE_DATA_DIR"] = UNCREATABLE_DATA_DIR
    for layout in LAYOUTS:
        for path in layout_files(layout):
            r = subprocess.run([HAMD, "--config", path], capture_output=True, text=True,
                               env=env, timeout=LOAD_TIMEOUT_S)
            out = r.stdout + r.stderr
            check(r.returncode == 1 and "cannot create data_dir" in out,
                  "%s: expected to load and stop at data_dir, got exit %d:\n%s"
                  % (path, r.returncode, out.strip()[-600:]))


def test_example_files_agree():
    for layout in LAYOUTS:
        parsed = [ini(f) for f in layout_files(layout)]
        peers = [{s: dict(p[s]) for s in p.sections() if s.startswith("peer.")}
                 for p in parsed]
        check(peers[0] and all(x == peers[0] for x in peers),
              "%s: [peer.N] blocks differ between the files" % layout)
        ids = [p["node"]["id"] for p in parsed]
        check(sorted(ids) == ["1", "2", "3"], "%s: [node] ids %s" % (layout, ids))
        witnesses = [s for s, kv in peers[0].items() if kv.get("role") == "witness"]
        if layout == "two-hosts-witness":
            check(witnesses == ["peer.3"], "%s: witnesses %s" % (layout, witnesses))
            check(not parsed[2].has_section("hooks"), "the witness has [hooks]")
            check(all(p.has_section("hooks") for p in parsed[:2]), "a full host lacks [hooks]")
        else:
            check(not witnesses, "%s: has a witness" % layout)
        for p in parsed:
            check(p["admin"].get("token_file"), "%s: no [admin] token_file" % layout)


def test_hooks_and_unit_match_the_docs():
    hooks = os.path.join(SOURCE, "deploy", "hooks")
    for name in ("vip-up", "vip-down"):
        path = os.path.join(hooks, name)
        check(os.access(path, os.X_OK), "%s is not executable" % path)
        r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        check(r.returncode == 0, "%s: %s" % (name, r.stderr))
    # Missing settings: exit 2 and a message, without touching anything.
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "HAMD_VIP_CONF": os.path.join(hooks, "no-such.conf")}
    r = subprocess.run([os.path.join(hooks, "vip-up")], capture_output=True, text=True,
                       env=env, timeout=LOAD_TIMEOUT_S)
    check(r.returncode == 2 and "no-such.conf" in r.stderr,
          "vip-up without settings -> %d: %s" % (r.returncode, r.stderr))
    unit = ini(os.path.join(SOURCE, "deploy", "systemd", "hamd.service"))
    svc = unit["Service"]
    for key, want in (("ExecStart", "/usr/bin/hamd --config /etc/hamd/hamd.ini"),
                      ("User", "hamd"), ("Restart", "always"), ("RestartSec", "1"),
                      ("KillSignal", "SIGTERM"), ("TimeoutStopSec", "20"),
                      ("LimitNOFILE", "65536"), ("StateDirectory", "hamd"),
                      ("NoNewPrivileges", "yes"), ("Type", "notify"),
                      ("NotifyAccess", "main"), ("WatchdogSec", "10s"),
                      ("ExecStopPost", "-+/usr/lib/hamd/hooks/vip-down")):
        check(svc.get(key) == want, "hamd.service %s=%r, want %r" % (key, svc.get(key), want))
    check("CAP_NET_ADMIN" in svc.get("AmbientCapabilities", ""), "no CAP_NET_ADMIN")


def test_keepalived_conf_fits_the_lab():
    with open(KEEPALIVED_CONF) as f:
        shipped = f.read()
    lab = keepalivedlab.lab_config(shipped, "hamd_node9", "eth0", "10.77.0.9",
                                   ["10.77.0.8"], "10.77.0.100/24", "/x/keepalived-track",
                                   "/x/n9/track.conf", "/x/n9/publishing")
    changed = [line[1:].strip() for line in difflib.unified_diff(
        shipped.splitlines(), lab.splitlines(), lineterm="", n=0)
        if line[:1] in "-+" and line[:3] not in ("---", "+++")]
    check(changed, "lab_config changed nothing")
    for line in changed:
        check(line.startswith(KEEPALIVED_LAB_KEYS), "lab_config changed %r" % line)
    check('script "/x/keepalived-track check /x/n9/track.conf"' in lab,
          "the script line is not the lab's hook with the node's settings")
    check('file "/x/n9/publishing"' in lab and 'file "/x/n9/fresh"' in lab,
          "the track files are not the node's")
    check('file "/run/hamd-keepalived/publishing"' in shipped, "the shipped track file moved: "
          "keepalived-track, hamd.tmpfiles and the drop-in name /run/hamd-keepalived/publishing")


if __name__ == "__main__":
    run([test_examples_load_with_the_real_loader, test_example_files_agree,
         test_hooks_and_unit_match_the_docs, test_keepalived_conf_fits_the_lab])
