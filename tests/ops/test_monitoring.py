"""The monitoring files of deploy/monitoring (docs/operations.md, "Alerts").

- alert-rules.yml passes `promtool check rules`, and its unit tests
  (alert-rules.test.yml: sample series) pass `promtool test rules`;
  every alert has a test in which it fires;
- alertmanager.yml passes `amtool check-config`, and routes critical
  alerts to the on-call webhook, the rest to the team's;
- grafana-hamd.json is a dashboard whose queries are valid PromQL
  (promtool checks them as recording rules) and use only metrics a real
  hamd exports (its /metrics), apart from the PLANNED ones below; the
  alert rules too. It shows what operators look at first.
"""
import json
import os
import re
import subprocess
import tempfile

import yaml

import opstest
from opstest import SOURCE, Skip, find_tool
from hamdtest import Cluster, check, sim_account, sim_control, wait_for

MON = os.path.join(SOURCE, "deploy", "monitoring")
RULES = os.path.join(MON, "alert-rules.yml")
RULE_TESTS = os.path.join(SOURCE, "tests", "ops", "alert-rules.test.yml")
DASHBOARD = os.path.join(MON, "grafana-hamd.json")
ALERTMANAGER = os.path.join(MON, "alertmanager.yml")
TOOL_TIMEOUT_S = 60

# Families that "data follows the healthy source" (docs/architecture.md)
# adds to /metrics: the rules and the dashboard use them already. Only
# these may be missing from a hamd's /metrics; drop a name once it exists.
PLANNED = {"hamd_source_transfers_total", "hamd_coverage_contracts",
           "hamd_relayed_contracts"}
# What the dashboard must show, by the metric that shows it.
DASHBOARD_MUST_SHOW = {
    "hamd_publishing": "the publisher", "hamd_raft_term": "terms",
    "hamd_ticks_published_total": "ticks per second",
    "hamd_gateway_state": "per-source health",
    "hamd_source_staleness_ms": "staleness",
    "hamd_failovers_today": "failovers", "hamd_gateway_restarts_total": "restarts",
    "hamd_follow_age_ms": "follower stream age",
}
# Grafana's variables, as a query runs them.
GRAFANA_VARS = {"$cluster": "prod", "$__rate_interval": "1m", "$__range": "1h",
                "${datasource}": ""}


def tool(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    check(r.returncode == 0, "%s -> %d\n%s%s" % (" ".join(argv), r.returncode,
                                                 r.stdout[-3000:], r.stderr[-3000:]))
    return r.stdout


def rules():
    with open(RULES) as f:
        return [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]


def test_alert_rules_check_and_unit_tests():
    promtool = find_tool("promtool", "HAMD_PROMTOOL")
    out = tool([promtool, "check", "rules", RULES])
    check("SUCCESS: %d rules found" % len(rules()) in out, out)
    tool([promtool, "test", "rules", RULE_TESTS])
    with open(RULE_TESTS) as f:
        tests = yaml.safe_load(f)["tests"]
    firing = {t["alertname"] for case in tests for t in case.get("alert_rule_test", [])
              if t.get("exp_alerts")}
    alerts = {r["alert"] for r in rules()}
    check(alerts - firing == set(), "alerts no test sees fire: %s" % sorted(alerts - firing))
    for r in rules():
        check(r["labels"].get("severity") in ("critical", "warning"),
              "%s: severity %r" % (r["alert"], r["labels"].get("severity")))
        check(r["annotations"].get("runbook") == "operations.md#" + r["alert"].lower(),
              "%s: runbook %r" % (r["alert"], r["annotations"].get("runbook")))
    with open(os.path.join(SOURCE, "docs", "operations.md")) as f:
        ops = f.read()
    missing = [a for a in sorted(alerts) if "### %s" % a not in ops]
    check(not missing, "docs/operations.md explains no %s" % missing)


def test_alertmanager_routes_critical_to_the_webhook():
    amtool = find_tool("amtool", "HAMD_AMTOOL")
    tool([amtool, "check-config", ALERTMANAGER])

    def receiver(*labels):
        return tool([amtool, "config", "routes", "test", "--config.file=" + ALERTMANAGER]
                    + list(labels)).strip()
    check(receiver("severity=critical", "alertname=HamdNoPublisher") == "hamd-oncall",
          "a critical alert does not reach hamd-oncall")
    check(receiver("severity=warning", "alertname=HamdNodeDown") == "hamd-team",
          "a warning does not reach hamd-team")
    with open(ALERTMANAGER) as f:
        am = yaml.safe_load(f)
    oncall = [r for r in am["receivers"] if r["name"] == "hamd-oncall"][0]
    check(oncall.get("webhook_configs"), "hamd-oncall is not a webhook")
    critical = {r["alert"] for r in rules() if r["labels"]["severity"] == "critical"}
    check({"HamdNoPublisher", "HamdTwoPublishers", "HamdNoHealthyBackup"} <= critical,
          "critical alerts: %s" % sorted(critical))


def exported_metrics():
    """The metric families of a real hamd's /metrics (standalone, with
    gateways, so every family has lines), plus Prometheus' own `up`."""
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"]), sim_account("sim_b", 2, ["SHFE"])],
                ["rb2601.SHFE"], name="metrics")
    c.start()
    try:
        def scrape():
            try:
                status, text = c.api(0, "GET", "/metrics", timeout=2)
            except OSError:
                return None
            return text if status == 200 and "hamd_gateway_state{" in text else None
        text = wait_for(scrape, 20, "/metrics with gateway lines")
    finally:
        c.cleanup()
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M)) | {"up"}


def metric_names(expr):
    names = set(re.findall(r"\bhamd_[a-z0-9_]+\b", expr))
    if re.search(r"\bup\{", expr):
        names.add("up")
    return names


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    check(dash.get("uid") and dash.get("title") and dash.get("schemaVersion"),
          "dashboard without uid, title or schemaVersion")
    vars_ = {v["name"] for v in dash["templating"]["list"]}
    check({"datasource", "cluster"} <= vars_, "template variables %s" % vars_)
    exprs = []
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        check(p.get("title") and p.get("gridPos") and p.get("targets"),
              "panel %r lacks a title, gridPos or targets" % p.get("title"))
        check(p["datasource"]["uid"] == "${datasource}",
              "panel %r does not use the datasource variable" % p["title"])
        for t in p["targets"]:
            check(t.get("expr"), "panel %r has a target without expr" % p["title"])
            check("$cluster" in t["expr"], "%r: query ignores $cluster: %s"
                  % (p["title"], t["expr"]))
            exprs.append((p["title"], t["expr"]))
    return exprs


def promql_check(promtool, exprs):
    """promtool parses each expression as a recording rule."""
    rules_ = []
    for i, (_, e) in enumerate(exprs):
        for k, v in GRAFANA_VARS.items():
            e = e.replace(k, v)
        rules_.append({"record": "hamd_dashboard_panel_%d" % i, "expr": e})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules_}]}, f)
    try:
        tool([promtool, "check", "rules", f.name])
    finally:
        os.unlink(f.name)


def test_dashboard_and_rules_use_exported_metrics():
    exprs = dashboard_exprs()
    used = set().union(*(metric_names(e) for _, e in exprs))
    for metric, what in DASHBOARD_MUST_SHOW.items():
        check(metric in used, "the dashboard does not show %s (%s)" % (what, metric))
    rule_used = set().union(*(metric_names(r["expr"]) for r in rules()))
    exported = exported_metrics()
    if PLANNED & exported:
        opstest.log("NOTE: %s exist now: drop them from PLANNED" % sorted(PLANNED & exported))
    for where, names in (("grafana-hamd.json", used), ("alert-rules.yml", rule_used)):
        unknown = names - exported - PLANNED
        check(not unknown, "%s uses metrics hamd does not export: %s"
              % (where, sorted(unknown)))
    try:
        promtool = find_tool("promtool", "HAMD_PROMTOOL")
    except Skip as e:
        opstest.log("dashboard PromQL not parsed: %s" % e)
        return
    promql_check(promtool, exprs)


def metric(c, name):
    """The value of an unlabelled family on node 0's /metrics, or None."""
    try:
        status, text = c.api(0, "GET", "/metrics", timeout=2)
    except OSError:
        return None
    m = re.search(r"^%s (-?\d+)$" % name, text, re.M) if status == 200 else None
    return int(m.group(1)) if m else None


def test_no_healthy_backup_metric_follows_the_engine():
    """The one source of two contracts disconnects: both contracts are in a
    no_healthy_backup episode (HamdNoHealthyBackup fires) until it is back."""
    symbols = ["rb2601.SHFE", "cu2601.SHFE"]
    c = Cluster(0, [], symbols, name="nobackup")
    c.accounts = [sim_account("sim_only", 1, ["SHFE"], rate=40,
                              control="ipc://%s/ctl-{pid}.sock" % c.dir)]
    c.extra_ini = "[failover]\nrestart_after_ms = 60000\n"  # no restart meanwhile
    c.rewrite_configs().start()
    try:
        wait_for(lambda: metric(c, "hamd_publishing") == 1, 20, "publishing")
        check(metric(c, "hamd_follow_age_ms") == -1, "a publisher follows nobody")
        check(metric(c, "hamd_failover_daily_cap") == 20, "daily cap")
        wait_for(lambda: metric(c, "hamd_contracts_no_healthy_backup") == 0, 10, "0 first")
        reply = sim_control(c, 0, "sim_only", "fault disconnect")
        check(reply.startswith("ok"), "disconnect: %s" % reply)
        wait_for(lambda: metric(c, "hamd_contracts_no_healthy_backup") == len(symbols), 20,
                 "both contracts without a healthy source")
        reply = sim_control(c, 0, "sim_only", "fault none")
        check(reply.startswith("ok"), "fault none: %s" % reply)
        wait_for(lambda: metric(c, "hamd_contracts_no_healthy_backup") == 0, 20,
                 "the episode over once the source is back")
        check(metric(c, "hamd_failovers_today") == 0, "no failover happened")
    finally:
        c.cleanup()


if __name__ == "__main__":
    opstest.run([test_alert_rules_check_and_unit_tests,
                 test_alertmanager_routes_critical_to_the_webhook,
                 test_dashboard_and_rules_use_exported_metrics,
                 test_no_healthy_backup_metric_follows_the_engine])
