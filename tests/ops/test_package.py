"""The Debian package (cmake/package.cmake): `cpack -G DEB` on the build.

- it is hamd_VERSION_amd64.deb, with the programs, the hooks (executable),
  the systemd unit (Type=notify) and sysusers file, the man pages,
  the completion, the docs and the examples at their documented paths;
- `dpkg-deb --info`: its Depends names the package of every shared
  library the programs link (as dpkg -S finds it on this machine);
- as root: installed with dpkg into a throw-away copy of this machine
  (an overlay of / in a private mount namespace, chrooted; the machine
  itself is not touched), it creates the hamd user and /etc/hamd, the
  programs run, man finds the pages, systemd-analyze accepts the unit,
  and dpkg removes it cleanly. Without root that part is skipped.

A debootstrap chroot would also check that the Depends suffice on a bare
system, but it downloads a base system (minutes): not done here.
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import tempfile

import opstest
from opstest import BUILD, SOURCE, Skip, find_tool
from hamdtest import check

CMD_TIMEOUT_S = 120
EXPECTED = {
    "usr/bin/hamd": 0o755, "usr/bin/hactl": 0o755, "usr/lib/hamd/hamd-gw-sim": 0o755,
    "usr/lib/hamd/hooks/vip-up": 0o755, "usr/lib/hamd/hooks/vip-down": 0o755,
    "usr/lib/hamd/hooks/dns-update": 0o755, "usr/lib/hamd/hooks/webhook": 0o755,
    "usr/lib/hamd/hooks/keepalived-track": 0o755, "usr/lib/tmpfiles.d/hamd.conf": 0o644,
    "usr/lib/hamd/hooks/vip-lib.sh": 0o644, "usr/lib/hamd/hooks/hook-lib.sh": 0o644,
    "usr/lib/systemd/system/hamd.service": 0o644, "usr/lib/sysusers.d/hamd.conf": 0o644,
    "usr/share/man/man8/hamd.8.gz": 0o644, "usr/share/man/man8/hactl.8.gz": 0o644,
    "usr/share/man/man5/hamd.ini.5.gz": 0o644,
    "usr/share/bash-completion/completions/hactl": 0o644,
    "usr/share/doc/hamd/deployment.md": 0o644, "usr/share/doc/hamd/operations.md": 0o644,
    "usr/share/doc/hamd/copyright": 0o644,
    "usr/lib/libhamd-client.so.1.0.0": 0o644, "usr/include/hamd/client.h": 0o644,
    "usr/lib/pkgconfig/hamd-client.pc": 0o644,
    "usr/share/doc/hamd/examples/three-hosts/node1.ini": 0o644,
    "usr/share/doc/hamd/examples/hooks/vip.conf": 0o644,
    "usr/share/doc/hamd/examples/hooks/dns.conf": 0o644,
    "usr/share/doc/hamd/examples/hooks/webhook.conf": 0o644,
    "usr/share/doc/hamd/examples/monitoring/alert-rules.yml": 0o644,
    "usr/share/doc/hamd/examples/monitoring/grafana-hamd.json": 0o644,
    "usr/share/doc/hamd/examples/client_tail.c": 0o644,   # docs/examples,
    "usr/share/doc/hamd/examples/subscriber.py": 0o755,   # linked from the docs
}
ELF_DIRS = ("usr/bin", "usr/lib/hamd", "usr/lib")  # programs and libhamd-client


def sh(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=CMD_TIMEOUT_S, **kw)
    check(r.returncode == 0, "%s -> %d\n%s%s" % (" ".join(argv), r.returncode,
                                                 r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(hamd VERSION ([0-9.]+)", f.read()).group(1)


_built = {}  # the package, built once for both tests: {"deb": path}


def build_package():
    """cpack on the build, once; the path of the .deb (removed at exit)."""
    if "deb" in _built:
        return _built["deb"]
    cpack = find_tool("cpack")
    config = os.path.join(BUILD, "CPackConfig.cmake")
    if not os.path.exists(config):
        raise Skip("%s not there: configure and build first" % config)
    out_dir = tempfile.mkdtemp(prefix="hamd-deb-")
    atexit.register(shutil.rmtree, out_dir, True)
    sh([cpack, "-G", "DEB", "--config", config, "-B", out_dir], cwd=BUILD)
    debs = glob.glob(os.path.join(out_dir, "*.deb"))
    check(len(debs) == 1, "cpack made %s" % debs)
    _built["deb"] = debs[0]
    return debs[0]


def contents(deb):
    """{path without ./: mode} of the package's files."""
    out = {}
    for line in sh(["dpkg-deb", "-c", deb]).splitlines():
        f = line.split()
        if f[0].startswith("-"):
            mode = sum(0o400 >> i for i, c in enumerate(f[0][1:10]) if c != "-")
            out[f[5][2:]] = mode
    return out


def field(info, name):
    m = re.search(r"^ %s: (.*)$" % name, info, re.M)
    return m.group(1) if m else ""


def lib_packages(root):
    """Debian packages of the shared libraries the package's programs need."""
    paths = {}
    for line in sh(["/sbin/ldconfig", "-p"]).splitlines():
        m = re.match(r"\s+(\S+) \(libc6,x86-64\S*\) => (\S+)", line)
        if m:
            paths.setdefault(m.group(1), m.group(2))
    pkgs = set()
    elves = []
    for d in ELF_DIRS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            path = os.path.join(d, name)
            if os.path.isfile(os.path.join(root, path)):
                with open(os.path.join(root, path), "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        elves.append(path)
    check(set(elves) >= {"usr/bin/hamd", "usr/bin/hactl", "usr/lib/hamd/hamd-gw-sim"},
          "programs in the package: %s" % elves)
    shipped = {os.path.basename(e) for e in elves if ".so." in e}
    for elf in elves:
        dyn = sh(["readelf", "-d", os.path.join(root, elf)])
        for so in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dyn):
            if so in shipped:
                continue    # libhamd-client: in the package itself
            check(so in paths, "%s needs %s, which ldconfig does not know" % (elf, so))
            real = os.path.realpath(paths[so])
            cands = {real, paths[so]} | {p.replace("/usr/lib/", "/lib/", 1) for p in (real, paths[so])}
            r = subprocess.run(["dpkg", "-S"] + sorted(cands), capture_output=True, text=True)
            found = {l.split(":")[0] for l in r.stdout.splitlines() if ":" in l}
            check(found, "no package owns %s (%s)" % (so, sorted(cands)))
            pkgs |= found
    return pkgs


def test_package_contents_and_dependencies():
    find_tool("dpkg-deb")
    tmp = tempfile.mkdtemp(prefix="hamd-deb-")
    try:
        deb = build_package()
        check(os.path.basename(deb) == "hamd_%s_amd64.deb" % project_version(),
              "package file %s" % os.path.basename(deb))
        files = contents(deb)
        for path, mode in EXPECTED.items():
            check(path in files, "%s is not in the package" % path)
            check(files[path] == mode, "%s: mode %o, want %o" % (path, files[path], mode))
        check(not [p for p in files if p.startswith("etc/")], "the package ships /etc files")
        info = sh(["dpkg-deb", "--info", deb])
        for name, want in (("Package", "hamd"), ("Version", project_version()),
                           ("Architecture", "amd64")):
            check(field(info, name) == want, "%s: %r" % (name, field(info, name)))
        for script in ("postinst", "prerm", "postrm", "triggers", "shlibs"):
            check(re.search(r"\b%s\b" % script, info), "no %s" % script)
        depends = {d.split()[0] for d in field(info, "Depends").split(", ")}
        root = os.path.join(tmp, "x")
        sh(["dpkg-deb", "-x", deb, root])
        missing = lib_packages(root) - depends
        check(not missing, "Depends (%s) lacks %s" % (sorted(depends), sorted(missing)))
        with open(os.path.join(root, "usr/lib/systemd/system/hamd.service")) as f:
            unit = f.read()
        for line in ("Type=notify", "WatchdogSec=", "ExecStart=/usr/bin/hamd --config",
                     "ExecStopPost=-+/usr/lib/hamd/hooks/vip-down"):
            check(line in unit, "hamd.service lacks %s" % line)
        opstest.log("package: %d files, Depends: %s" % (len(files), field(info, "Depends")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Inside the throw-away root: install, check, remove. $1 is the package.
IN_CHROOT = r"""
set -e
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
getent passwd hamd >/dev/null && userdel hamd 2>/dev/null || true
getent group hamd >/dev/null && groupdel hamd 2>/dev/null || true
dpkg --no-triggers -i "$1"
getent passwd hamd | grep -q ':/var/lib/hamd:/usr/sbin/nologin$'
test "$(stat -c '%a %U %G' /etc/hamd)" = "750 root hamd"
if command -v systemd-tmpfiles >/dev/null; then
  # keepalived's track files, there before hamd first starts
  test "$(stat -c '%a %U %G' /run/hamd-keepalived)" = "750 hamd hamd"
  test "$(cat /run/hamd-keepalived/publishing)" = 0
  test "$(cat /run/hamd-keepalived/fresh)" = 0
fi
hamd --version | grep -q '^hamd '
hactl --version | grep -q '^hactl '
test -x /usr/lib/hamd/hamd-gw-sim
man -w hamd | grep -q /usr/share/man/man8/hamd.8.gz
man -w 5 hamd.ini | grep -q /usr/share/man/man5/hamd.ini.5.gz
if command -v systemd-analyze >/dev/null; then
  # Unknown keys, a missing ExecStart program or man page: all printed.
  out=$(systemd-analyze verify /usr/lib/systemd/system/hamd.service 2>&1) || true
  [ -z "$out" ] || { echo "systemd-analyze verify: $out"; exit 9; }
fi
bash -c '. /usr/share/bash-completion/completions/hactl; COMP_WORDS=(hactl tr); COMP_CWORD=1; _hactl; test "${COMPREPLY[*]}" = transfer'
dpkg -r hamd
test ! -e /usr/bin/hamd && test ! -e /usr/lib/hamd/hooks/vip-up
dpkg --purge hamd
echo INSTALL-OK
"""


def test_package_installs_in_a_throwaway_root():
    if os.geteuid() != 0:
        raise Skip("installing needs root (an overlay of / in a mount namespace)")
    unshare = find_tool("unshare")
    tmp = tempfile.mkdtemp(prefix="hamd-debroot-")
    try:
        deb = build_package()
        os.makedirs(os.path.join(tmp, "layer"))
        merged = os.path.join(tmp, "root")
        os.makedirs(merged)
        script = os.path.join(tmp, "in-chroot.sh")
        with open(script, "w") as f:
            f.write(IN_CHROOT)
        # The overlay's upper layer lives on a tmpfs: the same file system
        # as / would overlap the lower layer.
        outer = r"""
set -e
L=$1; M=$2; DEB=$3; SCRIPT=$4
mount -t tmpfs hamd-pkg "$L"
mkdir "$L/u" "$L/w"
mount -t overlay hamd-pkg -o "lowerdir=/,upperdir=$L/u,workdir=$L/w" "$M"
for d in proc dev sys; do mount --rbind "/$d" "$M/$d" 2>/dev/null || true; done
# A /run of its own: postinst makes /run/hamd-keepalived (tmpfiles.d), not
# on the host.
mount -t tmpfs run "$M/run"
mount -t tmpfs tmp "$M/tmp"
cp "$DEB" "$M/tmp/hamd.deb"; cp "$SCRIPT" "$M/tmp/in-chroot.sh"
chroot "$M" /bin/sh /tmp/in-chroot.sh /tmp/hamd.deb
"""
        r = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", outer,
                            "outer", os.path.join(tmp, "layer"), merged, deb, script],
                           capture_output=True, text=True, timeout=CMD_TIMEOUT_S)
        if r.returncode != 0 and "mount" in r.stderr and "INSTALL" not in r.stdout \
                and "dpkg" not in r.stderr:
            raise Skip("no overlay in a mount namespace here: %s" % r.stderr.strip()[-300:])
        check(r.returncode == 0 and "INSTALL-OK" in r.stdout,
              "install in the throw-away root -> %d\n%s\n%s"
              % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
        check(not os.path.exists("/usr/lib/hamd/hooks/webhook") or
              subprocess.run(["dpkg", "-s", "hamd"], capture_output=True).returncode == 0,
              "the package leaked onto this machine")
    finally:
        subprocess.run(["umount", "-R", os.path.join(tmp, "root")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    opstest.run([test_package_contents_and_dependencies,
                 test_package_installs_in_a_throwaway_root])
