"""HEAD on the admin API (docs/api.md, "Endpoints"): answered wherever GET
is, as RFC 9110 asks of a general-purpose server, since load balancers
probe with it. Proves, against a standalone node: HEAD on every GET route
(the probes, /metrics, the API's reads, the console's files) gets the
status and the headers of a GET, a Content-Length of the GET body, and no
body; HEAD on the live stream answers its headers and closes, holding no
stream; HEAD on a POST-only route stays 405 with its Allow header, which
names HEAD beside GET wherever GET is; the stream and the POST routes
still work.
"""
import json
import socket

from hamdtest import Cluster, check, http_raw, run, sim_account, wait_for

SOCKET_TIMEOUT_S = 5
# GET routes whose body stays the same from one request to the next: the
# HEAD's Content-Length must be the GET body's length.
STABLE_PATHS = ("/livez", "/healthz", "/readyz", "/api/accounts/sim_a",
                "/api/subscriptions", "/", "/console/app.js", "/api/docs",
                "/api/openapi.json")
# GET routes whose body changes (counters, times, log lines): a HEAD gets
# a Content-Length, not necessarily the next GET's.
MOVING_PATHS = ("/metrics", "/api/status", "/api/accounts", "/api/contracts",
                "/api/members", "/api/events", "/api/cluster", "/api/logs")


def exchange(c, method, path):
    """(status, {lower-case header: value}, bytes after the head) of one
    request on a fresh connection, read until the node closes it."""
    host, port = c.nodes[0]["admin"].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT_S)
    data = b""
    try:
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\n\r\n"
                  % (method.encode(), path.encode()))
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        raise AssertionError("%s %s: the node kept the connection open %d s, "
                             "having sent %r" % (method, path, SOCKET_TIMEOUT_S,
                                                 data[:300]))
    finally:
        s.close()
    head, sep, body = data.partition(b"\r\n\r\n")
    check(sep, "%s %s: no whole head in %r" % (method, path, data[:300]))
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip()
            for k, _, v in (l.partition(":") for l in lines[1:])}
    return int(lines[0].split()[1]), hdrs, body


def node_up(c):
    try:
        return http_raw(c.nodes[0]["admin"], "GET", "/livez")[0] == 200
    except OSError:
        return False


def check_head_like_get(c, path, same_length):
    what = "HEAD %s" % path
    g_status, g_hdrs, g_body = exchange(c, "GET", path)
    h_status, h_hdrs, h_body = exchange(c, "HEAD", path)
    check(h_status == g_status, "%s: %d, GET %d" % (what, h_status, g_status))
    check(h_body == b"", "%s sent a body: %r" % (what, h_body[:200]))
    check(h_hdrs.get("content-type") == g_hdrs.get("content-type"),
          "%s: content-type %r, GET %r" % (what, h_hdrs.get("content-type"),
                                           g_hdrs.get("content-type")))
    length = h_hdrs.get("content-length", "")
    check(length.isdigit() and int(length) > 0,
          "%s: Content-Length %r" % (what, length))
    if same_length:
        check(int(length) == len(g_body),
              "%s: Content-Length %s, GET body %d bytes" % (what, length,
                                                            len(g_body)))


def test_head_answers_like_get():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], ["rb2601.SHFE"],
                name="headmethod").start()
    try:
        wait_for(lambda: node_up(c), 20, "the node up")
        for path in STABLE_PATHS:
            check_head_like_get(c, path, True)
        for path in MOVING_PATHS:
            check_head_like_get(c, path, False)
        # The live stream: its headers, then the end (a GET never ends).
        status, hdrs, body = exchange(c, "HEAD", "/api/stream")
        check(status == 200 and body == b"" and
              hdrs.get("content-type", "").startswith("text/event-stream"),
              "HEAD /api/stream: %d %r %r" % (status, hdrs, body[:200]))
        # A POST-only route refuses HEAD, naming what it takes.
        status, hdrs, body = exchange(c, "HEAD", "/api/failover")
        check(status == 405 and hdrs.get("allow") == "POST" and body == b"",
              "HEAD /api/failover: %d %r %r" % (status, hdrs, body[:200]))
        status, hdrs, _ = exchange(c, "DELETE", "/livez")
        check(status == 405 and hdrs.get("allow") == "GET, HEAD",
              "DELETE /livez: %d, Allow %r" % (status, hdrs.get("allow")))
        status, _, _ = exchange(c, "HEAD", "/nope")
        check(status == 404, "HEAD /nope: %d" % status)
        # GET and POST routes answer as before.
        host, port = c.nodes[0]["admin"].rsplit(":", 1)
        s = socket.create_connection((host, int(port)),
                                     timeout=SOCKET_TIMEOUT_S)
        try:
            s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b"stream #" not in got:
                chunk = s.recv(4096)
                check(chunk, "the stream closed: %r" % got[:300])
                got += chunk
            check(got.startswith(b"HTTP/1.1 200"), "GET /api/stream: %r" % got[:200])
        finally:
            s.close()
        status, _, body = http_raw(c.nodes[0]["admin"], "POST", "/api/pause",
                                   b"{}", {"Content-Type": "application/json"})
        check(status == 200, "POST /api/pause: %d %r" % (status, body[:200]))
        check(json.loads(body), "POST /api/pause: %r" % body[:200])
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_head_answers_like_get])
