"""The man pages and the bash completion of hactl.

- hamd(8), hactl(8) and hamd.ini(5), as the build generates them from
  the docs (docs/man/md2man.py), render with `man -l` at 80 columns
  without a warning, with NAME, SYNOPSIS and DESCRIPTION;
- hamd.ini(5) names every key of the configuration's key tables
  (src/config/config_keys.c), hactl(8) every command of `hactl --help`;
- the completion lists every command and global option of `hactl
  --help`, the subcommands, and the account ids of a running cluster
  (and none, without an error, when the cluster does not answer).
"""
import os
import re
import subprocess

import opstest
from opstest import BUILD, SOURCE, Skip, find_tool
from hamdtest import HACTL, Cluster, check, publishing_node, sim_account, wait_for

MAN_DIR = os.path.join(BUILD, "man")
PAGES = {"hamd.8": "hamd", "hactl.8": "hactl", "hamd.ini.5": "hamd.ini"}
COMPLETION = os.path.join(SOURCE, "deploy", "completion", "hactl")
KEYS_C = os.path.join(SOURCE, "src", "config", "config_keys.c")
ACCOUNTS = ("ctp_main", "sim-backup")


def render(page):
    path = os.path.join(MAN_DIR, page)
    check(os.path.exists(path), "%s not built (the man target)" % path)
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    r = subprocess.run([find_tool("man"), "--warnings", "-l", path], capture_output=True,
                       text=True, env=env, timeout=30)
    check(r.returncode == 0, "man -l %s -> %d: %s" % (page, r.returncode, r.stderr))
    check(r.stderr == "", "man -l %s warns:\n%s" % (page, r.stderr))
    return re.sub(r".\x08", "", r.stdout)


def hactl_help():
    """(commands, global options) of hactl --help."""
    text = subprocess.run([HACTL, "--help"], capture_output=True, text=True,
                          timeout=10).stdout
    opts = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text.split("Commands:")[0]))
    opts.discard("-c")
    opts |= {"-c"}
    cmds = set(re.findall(r"^  ([a-z][a-z-]+)", text.split("Commands:")[1], re.M))
    return cmds, opts


def config_keys():
    with open(KEYS_C) as f:
        return set(re.findall(r'CFG_[CPA]\("([a-z_]+)"', f.read()))


def test_man_pages_render_without_warnings():
    for page, name in PAGES.items():
        text = render(page)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION"):
            check(re.search(r"^%s$" % section, text, re.M), "%s: no %s" % (page, section))
        check(re.search(r"^\s+%s - " % re.escape(name), text, re.M),
              "%s: NAME does not start with %s" % (page, name))
    ini = render("hamd.ini.5")
    missing = sorted(k for k in config_keys() if not re.search(r"^\s+%s(\s|$)" % k, ini, re.M))
    check(not missing, "hamd.ini(5) does not list the keys %s" % missing)
    hactl = render("hactl.8")
    cmds, _ = hactl_help()
    missing = sorted(c for c in cmds if c not in hactl)
    check(not missing, "hactl(8) does not describe %s" % missing)
    check("SIGTERM" in render("hamd.8") and "WATCHDOG=1" in render("hamd.8"),
          "hamd(8) says nothing of signals or the watchdog")


def complete(words, cword=None, env=None):
    """COMPREPLY of _hactl for COMP_WORDS=words (the last word is being
    completed unless cword says otherwise)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=%d; _hactl; '
              'printf "%%s\\n" "${COMPREPLY[@]}"' % (len(words) - 1 if cword is None else cword))
    r = subprocess.run(["bash", "-c", script, "complete", COMPLETION] + list(words),
                       capture_output=True, text=True, timeout=30, env=env)
    check(r.returncode == 0 and r.stderr == "", "completion of %r: %d %s"
          % (words, r.returncode, r.stderr))
    return set(r.stdout.split())


def test_completion_lists_commands_and_options():
    if not os.access(HACTL, os.X_OK):
        raise Skip("%s is not built" % HACTL)
    cmds, opts = hactl_help()
    got = complete(["hactl", ""])
    check(got == cmds, "commands: completion %s, hactl --help %s" % (sorted(got), sorted(cmds)))
    got = complete(["hactl", "-"])
    check(opts <= got, "global options missing: %s" % sorted(opts - got))
    check(complete(["hactl", "-c", "x.ini", "st"]) == {"status", "start", "stop"},
          "after -c FILE the command is completed")
    check(complete(["hactl", "accounts", ""]) == {"list", "add", "update", "rm", "enable",
                                                   "disable", "rekey"}, "accounts subcommands")
    check(complete(["hactl", "subs", ""]) == {"list", "add", "rm"}, "subs subcommands")
    check("--to" in complete(["hactl", "failover", "--"]), "failover options")
    check(complete(["hactl", "import", "--"]) == {"--dry-run", "--prune", "--param-str",
                                                  "--secrets"}, "import options")
    check(complete(["hactl", "export", "--"]) == {"--out"}, "export options")
    check(complete(["hactl", "is-leader", "--"]) == {"--other", "--json"},
          "is-leader options")


def test_completion_asks_the_cluster_for_account_ids():
    if not os.access(HACTL, os.X_OK):
        raise Skip("%s is not built" % HACTL)
    c = Cluster(0, [sim_account(a, i + 1, ["SHFE"]) for i, a in enumerate(ACCOUNTS)],
                ["rb2601.SHFE"], name="complete")
    c.start()
    try:
        wait_for(lambda: publishing_node(c) is not None, 20, "a publisher")
        ini = c.nodes[0]["config"]
        for words in (["start", ""], ["restart", ""], ["accounts", "rm", ""],
                      ["failover", "--to", ""]):
            got = complete([HACTL, "-c", ini] + words)
            check(got == set(ACCOUNTS), "%s: %s" % (" ".join(words), sorted(got)))
        check(complete([HACTL, "-c", ini, "start", "sim"]) == {"sim-backup"}, "prefix")
        addr = c.nodes[0]["admin"]
        check(complete([HACTL, "-H", addr, "stop", ""]) == set(ACCOUNTS), "with -H")
        c.stop()
        # The cluster is gone: no ids, no error.
        check(complete([HACTL, "-c", ini, "start", ""]) == set(), "ids from a dead cluster")
    finally:
        c.cleanup()


if __name__ == "__main__":
    opstest.run([test_man_pages_render_without_warnings,
                 test_completion_lists_commands_and_options,
                 test_completion_asks_the_cluster_for_account_ids])
