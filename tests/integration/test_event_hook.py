"""The event hook ([hooks] on_event) and deploy/hooks/webhook, on loopback.

- A standalone node runs deploy/hooks/webhook for each committed event; a
  gateway crash makes it fail over, and an HTTP server of the test
  receives the failover_executed event as JSON (the generic format),
  with the same seq as /api/events.
- The Slack format is a JSON object whose text carries the event.
- Bounded concurrency and timeout: with on_event_max_running = 1 no two
  runs overlap, every event still gets its run, in commit order; a run
  that outlives on_event_timeout_ms is killed and a failing one's exit
  status is logged; the node carries on.
"""
import http.server
import json
import os
import stat
import subprocess
import threading

from hamdtest import (Cluster, check, gateway_of, node_status,
                      publishing_node, run, sim_account, sim_control, wait_for,
                      wait_for_value)

SOURCE = os.environ.get("HAMD_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
WEBHOOK = os.path.join(SOURCE, "deploy", "hooks", "webhook")
SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE"]
EXTRA_HEALTH = """
[health]
check_interval_ms = 50
stale_ms = 300
hb_timeout_ms = 1500

[failover]
restart_after_ms = 1500
"""


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POSTed body."""

    def __init__(self):
        self.bodies = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                n = int(self.headers.get("Content-Length", 0))
                outer.bodies.append((self.headers.get("Content-Type"),
                                     self.rfile.read(n)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hamd" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(b) for _, b in self.bodies]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def two_sources(name):
    c = Cluster(0, [], SYMBOLS, name=name)
    ctl = "ipc://%s/ctl-{pid}.sock" % c.dir
    c.accounts = [sim_account("sim_1", 1, ["SHFE"], rate=40, control=ctl),
                  sim_account("sim_2", 2, ["SHFE"], rate=40, control=ctl)]
    return c


def test_webhook_receives_a_failover():
    rx = Receiver()
    c = two_sources("evhook")
    c.extra_ini = EXTRA_HEALTH + "\n[hooks]\non_event = %s\n" % WEBHOOK
    c.env.update({"HAMD_WEBHOOK_URL": rx.url, "HAMD_WEBHOOK_CONF": "/dev/null"})
    c.rewrite_configs().start()
    try:
        wait_for_value(lambda: publishing_node(c), 20, "a publisher")
        wait_for(lambda: any(e["event_type"] == "gateway_state_changed"
                             for e in rx.events()), 20, "a first event posted")
        wait_for(lambda: (gateway_of(c, 0, "sim_1") or {}).get("active_contracts")
                 == len(SYMBOLS), 20, "sim_1 active")
        reply = sim_control(c, 0, "sim_1", "fault crash")
        check(reply.startswith("ok"), "crash: %s" % reply)
        fo = wait_for(lambda: [e for e in rx.events()
                               if e["event_type"] == "failover_executed"],
                      30, "failover_executed at the webhook")[0]
        check(fo["failed_gateway_id"] == "sim_1" and fo["backup_gateway_id"] == "sim_2",
              "failover event %r" % fo)
        check(sorted(fo["affected_contracts"]) == sorted(SYMBOLS), "contracts %r" % fo)
        check(all(ct == "application/json" for ct, _ in rx.bodies),
              "content types %r" % [ct for ct, _ in rx.bodies])
        hist = c.api(0, "GET", "/api/events")[1]["events"]
        match = [e for e in hist if e.get("seq") == fo["seq"]]
        check(match and match[0]["event_type"] == "failover_executed",
              "seq %r is not the failover in /api/events: %r" % (fo["seq"], match))
        seqs = [e["seq"] for e in rx.events()]
        check(len(seqs) == len(set(seqs)), "an event posted twice: %r" % seqs)
        wait_for(lambda: "webhook: node 1: event %d (failover_executed) posted: HTTP 204"
                 % fo["seq"] in c.log_text(0), 10, "the webhook's log line")
    finally:
        c.cleanup()
        rx.close()


def test_webhook_slack_format():
    rx = Receiver()
    try:
        event = {"event_type": "no_healthy_backup", "note": 'a "quoted" \\ text',
                 "seq": 9}
        env = dict(os.environ, HAMD_WEBHOOK_URL=rx.url, HAMD_WEBHOOK_FORMAT="slack",
                   HAMD_WEBHOOK_CONF="/dev/null", HAMD_NODE="2",
                   HAMD_EVENT_TYPE="no_healthy_backup", HAMD_EVENT_SEQ="9")
        r = subprocess.run([WEBHOOK], input=json.dumps(event) + "\n", text=True,
                           capture_output=True, env=env, timeout=15)
        check(r.returncode == 0, "webhook -> %d: %s" % (r.returncode, r.stderr))
        check(rx.url not in r.stderr, "the URL was logged: %r" % r.stderr)
        body = rx.events()[-1]
        check(set(body) == {"text"}, "slack payload %r" % body)
        text = body["text"]
        check(text.startswith("hamd node 2: no_healthy_backup (event 9)"), text)
        inner = json.loads(text[text.index("```") + 3:text.rindex("```")])
        check(inner == event, "the event in the text %r != %r" % (inner, event))
        # Not asked for: nothing posted, success.
        env["HAMD_WEBHOOK_TYPES"] = "failover_executed, daily_cap_reached"
        n = len(rx.bodies)
        r = subprocess.run([WEBHOOK], input=json.dumps(event), text=True,
                           capture_output=True, env=env, timeout=15)
        check(r.returncode == 0 and len(rx.bodies) == n, "filtered type was posted")
        # Bad settings: exit 2, nothing posted.
        env["HAMD_WEBHOOK_URL"] = "ftp://x"
        r = subprocess.run([WEBHOOK], input="{}", text=True, capture_output=True,
                           env=env, timeout=15)
        check(r.returncode == 2 and "HAMD_WEBHOOK_URL" in r.stderr,
              "bad URL -> %d %r" % (r.returncode, r.stderr))
    finally:
        rx.close()


# One run at a time: marks itself running, fails if another one is, then
# records its event's seq. The sleep makes overlaps likely if the limit
# were not kept; the check does not depend on how long anything takes.
SERIAL_HOOK = """#!/bin/sh
d=%(dir)s
if ! mkdir "$d/running" 2>/dev/null; then echo overlap >> "$d/overlaps"; fi
sleep 0.2
seq=$(sed -n 's/.*"seq": *\\([0-9]*\\).*/\\1/p')
echo "$HAMD_EVENT_SEQ $seq $HAMD_EVENT_TYPE" >> "$d/seen"
rmdir "$d/running" 2>/dev/null
case "$HAMD_EVENT_TYPE" in
  gateway_state_changed) exit 3 ;;
esac
exit 0
"""


def test_one_at_a_time_in_order_with_exit_status():
    c = two_sources("evserial")
    hook = os.path.join(c.dir, "serial.sh")
    with open(hook, "w") as f:
        f.write(SERIAL_HOOK % {"dir": c.dir})
    os.chmod(hook, stat.S_IRWXU)
    c.extra_ini = ("[hooks]\non_event = %s\non_event_max_running = 1\n"
                   "on_event_timeout_ms = 5000\n" % hook)
    c.rewrite_configs().start()
    try:
        wait_for_value(lambda: publishing_node(c), 20, "a publisher")

        def seen():
            try:
                with open(os.path.join(c.dir, "seen")) as f:
                    return [line.split() for line in f.read().splitlines()]
            except FileNotFoundError:
                return []
        hist = wait_for(lambda: (lambda h: h if len(h) >= 3 else None)(
            c.api(0, "GET", "/api/events")[1]["events"]), 20, "3 events")
        want = sorted(e["seq"] for e in hist)
        wait_for(lambda: len(seen()) >= len(want), 20, "a run per event")
        got = [int(s[0]) for s in seen()]
        check(got == sorted(got), "runs out of commit order: %r" % got)
        check(set(want) <= set(got), "events without a run: %r" % (set(want) - set(got)))
        check(all(s[0] == s[1] for s in seen()), "stdin seq != HAMD_EVENT_SEQ: %r" % seen())
        check(not os.path.exists(os.path.join(c.dir, "overlaps")),
              "two runs at once with on_event_max_running = 1")
        wait_for(lambda: "on_event hook (pid" in c.log_text(0)
                 and "exited with status 3" in c.log_text(0), 10,
                 "the failing run's exit status in the log")
    finally:
        c.cleanup()


def test_a_hanging_event_hook_is_killed():
    c = two_sources("evhang")
    hook = os.path.join(c.dir, "hang.sh")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\nsleep 60\n")
    os.chmod(hook, stat.S_IRWXU)
    c.extra_ini = "[hooks]\non_event = %s\non_event_timeout_ms = 300\n" % hook
    c.rewrite_configs().start()
    try:
        wait_for(lambda: "on_event hook" in c.log_text(0)
                 and "ran longer than 300 ms: killing it" in c.log_text(0), 20,
                 "the hanging run killed")
        check(c.nodes[0]["proc"].poll() is None, "hamd died with its hook")
        check(node_status(c, 0).get("publishing"), "not publishing")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_webhook_receives_a_failover, test_webhook_slack_format,
         test_one_at_a_time_in_order_with_exit_status,
         test_a_hanging_event_hook_is_killed])
