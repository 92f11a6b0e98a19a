"""What the operator console reads, against real nodes (docs/console.md).

Proves: `curl -N` on GET /api/stream receives `status`, `event` and `log`
events; at most [admin] max_streams streams (the 33rd of 40 gets a JSON
503, and slots come back when clients leave); a client that never reads
is dropped at its queue limit and the node keeps serving; GET /api/logs
filters by level, since and limit, and a malformed query gets a JSON 400;
the console's files come with an ETag (304 on If-None-Match) and a strict
Content-Security-Policy; GET /api/cluster marks a dead member unreachable
and gives the publisher's lease left (lease_left_ms, null elsewhere);
?node=N relays a gateway restart and a log read to node N.
"""
import atexit
import json
import os
import select
import socket
import subprocess
import threading
import time

from hamdtest import (Cluster, check, gateway_of, http_raw, log, run,
                      sim_account, wait_for, wait_one_publisher)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE"]
MAX_STREAMS = 32           # [admin] max_streams default
STREAMS_TRIED = 40
LONG_PATH_CHARS = 900      # a bad request whose log line is ~1 KiB
FLOOD_REQUESTS = 1500      # ~1.4 MiB of log lines: past queue + buffers
SMALL_RCVBUF = 4096        # the stalled client's receive buffer
ELECTION_TIMEOUT_MS = 200  # [raft] default: the lease is this less a margin

_clusters = []


@atexit.register
def _cleanup():
    for c in _clusters:
        c.cleanup()


def standalone():
    if not _clusters:
        c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=10)], SYMBOLS,
                    name="console")
        _clusters.append(c)
        c.start()
        wait_one_publisher(c)
        wait_for(lambda: (gateway_of(c, 0, "sim_a") or {}).get("state") == "HEALTHY",
                 20, "sim_a HEALTHY")
    return _clusters[0]


def stream_open(addr, level="info", rcvbuf=None):
    """A raw socket that sent GET /api/stream; returns (sock, status line)."""
    host, port = addr.rsplit(":", 1)
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect((host, int(port)))
    s.sendall(("GET /api/stream?level=%s HTTP/1.1\r\nHost: %s\r\n\r\n"
               % (level, addr)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def stream_ok(addr, **kw):
    """A socket of a stream that opened (200), or None (closed)."""
    s, head = stream_open(addr, **kw)
    if head.startswith(b"HTTP/1.1 200"):
        return s
    s.close()
    return None


def stream_events(text):
    """The event names in SSE text."""
    return [l[len("event: "):] for l in text.splitlines() if l.startswith("event: ")]


def test_curl_stream_gets_status_event_and_log():
    c = standalone()
    addr = c.nodes[0]["admin"]
    curl = subprocess.Popen(["curl", "-sN", "--noproxy", "*",
                             "http://%s/api/stream?level=info" % addr],
                            stdout=subprocess.PIPE)
    out = []
    reader = threading.Thread(target=lambda: out.extend(iter(curl.stdout.readline, b"")),
                              daemon=True)
    reader.start()
    try:
        time.sleep(0.5)
        # A hard restart logs lines and commits gateway events.
        status, body = c.api(0, "POST", "/api/accounts/sim_a/restart")
        check(status == 200, "restart: %d %r" % (status, body))
        seen = lambda: set(stream_events(b"".join(out).decode()))
        wait_for(lambda: {"status", "event", "log"} <= seen(), 15,
                 "status, event and log on the stream (got %s)" % seen())
        text = b"".join(out).decode()
        check(text.startswith(": hamd node 1"), "stream greeting: %r" % text[:60])
        for line in text.splitlines():
            if line.startswith("data: "):
                json.loads(line[len("data: "):])  # every data line is JSON
        status_doc = json.loads([l for l in text.splitlines()
                                 if l.startswith("data: {\"node\"")][0][6:])
        check(status_doc["nodes"][0]["status"]["gateways"][0]["account"] == "sim_a",
              "status event carries the node's status: %r" % status_doc)
    finally:
        curl.terminate()
        curl.wait()


def test_max_streams_then_503():
    c = standalone()
    addr = c.nodes[0]["admin"]
    # A slot of a client that left frees once the node notices (its next
    # write to it, within a second): retry until all of them are free.
    def open_all():
        socks = [stream_open(addr) for _ in range(MAX_STREAMS)]
        if all(h.startswith(b"HTTP/1.1 200") for _, h in socks):
            return socks
        for s, _ in socks:
            s.close()
        return None
    opened = [s for s, _ in wait_for(open_all, 20, "%d streams" % MAX_STREAMS, step=1)]
    try:
        refused = [stream_open(addr) for _ in range(STREAMS_TRIED - MAX_STREAMS)]
        opened += [s for s, _ in refused]
        codes = [int(h.split(b" ")[1]) for _, h in refused]
        check(codes == [503] * (STREAMS_TRIED - MAX_STREAMS),
              "streams past max_streams get 503: %s" % codes)
        s, head = refused[0]
        head, _, body = head.partition(b"\r\n\r\n")
        check(b"application/json" in head.lower(), "503 is JSON: %r" % head)
        if not body:  # the body may come with the next read
            body = s.recv(4096)
        check(b"max_streams" in body, "503 says why: %r" % body)
    finally:
        for s in opened:
            s.close()
    s = wait_for(lambda: stream_ok(addr), 10, "a stream slot once the clients left",
                 step=0.5)
    s.close()


def test_client_that_never_reads_is_dropped():
    c = standalone()
    addr = c.nodes[0]["admin"]
    stalled = wait_for(lambda: stream_ok(addr, level="debug", rcvbuf=SMALL_RCVBUF),
                       10, "a stream slot (the last test's clients leave)", step=0.5)
    host, port = addr.rsplit(":", 1)
    # Every refused request logs one line of ~1 KiB, which goes to the
    # stream: a client that reads nothing falls behind fast.
    import http.client
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    path = "/api/accounts/%s/start" % ("a" * LONG_PATH_CHARS)
    for _ in range(FLOOD_REQUESTS):
        conn.request("POST", path, body=b"{}")
        conn.getresponse().read()
    wait_for(lambda: "live stream #" in c.log_text(0) and "dropped" in c.log_text(0),
             10, "the node to drop the stalled stream")
    # The connection was cut: reading finds the end or a reset.
    def cut():
        stalled.setblocking(False)
        try:
            while True:
                r, _, _ = select.select([stalled], [], [], 0.2)
                if not r:
                    return False
                if not stalled.recv(1 << 16):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
    wait_for(cut, 10, "the stalled client's connection to be cut")
    stalled.close()
    conn.request("GET", "/livez")
    check(conn.getresponse().status == 200, "the node still answers")
    wait_for(lambda: stream_ok(addr), 10, "a new stream", step=0.5).close()


def test_logs_query():
    c = standalone()
    status, body = c.api(0, "GET", "/api/logs?limit=5")
    check(status == 200 and len(body["lines"]) == 5, "5 lines: %r" % body)
    line = body["lines"][-1]
    check(set(line) == {"seq", "ts", "level", "tag", "msg"}, "fields: %r" % line)
    check(line["seq"] <= body["last_seq"], "seq within last_seq")
    since = body["lines"][0]["seq"]
    _, later = c.api(0, "GET", "/api/logs?since=%d&limit=3" % since)
    check([l["seq"] for l in later["lines"]] == [since + 1, since + 2, since + 3],
          "since: %r" % later)
    c.api(0, "POST", "/api/accounts/nope/start")  # an INFO line (404)
    _, warn = c.api(0, "GET", "/api/logs?level=warn&limit=2000")
    check(all(l["level"] in ("WARN", "ERROR") for l in warn["lines"]),
          "level=warn: %r" % [l["level"] for l in warn["lines"]])
    for q in ("level=loud", "limit=0", "since=x", "bogus=1", "limit=%zz"):
        status, body = c.api(0, "GET", "/api/logs?" + q)
        check(status == 400 and isinstance(body, dict) and "error" in body,
              "?%s: %d %r" % (q, status, body))
    for path in ("/api/status?a=%zz", "/api/cluster?x=%00", "/?%"):
        status, body = c.api(0, "GET", path)
        check(status == 400 and body.get("field") == "query",
              "%s: a malformed query string: %d %r" % (path, status, body))
    status, body = c.api(0, "GET", "/api/stream?level=loud")
    check(status == 400 and body.get("field") == "level", "stream ?level=loud: %r" % body)


def test_console_files_etag_and_csp():
    c = standalone()
    addr = c.nodes[0]["admin"]
    for path, ctype in (("/", "text/html"), ("/console/app.js", "text/javascript"),
                        ("/console/app.css", "text/css"), ("/api/docs", "text/html"),
                        ("/api/openapi.json", "application/json")):
        status, headers, body = http_raw(addr, "GET", path)
        check(status == 200 and headers["content-type"].startswith(ctype),
              "%s: %d %s" % (path, status, headers.get("content-type")))
        csp = headers.get("content-security-policy", "")
        check("default-src 'self'" in csp and "script-src 'self'" in csp
              and "unsafe-inline" not in csp, "%s CSP: %r" % (path, csp))
        etag = headers["etag"]
        status, headers2, body2 = http_raw(addr, "GET", path,
                                           headers={"If-None-Match": etag})
        check(status == 304 and body2 == b"", "%s If-None-Match: %d" % (path, status))
    status, _, body = http_raw(addr, "GET", "/")
    check(b"<script type=\"module\" src=\"/console/app.js\">" in body
          and b"onclick=" not in body and b"://" not in body,
          "the page loads only its own script, no inline handler, no URL")
    status, _, body = http_raw(addr, "GET", "/console/nothing.js")
    check(status == 404 and json.loads(body)["error"], "unknown file: %d" % status)


def test_cluster_view_and_relays():
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"], rate=10)], SYMBOLS,
                name="console3")
    _clusters.append(c)
    c.start()
    wait_one_publisher(c)
    wait_for(lambda: all((gateway_of(c, i, "sim_a") or {}).get("state") == "HEALTHY"
                         for i in range(3)), 20, "sim_a HEALTHY everywhere")
    status, view = c.api(0, "GET", "/api/cluster")
    check(status == 200 and [n["id"] for n in view["nodes"]] == [1, 2, 3],
          "three nodes: %r" % view)
    check(all(n["reachable"] for n in view["nodes"]), "all reachable")
    check([n["self"] for n in view["nodes"]] == [True, False, False], "self marked")
    # the lease left as the node counts it, for readers whose clock is off
    def with_lease():
        v = c.api(0, "GET", "/api/cluster")[1]
        return v if any(n["status"]["lease_left_ms"] is not None for n in v["nodes"]) else None
    for n in wait_for(with_lease, 10, "a lease in the view")["nodes"]:
        st = n["status"]
        if st["role"] == "leader":
            check(isinstance(st["lease_left_ms"], int)
                  and 0 <= st["lease_left_ms"] <= ELECTION_TIMEOUT_MS,
                  "the leader's lease left: %r" % st)
        else:
            check(st["lease_left_ms"] is None, "no lease on node %d: %r" % (n["id"], st))
    # restart of node 3's gateway, asked of node 1
    pid = gateway_of(c, 2, "sim_a")["pid"]
    status, headers, body = http_raw(c.nodes[0]["admin"], "POST",
                                     "/api/accounts/sim_a/restart?node=3")
    check(status == 200 and json.loads(body)["node"] == 3
          and headers.get("x-hamd-node") == "3", "relayed restart: %d %r" % (status, body))
    wait_for(lambda: (gateway_of(c, 2, "sim_a") or {}).get("pid") not in (None, 0, pid),
             15, "node 3's gateway relaunched")
    status, body = c.api(0, "POST", "/api/accounts/sim_a/restart?node=9")
    check(status == 404 and body.get("field") == "node", "unknown node: %r" % body)
    # node 2's log lines, read through node 1
    status, logs = c.api(0, "GET", "/api/logs?node=2&limit=2000")
    check(status == 200 and any("raft: node 2 started" in l["msg"] for l in logs["lines"]),
          "node 2's lines through node 1")
    c.kill(2)
    status, view = c.api(0, "GET", "/api/cluster")
    dead = view["nodes"][2]
    check(status == 200 and not dead["reachable"] and dead.get("error")
          and "status" not in dead, "a dead member is marked: %r" % dead)
    check(view["nodes"][1]["reachable"], "the others still answer")


if __name__ == "__main__":
    run([test_curl_stream_gets_status_event_and_log, test_max_streams_then_503,
         test_client_that_never_reads_is_dropped, test_logs_query,
         test_console_files_etag_and_csp, test_cluster_view_and_relays])
