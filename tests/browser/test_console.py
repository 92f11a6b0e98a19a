"""The operator console in a real browser: Debian's chromium, driven
headless by chromium-driver and python3-selenium, against a 3-node
cluster on loopback (docs/console.md).

Proves, through the page only (and the API to check what it did):
the overview shows three nodes and one leader; toggling an account
changes it on every node; Hard restart takes a card through RESTARTING
back to HEALTHY with a new process; a failover dry run shows a plan and
changes nothing, executing it moves the contracts; a provoked ERROR line
appears highlighted and the INFO filter hides INFO lines; kill -9 of the
leader: the page served by a survivor shows the new leader without a
reload; with a token configured, a change without it shows the 401.

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
                      record_failure, sim_account, wait_for,
                      wait_one_publisher)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
TOKEN = "console-tok-5e1d9a"
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
              "--window-size=1280,900", "--user-data-dir=" + profile):
        o.add_argument(a)
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
    p.open(c.nodes[survivor]["admin"], "overview")
    p.wait(lambda: p.text("#leader-value") == "Node %d" % (dead + 1), "the leader shown")
    c.kill(dead)
    t0 = time.monotonic()
    new = p.wait(lambda: (lambda t: t if t not in (None, "None", "Node %d" % (dead + 1))
                          else None)(p.text("#leader-value")), "a new leader shown")
    seen_s = time.monotonic() - t0
    lead = wait_one_publisher(c, among=[i for i in range(3) if i != dead])
    check(new == "Node %d" % (lead + 1), "the page shows node %d: %r" % (lead + 1, new))
    p.wait(lambda: any("unreachable" in el.text for el in p.find(
        "#nodes-table tr[data-node='%d']" % (dead + 1))), "the dead node unreachable")
    log("new leader shown %.1f s after kill -9 (target %d s)%s"
        % (seen_s, LEADER_SEEN_TARGET_S,
           "" if seen_s <= LEADER_SEEN_TARGET_S else ": SLOWER THAN THE TARGET"))


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
    a = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=10),
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
    tests = [t_overview, t_toggle_account, t_hard_restart,
             t_failover_dry_run_then_execute, t_error_line_and_level_filter,
             t_leader_killed, t_token_401]
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
