"""The operator console in a real browser: Debian's chromium, driven
headless by chromium-driver and python3-selenium, against a 3-node
cluster on loopback (docs/console.md).

Proves, through the page only (and the API to check what it did):
the overview shows three nodes and one leader, and the lease left as the
node counts it even to a browser whose clock is 10 s ahead; toggling an
account changes it on every node; Hard restart takes a card through RESTARTING
back to HEALTHY with a new process; a failover dry run shows a plan and
changes nothing, executing it moves the contracts; a provoked ERROR line
appears highlighted and the INFO filter hides INFO lines; kill -9 of the
leader: the page served by a survivor shows the new leader without a
reload, the page names no unreachable node as leader, and the Logs page
says it cannot read the dead node instead of asking it every second;
with two nodes of three down a change says "No leader" and changes
nothing, and when the page's own node dies the stale page is greyed
out; with a token configured, a change without it shows the 401.
Make leader on a node's row moves leadership there; pause and resume
from the Contracts page; a preview with nothing selected shows the error
and no plan; a stopped gateway counts as
stopped, not down, and its card does not pass its last STATUS off as
current; on a phone-sized window every page is in the menu; no script
error in the browser's console; an account's password never on the
page, in what it reads or in the log lines it shows.

Each test saves a screenshot of the page when it fails (in
$HAMD_BUILD_DIR/browser-screenshots/). Skipped (exit 77) when chromium,
chromedriver or selenium is missing: ./deploy/install-deps.sh --tests.
"""
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

SKIP = 77
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:
    webdriver = None


def skip_unless_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if webdriver is None:
        missing.append("python3-selenium")
    if missing:
        print("SKIP: no %s (./deploy/install-deps.sh --tests installs chromium, "
              "chromium-driver and python3-selenium)" % ", ".join(missing))
        sys.exit(SKIP)


if __name__ == "__main__":
    skip_unless_browser()  # before the harness needs its own packages

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from hamdtest import (BUILD, Cluster, check, gateway_of, log,  # noqa: E402
                      node_status, record_failure, sim_account, wait_for,
                      wait_one_publisher)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
TOKEN = "console-tok-5e1d9a"
SECRET = "sim-a-pw-7c41e2"  # sim_a's password param: never on the page
# Elections a bit slower than the default 300 ms: a browser starting on a
# shared 2-core host must not make the cluster change leaders by itself.
# A broken on_leader hook: a node that starts leading logs an ERROR line.
BAD_HOOK = "/nonexistent/hamd-test-hook"
# GFEX (served by no account) trades one minute a day: closed nearly
# always, so the overview shows when it opens next.
EXTRA_INI = ("[raft]\nelection_timeout_ms = 600\n\n[hooks]\non_leader = %s\n\n"
             "[sessions]\nGFEX = 03:00-03:01\n" % BAD_HOOK)
WAIT_S = 20                # one step of a test, at most
SHOT_DIR = os.path.join(BUILD, "browser-screenshots")
LEADER_SEEN_TARGET_S = 3   # what the console aims at after a leader dies
DESKTOP = (1280, 900)      # window size of every test but the narrow one
PHONE = (390, 844)         # a phone's window, CSS pixels
LOG_POLL_ROUNDS_S = 3      # the Logs page asks other nodes once a second
CLOCK_SKEW_S = 10          # a browser's clock this far ahead of the nodes'


def browser():
    """Headless chromium with a fresh profile and nothing it would fetch
    from the internet on its own (the machine has none)."""
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="hamd-chromium-")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--no-default-browser-check", "--no-proxy-server",
              "--window-size=%d,%d" % DESKTOP, "--user-data-dir=" + profile):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # script errors
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    d.profile_dir = profile
    return d


# --------------------------------------------------------------------------
# Page helpers
# --------------------------------------------------------------------------

class Page:
    def __init__(self, driver):
        self.d = driver

    def open(self, admin, route):
        self.d.get("http://%s/#/%s" % (admin, route))
        self.wait(lambda: self.text("#conn") == "Live", "the live stream")

    def go(self, route):
        self.d.execute_script("location.hash = arguments[0]", "#/" + route)

    def find(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def one(self, css):
        els = self.find(css)
        return els[0] if els else None

    def text(self, css):
        el = self.one(css)
        try:
            return el.text.strip() if el else None
        except WebDriverException:  # replaced while read: ask again
            return None

    def attr(self, css, name):
        el = self.one(css)
        try:
            return el.get_attribute(name) if el else None
        except WebDriverException:
            return None

    def click(self, css):
        """Clicks css once it is there and enabled; the live page may
        replace the element between finding and clicking: find it again."""
        def once():
            el = self.one(css)
            if el is None or not el.is_enabled():
                return False
            el.click()
            return True
        self.wait(once, "%s clickable" % css)

    def confirm(self):
        """Accepts the open confirmation dialog."""
        self.wait(lambda: self.one("dialog[open] button[type=submit]"), "the confirmation")
        self.one("dialog[open] button[type=submit]").click()
        self.wait(lambda: not self.one("dialog[open]"), "the dialog to close")

    def wait(self, pred, what, timeout=WAIT_S):
        def safe():
            try:
                return pred()
            except WebDriverException:
                return None
        return wait_for(safe, timeout, what, step=0.1)


def shot(page, name):
    os.makedirs(SHOT_DIR, exist_ok=True)
    path = os.path.join(SHOT_DIR, "%s.png" % name)
    try:
        page.d.save_screenshot(path)
        log("screenshot of the failure: %s" % path)
    except WebDriverException as e:
        log("no screenshot: %s" % e)


# --------------------------------------------------------------------------
# The tests (in this order: each leaves the cluster as the next expects)
# --------------------------------------------------------------------------

def api_contract_sources(c, idx):
    status, body = c.api(idx, "GET", "/api/contracts")
    return {x["symbol"]: x["source"] for x in body["contracts"]} if status == 200 else {}


def t_overview(env):
    c, p = env["c"], env["page"]
    p.open(env["admin"], "overview")
    p.wait(lambda: len(p.find("#nodes-table tbody tr")) == 3, "three node rows")
    lead = env["leader"] + 1
    p.wait(lambda: p.text("#leader-value") == "Node %d" % lead, "leader Node %d" % lead)
    roles = [el.text for el in p.find("#nodes-table tbody tr td:nth-child(2) .badge")]
    check(roles.count("leader") == 1 and roles.count("follower") == 2,
          "one leader, two followers: %r" % roles)
    check(p.text("#health-verdict") in ("Healthy", "Degraded"), "a health verdict")
    check("Open cluster" in p.text("#auth"), "says the cluster is open: %r" % p.text("#auth"))
    chip = p.text("#sessions")
    check(re.search(r"GFEX (open|closed · opens in \d)", chip),
          "the GFEX session and its next opening: %r" % chip)
    # The lease left is the node's count, not the browser's clock against
    # the node's deadline: a browser CLOCK_SKEW_S ahead still sees it.
    cell = "#nodes-table tr[data-node='%d'] td:nth-child(4)" % lead
    p.wait(lambda: re.match(r"yes \(lease \d+ ms\)", p.text(cell) or ""), "the lease shown")
    p.d.execute_script("const now = Date.now, skew = arguments[0]; window.hamdRealNow = now;"
                       "Date.now = () => now.call(Date) + skew;", CLOCK_SKEW_S * 1000)
    try:
        p.wait(lambda: "skewed" in p.d.execute_script(
            "return Date.now() - window.hamdRealNow.call(Date) > 1000 ? 'skewed' : '';"),
            "the browser's clock ahead")
        seen = set()
        for _ in range(3):  # three status rounds, a second apart
            seen.add(p.wait(lambda: p.text(cell), "the publishing cell"))  # not mid-redraw
            time.sleep(1)
        check(all(re.match(r"yes \(lease [1-9]\d* ms\)", t) for t in seen),
              "the lease shown by a browser %d s ahead: %r" % (CLOCK_SKEW_S, seen))
    finally:
        p.d.execute_script("Date.now = window.hamdRealNow;")


def t_narrow_menu(env):
    """On a phone every page is in the menu, none scrolled out of sight,
    a short page does not stretch the bar above it, and the account form
    fits its dialog."""
    p = env["page"]
    p.d.set_window_size(*PHONE)
    try:
        bar = {}
        for route in ("overview", "accounts"):
            p.go(route)
            p.wait(lambda: p.text("#page-title") == route.capitalize(), "the %s page" % route)
            hidden = p.d.execute_script(
                "const w = document.documentElement.clientWidth;"
                "return [...document.querySelectorAll('#nav a')].filter((a) => {"
                "  const r = a.getBoundingClientRect(); return r.left < 0 || r.right > w;"
                "}).map((a) => a.textContent);")
            check(not hidden, "menu entries out of sight on %s: %r" % (route, hidden))
            bar[route] = p.d.execute_script(
                "return document.querySelector('.sidebar').getBoundingClientRect().height;")
        check(bar["overview"] == bar["accounts"], "the bar's height follows the page: %r" % bar)
        # The nodes table: a card per node, nothing to scroll sideways,
        # every value under its column's name.
        p.go("overview")
        p.wait(lambda: p.one("#nodes-table tr[data-node] td"), "the nodes table")
        fit = p.d.execute_script(
            "const w = document.querySelector('#nodes-table').closest('.table-wrap');"
            "const td = document.querySelector('#nodes-table tr[data-node] td:nth-of-type(2)');"
            "return [w.scrollWidth, w.clientWidth,"
            "        getComputedStyle(td, '::before').content];")
        check(fit[0] <= fit[1], "the nodes table scrolls sideways on a phone: %r" % fit)
        check(fit[2] == '"Term"', "a value without its column's name: %r" % fit)
        p.go("accounts")
        p.wait(lambda: p.text("#page-title") == "Accounts", "the accounts page")
        p.click("#acct-new")  # the account form fits: nothing to scroll sideways
        p.wait(lambda: p.one("dialog[open] #f-id"), "the account form")
        wide = p.d.execute_script(
            "const d = document.getElementById('dialog'); return [d.scrollWidth, d.clientWidth];")
        check(wide[0] <= wide[1], "the form is wider than its dialog: %r" % wide)
    finally:
        p.d.execute_script("const d = document.getElementById('dialog'); if (d.open) d.close();")
        p.d.set_window_size(*DESKTOP)
    p.go("overview")


# The console's own rules, run in the page on views of moments the cluster
# passes through too fast to catch: a leader just killed, still named by
# the survivors; a contract relayed from a follower because the leader's
# own copy of that account failed.
LEADER_AND_SOURCE_JS = """
const done = arguments[arguments.length - 1];
import('/console/live.js').then((m) => {
  const up = (id, publishing, gateways) => ({id, reachable: true, status: {publishing, gateways}});
  const dead = {node: 1, leader: 3, nodes: [up(1, false, []), up(2, false, []),
    {id: 3, reachable: false, error: 'cannot connect'}]};
  const relay = {node: 1, leader: 1, nodes: [
    up(1, true, [{account: 'sim_a', state: 'UNHEALTHY'}]),
    up(2, false, [{account: 'sim_a', state: 'HEALTHY'}])]};
  done({dead: m.leaderOf(dead), own: m.sourceOf(relay, 'sim_a').state,
    relayed: m.sourceOf(relay, 'sim_a@node2').state});
}).catch((e) => done({error: String(e)}));
"""


def t_leader_and_source_rules(env):
    r = env["page"].d.execute_async_script(LEADER_AND_SOURCE_JS)
    check("error" not in r, "the rules ran: %r" % r)
    check(r["dead"] is None, "a leader that does not answer is no leader: %r" % r)
    check(r["own"] == "UNHEALTHY" and r["relayed"] == "HEALTHY",
          "a relayed source shows its state on the node that runs it: %r" % r)


def t_toggle_account(env):
    c, p = env["c"], env["page"]
    p.go("accounts")
    sw = "button.switch[data-account=sim_b]"
    p.wait(lambda: p.attr(sw, "aria-checked") == "true", "sim_b enabled")
    for want in (False, True):
        p.click(sw)
        p.wait(lambda: p.attr(sw, "aria-checked") == str(want).lower(), "the switch moves")
        for i in range(3):
            wait_for(lambda: c.api(i, "GET", "/api/accounts/sim_b")[1].get("enabled") is want,
                     WAIT_S, "sim_b enabled=%s on node %d" % (want, i + 1))
        p.wait(lambda: p.attr(sw, "aria-checked") == str(want).lower()
               and not p.one(sw).get_attribute("disabled"), "the switch settles")
    # sim_b runs again everywhere before the next test
    for i in range(3):
        wait_for(lambda: (gateway_of(c, i, "sim_b") or {}).get("state") == "HEALTHY",
                 WAIT_S, "sim_b HEALTHY on node %d" % (i + 1))


def t_secret_never_shown(env):
    """sim_a's password: the edit form names it and shows no value, and
    neither the page, its inputs, the answers it reads nor the log lines
    it shows hold it."""
    p = env["page"]
    p.go("accounts")
    p.click("tr[data-account=sim_a] button[data-action=edit]")
    p.wait(lambda: p.one("dialog[open] .secret-row"), "the secret row")
    try:
        key = p.one("dialog[open] .secret-row .secret-key")
        value = p.one("dialog[open] .secret-row .secret-value")
        check(key.get_attribute("value") == "password" and value.get_attribute("value") == "",
              "the secret named, no value: %r" % p.text("dialog[open] .secret-row"))
        check(key.get_attribute("autocomplete") == "off" and
              value.get_attribute("autocomplete") == "new-password",
              "no password manager fills the secret's row")
        seen = p.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const inputs = [...document.querySelectorAll('input, textarea')].map((e) => e.value);"
            "Promise.all(['/api/accounts', '/api/accounts/sim_a', '/api/cluster',"
            "  '/api/logs?level=debug&limit=2000', '/api/events?limit=1000']"
            "  .map((u) => fetch(u).then((r) => r.text())))"
            ".then((answers) => done([document.documentElement.outerHTML, ...inputs, ...answers]))"
            ".catch((e) => done(['error ' + e]));")
        check(not any(s.startswith("error ") for s in seen), "read: %r" % seen[:1])
        check(not [s for s in seen if SECRET in s], "the secret shows")
    finally:
        p.d.execute_script("const d = document.getElementById('dialog'); if (d.open) d.close();")
    p.go("logs")
    p.wait(lambda: p.find("#log-view .log-line"), "log lines")
    check(SECRET not in p.d.page_source, "the secret in the Logs page")


def t_hard_restart(env):
    c, p = env["c"], env["page"]
    idx = env["page_idx"]
    p.go("gateways")
    card = "article.card[data-account=sim_a]"
    p.wait(lambda: p.attr(card, "data-state") == "HEALTHY", "sim_a HEALTHY on its card")
    before = gateway_of(c, idx, "sim_a")
    p.click(card + " button[data-action=restart]")
    dialog = p.text("dialog[open]")
    check("sim_a" in dialog and "HEALTHY" in dialog and "priority 1" in dialog,
          "the confirmation names account, state and priority: %r" % dialog)
    p.confirm()
    p.wait(lambda: p.attr(card, "data-state") == "RESTARTING", "the card RESTARTING")
    p.wait(lambda: p.attr(card, "data-state") == "HEALTHY", "the card HEALTHY again")
    after = gateway_of(c, idx, "sim_a")
    check(after["pid"] != before["pid"] and after["restarts"] > before["restarts"],
          "a new process: %r -> %r" % (before["pid"], after["pid"]))
    check("Restart ordered" in (p.text("#note-sim_a") or ""), "the button says it worked")


def t_failover_dry_run_then_execute(env):
    c, p = env["c"], env["page"]
    lead = env["leader"]
    wait_for(lambda: set(api_contract_sources(c, lead).values()) == {"sim_a"}, WAIT_S,
             "every contract on sim_a")
    p.go("contracts")
    p.wait(lambda: len(p.find("#contracts-table tbody tr[data-symbol]")) == len(SYMBOLS),
           "the contracts listed")
    Select(p.one("#fo-scope")).select_by_value("all")
    p.wait(lambda: p.one("#fo-to option[value=sim_b]"), "sim_b as a target")
    Select(p.one("#fo-to")).select_by_value("sim_b")
    p.click("#fo-preview")
    p.wait(lambda: p.attr("#plan .plan", "data-dry") == "true", "a dry-run plan")
    check(p.attr("#plan .plan", "data-moved") == str(len(SYMBOLS)),
          "the plan moves every contract: %r" % p.text("#plan"))
    check("Nothing has changed" in p.text("#plan") and "sim_b" in p.text("#plan"),
          "the plan says what it would do: %r" % p.text("#plan"))
    time.sleep(0.5)
    check(set(api_contract_sources(c, lead).values()) == {"sim_a"},
          "a dry run changes nothing")
    p.click("#fo-execute")
    p.confirm()
    p.wait(lambda: p.attr("#plan .plan", "data-dry") == "false", "the executed plan")
    # a preview of nothing: the error by the button, no plan to execute
    Select(p.one("#fo-scope")).select_by_value("selected")
    p.click("#fo-preview")
    p.wait(lambda: "Select contracts" in (p.text("#fo-preview-note") or ""), "the error by the button")
    check(not p.find("#plan .plan"), "no plan left shown: %r" % p.text("#plan"))
    check(not p.one("#fo-execute").is_enabled(), "nothing to execute")
    # nothing to (un)subscribe: the reason by the buttons, nothing sent
    before = len(p.find("#contracts-table tbody tr[data-symbol]"))
    p.click("#sub-add")
    p.wait(lambda: "SYMBOL.EXCHANGE" in (p.text("#sub-note") or ""), "the reason by Subscribe")
    p.click("#sub-remove")
    p.wait(lambda: "Select contracts" in (p.text("#sub-note") or ""), "the reason by Unsubscribe")
    check(len(p.find("#contracts-table tbody tr[data-symbol]")) == before, "contracts changed")
    Select(p.one("#fo-scope")).select_by_value("all")
    for i in range(3):
        wait_for(lambda: set(api_contract_sources(c, i).values()) == {"sim_b"}, WAIT_S,
                 "every contract on sim_b on node %d" % (i + 1))
    p.wait(lambda: all("sim_b" in el.text for el in p.find("#contracts-table td.source")),
           "the table shows sim_b")
    # back as it was, by the API: the next tests expect sim_a
    status, body = c.api(lead, "POST", "/api/failback", {})
    check(status == 200, "failback: %d %r" % (status, body))
    wait_for(lambda: set(api_contract_sources(c, lead).values()) == {"sim_a"}, WAIT_S,
             "every contract back on sim_a")


def t_pause_resume(env):
    c, p = env["c"], env["page"]
    p.go("contracts")
    p.wait(lambda: p.text("#pause-state") == "Automatic", "failover automatic")
    p.click("#pause-btn")
    p.confirm()  # pausing asks first
    p.wait(lambda: p.text("#pause-state") == "Paused", "Paused shown")
    for i in range(3):
        wait_for(lambda: (node_status(c, i) or {}).get("paused") is True, WAIT_S,
                 "paused on node %d" % (i + 1))
    p.click("#pause-btn")
    p.wait(lambda: p.text("#pause-state") == "Automatic", "Automatic shown again")
    for i in range(3):
        wait_for(lambda: (node_status(c, i) or {}).get("paused") is False, WAIT_S,
                 "resumed on node %d" % (i + 1))


def t_stopped_gateway(env):
    """Stopped on purpose is not down: the cluster stays Healthy, the
    gateways count as stopped, a card without a process does not show
    what it said last as what it says, and the accounts page says the
    operator stopped it."""
    c, p = env["c"], env["page"]
    p.go("gateways")
    card = "article.card[data-account=sim_b]"
    p.wait(lambda: p.attr(card, "data-state") == "HEALTHY", "sim_b HEALTHY")

    def enabled():
        return {a: p.attr(card + " button[data-action=%s]" % a, "disabled") is None
                for a in ("start", "stop", "restart")}
    check(enabled() == {"start": False, "stop": True, "restart": True},
          "a running gateway's buttons: %r" % enabled())
    p.click(card + " button[data-action=stop]")
    p.confirm()
    p.wait(lambda: p.attr(card, "data-state") == "STOPPED", "the card STOPPED")
    p.wait(lambda: enabled() == {"start": True, "stop": False, "restart": False},
           "only Start on a stopped gateway")
    said = p.text(card + " .v-status")
    check(said.startswith("not running"), "the card says the process is gone: %r" % said)
    p.go("overview")
    p.wait(lambda: "3 stopped" in (p.text("#health-counts") or ""), "3 gateways stopped")
    p.wait(lambda: p.text("#health-verdict") == "Healthy", "the cluster still Healthy")
    check("0 down" in p.text("#health-counts"), "none down: %r" % p.text("#health-counts"))
    # The accounts page says why it is STOPPED while still enabled.
    p.go("accounts")
    cell = "tr[data-account=sim_b] .state-cell"
    p.wait(lambda: "stopped by operator" in (p.text(cell) or ""),
           "the accounts page names the operator's stop")
    p.go("gateways")
    p.click(card + " button[data-action=start]")
    for i in range(3):
        wait_for(lambda: (gateway_of(c, i, "sim_b") or {}).get("state") == "HEALTHY",
                 WAIT_S, "sim_b HEALTHY on node %d" % (i + 1))
    p.go("accounts")
    p.wait(lambda: "HEALTHY" in (p.text(cell) or "") and
           "stopped by operator" not in p.text(cell), "sim_b running again")


def t_transfer_from_console(env):
    """Make leader on the third node's row: it leads and publishes, the
    page says so."""
    c, p = env["c"], env["page"]
    target = [i for i in range(3) if i not in (env["leader"], env["page_idx"])][0]
    p.go("overview")
    button = "#nodes-table button[data-action=transfer][data-node='%d']" % (target + 1)
    check(not p.find("#nodes-table tr[data-node='%d'] button[data-action=transfer]"
                     % (env["leader"] + 1)), "no Make leader on the leader")
    p.click(button)
    check("node %d" % (target + 1) in p.text("dialog[open]"),
          "the confirmation names the node: %r" % p.text("dialog[open]"))
    p.confirm()
    p.wait(lambda: "Node %d leads" % (target + 1) in (p.text("#transfer-note") or ""),
           "the page says node %d leads" % (target + 1))
    env["leader"] = wait_one_publisher(c, among=[target])
    p.wait(lambda: p.text("#leader-value") == "Node %d" % (target + 1), "the leader tile")


def t_error_line_and_level_filter(env):
    c, p = env["c"], env["page"]
    page_id = env["page_idx"] + 1
    p.go("logs")
    p.wait(lambda: p.find("#log-view .log-line[data-level=INFO]"), "INFO lines")
    # Every node has a broken on_leader hook: making the page's node lead
    # logs an ERROR line there.
    err = "#log-view .log-line.lvl-ERROR"
    hook_errors = lambda: [el for el in p.find(err) if "cannot run" in el.text]
    before = len(hook_errors())
    status, body = c.api(env["leader"], "POST", "/api/transfer", {"node": page_id})
    check(status == 200, "transfer to node %d: %d %r" % (page_id, status, body))
    env["leader"] = env["page_idx"]
    p.wait(lambda: len(hook_errors()) > before, "the new ERROR line")
    line = hook_errors()[-1]
    bg = line.value_of_css_property("background-color")
    info_bg = p.one("#log-view .log-line[data-level=INFO]").value_of_css_property(
        "background-color")
    check(bg != info_bg and bg not in ("rgba(0, 0, 0, 0)", "transparent"),
          "the ERROR line stands out: %s vs %s" % (bg, info_bg))
    p.click("#log-levels button[data-level=INFO]")
    p.wait(lambda: not p.find("#log-view .log-line[data-level=INFO]"), "INFO lines hidden")
    check(p.find(err), "ERROR lines still shown")
    check(p.attr("#log-levels button[data-level=INFO]", "aria-pressed") == "false",
          "the INFO filter shows as off")
    p.click("#log-levels button[data-level=INFO]")
    p.wait(lambda: p.find("#log-view .log-line[data-level=INFO]"), "INFO lines back")


def t_leader_killed(env):
    c, p = env["c"], env["page"]
    wait_one_publisher(c)
    dead = [i for i in range(3) if (c.api(i, "GET", "/api/status")[1] or {}).get("publishing")][0]
    survivor = [i for i in range(3) if i != dead][0]
    env["survivor"] = survivor
    p.open(c.nodes[survivor]["admin"], "overview")
    p.wait(lambda: p.text("#leader-value") == "Node %d" % (dead + 1), "the leader shown")
    c.kill(dead)
    t0 = time.monotonic()
    new = p.wait(lambda: (lambda t: t if t not in (None, "None", "Node %d" % (dead + 1))
                          else None)(p.text("#leader-value")), "a new leader shown")
    seen_s = time.monotonic() - t0
    lead = wait_one_publisher(c, among=[i for i in range(3) if i != dead])
    check(new == "Node %d" % (lead + 1), "the page shows node %d: %r" % (lead + 1, new))
    row = "#nodes-table tr[data-node='%d']" % (dead + 1)
    p.wait(lambda: "unreachable" in (p.text(row) or ""), "the dead node unreachable")
    check(p.text(row).count(c.nodes[dead]["admin"]) == 1,
          "the reason names the address once: %r" % p.text(row))
    # The Logs page does not ask the dead node (each relay failing would
    # log a WARN on this node every second) and says why its lines stop.
    p.go("logs")
    p.click("#log-nodes button[data-node='%d']" % (dead + 1))
    p.wait(lambda: "Node %d: lines not read" % (dead + 1) in (p.text("#log-status") or ""),
           "the Logs page says it cannot read node %d" % (dead + 1))
    since = c.api(survivor, "GET", "/api/logs?limit=1")[1]["last_seq"]
    time.sleep(LOG_POLL_ROUNDS_S)
    warns = c.api(survivor, "GET", "/api/logs?level=warn&since=%d" % since)[1]["lines"]
    asked = [l["msg"] for l in warns if "(node %d) failed" % (dead + 1) in l["msg"]]
    check(not asked, "the page still asks the dead node: %r" % asked)
    p.click("#log-nodes button[data-node='%d']" % (dead + 1))
    p.go("overview")
    log("new leader shown %.1f s after kill -9 (target %d s)%s"
        % (seen_s, LEADER_SEEN_TARGET_S,
           "" if seen_s <= LEADER_SEEN_TARGET_S else ": SLOWER THAN THE TARGET"))


def t_no_quorum(env):
    """Two nodes of three down: a change says No leader and changes
    nothing; then the page's own node dies: the stale page is greyed."""
    c, p = env["c"], env["page"]
    here = env["survivor"]
    for i in range(3):
        if i != here:
            c.kill(i)
    p.go("overview")
    p.wait(lambda: p.text("#leader-value") == "None" and p.text("#health-verdict") == "Down",
           "Leader None, Down")
    p.go("accounts")
    sw = "button.switch[data-account=sim_b]"
    p.wait(lambda: p.attr(sw, "aria-checked") == "true", "sim_b enabled")
    p.click(sw)
    note = "#toggle-note-sim_b"
    p.wait(lambda: "No leader" in (p.text(note) or ""), "the no-leader message")
    check("nothing was changed" in p.text(note), "it says nothing changed: %r" % p.text(note))
    p.wait(lambda: p.attr(sw, "aria-checked") == "true", "the switch rolled back")
    check(c.api(here, "GET", "/api/accounts/sim_b")[1]["enabled"] is True, "nothing changed")
    c.kill(here)
    p.wait(lambda: p.one("#banner").is_displayed(), "the Disconnected banner")
    check("stale" in p.text("#banner"), "the banner says stale: %r" % p.text("#banner"))
    check("stale" in (p.attr("#main", "class") or "").split(), "the stale page greyed out")
    check("stale" in (p.attr("#node-info", "class") or "").split(),
          "the sidebar's node (its role from before) greyed out too")


def t_no_script_errors(env):
    """Nothing any test did raised a script error in the page."""
    errs = [e for e in env["page"].d.get_log("browser") if e.get("source") == "javascript"]
    check(not errs, "script errors in the browser's console: %r" % errs)


def t_token_401(env):
    p = env["page"]
    tc = env["token_cluster"]
    p.open(tc.nodes[0]["admin"], "accounts")
    p.wait(lambda: "Token required" in (p.text("#auth") or ""), "the page says a token is needed")
    sw = "button.switch[data-account=sim_a]"
    p.wait(lambda: p.attr(sw, "aria-checked") == "true", "sim_a enabled")
    p.click(sw)
    p.wait(lambda: p.one("dialog[open] #token-input"), "the page asks for the token")
    p.click("#token-ok")  # no token given: the change goes without one
    note = "#toggle-note-sim_a"
    p.wait(lambda: "401" in (p.text(note) or ""), "the 401 shown")
    check(p.attr(sw, "aria-checked") == "true", "the switch rolled back")
    check(tc.api(0, "GET", "/api/accounts/sim_a")[1]["enabled"] is True, "nothing changed")
    # with the token it goes through
    p.click(sw)
    p.wait(lambda: p.one("dialog[open] #token-input"), "asked again")
    p.one("#token-input").send_keys(TOKEN)
    p.click("#token-ok")
    wait_for(lambda: tc.api(0, "GET", "/api/accounts/sim_a")[1]["enabled"] is False,
             WAIT_S, "sim_a disabled with the token")
    check("Token set" in p.text("#auth"), "the token is set for this tab")


# --------------------------------------------------------------------------
# Set-up and run
# --------------------------------------------------------------------------

def accounts():
    a = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=10, password=SECRET),
         sim_account("sim_b", 2, ["SHFE", "DCE"], rate=10)]
    for x in a:
        x["canary"] = "rb2601.SHFE"
    return a


def start_clusters(env):
    c = Cluster(3, accounts(), SYMBOLS, extra_ini=EXTRA_INI, name="browser")
    env["c"] = c
    lead = wait_one_publisher(c.start())
    page_idx = [i for i in range(3) if i != lead][0]
    for i in range(3):
        for a in ("sim_a", "sim_b"):
            wait_for(lambda: (gateway_of(c, i, a) or {}).get("state") == "HEALTHY", WAIT_S,
                     "%s HEALTHY on node %d" % (a, i + 1))
    if lead == page_idx:  # the page's node must be a follower at first
        other = [i for i in range(3) if i != page_idx][0]
        c.api(lead, "POST", "/api/transfer", {"node": other + 1})
        lead = wait_one_publisher(c, among=[other])
    env.update(leader=lead, page_idx=page_idx, admin=c.nodes[page_idx]["admin"])
    tc = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=10)], SYMBOLS[:1],
                 name="browser-token")
    env["token_cluster"] = tc
    token_file = os.path.join(tc.dir, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    tc.extra_ini = "[admin]\ntoken_file = %s\n" % token_file
    tc.rewrite_configs().start()
    wait_one_publisher(tc)


def main():
    env = {}
    tests = [t_overview, t_narrow_menu, t_leader_and_source_rules, t_toggle_account,
             t_secret_never_shown, t_hard_restart, t_failover_dry_run_then_execute,
             t_pause_resume, t_stopped_gateway, t_transfer_from_console,
             t_error_line_and_level_filter,
             t_leader_killed, t_no_quorum, t_token_401, t_no_script_errors]
    passed = failed = 0
    driver = None
    try:
        start_clusters(env)
        driver = browser()
        env["page"] = Page(driver)
        for fn in tests:
            t0 = time.monotonic()
            try:
                fn(env)
                passed += 1
                log("PASS %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                log("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
                shot(env["page"], fn.__name__)
                record_failure(fn.__name__, traceback.format_exc())
    finally:
        if driver:
            driver.quit()
            shutil.rmtree(driver.profile_dir, ignore_errors=True)
        for k in ("c", "token_cluster"):
            if k in env:
                env[k].cleanup()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or passed != len(tests) else 0)


if __name__ == "__main__":
    main()
