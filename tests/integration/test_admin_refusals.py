"""Every refusal of the admin API is JSON (docs/api.md, "Errors"), also
those of the HTTP layer: a 20 MB body gets a 413 the client can read (no
reset), a head too large a 431, a malformed request a 400, a chunked
body a 411, an unknown Expect a 417. Each refusal of a head is counted
(hamd_admin_refused_total). Nothing of it stops the node.

What h2o itself would answer in plain text (a head it cannot parse, a
chunked body over its limit, an unknown expectation) hamd refuses first
(src/admin/admin_head.c); h2o's own answers, should one still come, are
made JSON by a filter (admin_refuse.c).

Every answer closes its connection (docs/security.md), so the screening
sees every request, not only a connection's first: a malformed request,
or a body over max_body_bytes, sent after a good one on a keep-alive
connection never reaches h2o, and clients that keep connections alive
(curl with two URLs) simply connect again.
"""
import json
import socket
import urllib.error
import urllib.request

from hamdtest import (Cluster, check, curl_connects, http_raw, run,
                      sim_account, wait_for)

BIG_BODY_BYTES = 20 * 1024 * 1024   # far over max_body_bytes (65536)
OVER_MAX_BYTES = 100 * 1024         # over it, under h2o's own 2x limit
BIG_HEADER_BYTES = 40 * 1024        # over the 32 KiB head limit
MANY_HEADERS = 150                  # over the 100 header lines taken
SOCKET_TIMEOUT_S = 5


def post(c, body, headers=None):
    """(status, headers, body bytes) of a POST /api/accounts with body."""
    return http_raw(c.nodes[0]["admin"], "POST", "/api/accounts", body,
                    dict({"Content-Type": "application/json"}, **(headers or {})),
                    timeout=SOCKET_TIMEOUT_S)


def answer_parse(data):
    """(status, headers, body bytes, bytes after it) of the answer at the
    start of data, None while data does not hold all of it (its body is
    as long as its Content-Length says)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip()
            for k, _, v in (l.partition(":") for l in lines[1:])}
    length = int(hdrs.get("content-length", "0"))
    if len(body) < length:
        return None
    return int(lines[0].split()[1]), hdrs, body[:length], body[length:]


def answer_read(s):
    """answer_parse of the first answer s yields."""
    data = b""
    while answer_parse(data) is None:
        chunk = s.recv(65536)
        check(chunk, "the connection closed before a whole answer: %r"
              % data[:200])
        data += chunk
    return answer_parse(data)


def read_to_end(s):
    """What s yields until the peer closes (a reset counts as closed)."""
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data
    except socket.timeout:
        raise AssertionError("the node kept the connection open %d s, "
                             "having sent %r" % (SOCKET_TIMEOUT_S, data[:200]))


def raw_exchange(c, payload):
    """Sends payload on a fresh connection; returns (status, headers,
    body bytes) of the answer, read until the node closes."""
    host, port = c.nodes[0]["admin"].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT_S)
    try:
        s.sendall(payload)
        data = read_to_end(s)
    finally:
        s.close()
    answer = answer_parse(data)
    check(answer is not None, "no whole answer: %r" % data[:200])
    return answer[:3]


def check_json_error(status, hdrs, body, want, what):
    check(status == want, "%s: status %d, not %d (%r)" % (what, status, want, body[:200]))
    check(hdrs.get("content-type", "").startswith("application/json"),
          "%s: content-type %r" % (what, hdrs.get("content-type")))
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError("%s: not JSON: %r" % (what, body[:200]))
    check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
          "%s: no error message in %r" % (what, doc))
    return doc["error"]


def refused_metric(c):
    """hamd_admin_refused_total, None while the node does not answer."""
    try:
        _, _, raw = http_raw(c.nodes[0]["admin"], "GET", "/metrics")
    except OSError:
        return None
    for line in raw.decode().splitlines():
        if line.startswith("hamd_admin_refused_total "):
            return int(line.split()[1])
    return None


def test_every_refusal_is_json():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], ["rb2601.SHFE"],
                name="refusals").start()
    try:
        wait_for(lambda: refused_metric(c) is not None, 20, "the node up")
        refused = 0
        # A 20 MB body, through a client that sends it all before reading.
        err = check_json_error(*post(c, b"x" * BIG_BODY_BYTES), 413, "20 MB body")
        check("max_body_bytes" in err, "413 says %r" % err)
        err = check_json_error(*post(c, b"x" * OVER_MAX_BYTES), 413, "100 KB body")
        refused += 2
        # Heads: too large, too many lines.
        check_json_error(*post(c, b"{}", {"X-Big": "b" * BIG_HEADER_BYTES}),
                         431, "a 40 KB header")
        many = b"GET /livez HTTP/1.1\r\n" + b"X-N: 1\r\n" * MANY_HEADERS + b"\r\n"
        check_json_error(*raw_exchange(c, many), 431, "150 header lines")
        refused += 2
        # Malformed requests.
        for payload, what in (
                (b"garbage\r\n\r\n", "a garbage request line"),
                (b"GET /livez HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "folding"),
                (b"POST /api/accounts HTTP/1.1\r\nContent-Length: 2\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n", "a smuggling pair"),
                (b"GET /livez HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
                 "a bad Content-Length")):
            check_json_error(*raw_exchange(c, payload), 400, what)
            refused += 1
        # What h2o would answer itself, closing on a body it has not read:
        # hamd refuses first, with the size still unknown (chunked) or an
        # expectation it does not know.
        check_json_error(*raw_exchange(c, b"POST /api/accounts HTTP/1.1\r\nHost: x\r\n"
                                          b"Transfer-Encoding: chunked\r\n\r\n"
                                          b"2\r\n{}\r\n0\r\n\r\n"),
                         411, "a chunked body")
        check_json_error(*raw_exchange(c, b"POST /api/accounts HTTP/1.1\r\nHost: x\r\n"
                                          b"Expect: magic\r\nContent-Length: 2\r\n\r\n{}"),
                         417, "unknown Expect")
        refused += 2
        # Refusals of the API itself stay JSON, and the node serves on.
        check_json_error(*http_raw(c.nodes[0]["admin"], "GET", "/nope"), 404, "404")
        check_json_error(*http_raw(c.nodes[0]["admin"], "DELETE", "/livez"), 405, "405")
        check_json_error(*post(c, b"{not json"), 400, "not JSON")
        with urllib.request.urlopen("http://%s/livez" % c.nodes[0]["admin"],
                                    timeout=SOCKET_TIMEOUT_S) as r:
            check(r.status == 200, "the node stopped serving")
        got = refused_metric(c)
        check(got == refused, "hamd_admin_refused_total %r, %d refused" % (got, refused))
        check("admin: refused a request from 127.0.0.1" in c.log_text(0),
              "refusals not logged")
    finally:
        c.cleanup()


# First requests on a keep-alive connection, one of each kind of answer
# (a handler's JSON, a console asset, the router's errors, a handler's
# refusal), and their status.
FIRST_REQUESTS = (
    ("GET", "/livez", 200),
    ("GET", "/", 200),
    ("GET", "/nope", 404),
    ("DELETE", "/livez", 405),
    ("GET", "/api/status?bad=%zz", 400),
)
# What follows on the same connection: what h2o would refuse in plain
# text, and a body over max_body_bytes (sent without its body: h2o would
# wait for it, the screening refuses on the Content-Length).
BAD_HEADER_LINE = (b"GET /livez HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                   "a bad header line")
BODY_OVER_MAX = (b"POST /api/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 b"application/json\r\nContent-Length: %d\r\n\r\n"
                 % OVER_MAX_BYTES, "a body over max_body_bytes")


def keepalive_open(c, method, path):
    """A connection to node 1 that sent method path asking for keep-alive,
    and the answer's (status, headers, body, bytes after it)."""
    host, port = c.nodes[0]["admin"].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT_S)
    s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
              % (method.encode(), path.encode()))
    return s, answer_read(s)


def check_second_request(c, first, second):
    """first (method, path, status) on a keep-alive connection, then
    second (bytes, what) on it: the first answer says Connection: close,
    and nothing h2o would say in plain text follows (the node closed; or,
    had it read the second request, a JSON refusal)."""
    what = "%s %s, then %s" % (first[0], first[1], second[1])
    s, (status, hdrs, body, rest) = keepalive_open(c, first[0], first[1])
    try:
        check(status == first[2], "%s: first answer %d %r"
              % (what, status, body[:200]))
        check(hdrs.get("connection", "").lower() == "close",
              "%s: the first answer keeps the connection (Connection: %r)"
              % (what, hdrs.get("connection")))
        try:
            s.sendall(second[0])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node had closed already: nothing more to read
        rest += read_to_end(s)
    finally:
        s.close()
    if rest:
        answer = answer_parse(rest)
        check(answer is not None, "%s: then %r" % (what, rest[:200]))
        check_json_error(answer[0], answer[1], answer[2], answer[0],
                         what + " (the second answer)")


def test_every_answer_closes():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], ["rb2601.SHFE"],
                name="keepalive").start()
    try:
        wait_for(lambda: refused_metric(c) is not None, 20, "the node up")
        for first in FIRST_REQUESTS:
            check_second_request(c, first, BAD_HEADER_LINE)
        check_second_request(c, FIRST_REQUESTS[0], BODY_OVER_MAX)
        # The live stream too: it closes its connection when it ends.
        s, (status, hdrs, _, _) = keepalive_open(c, "GET", "/api/stream")
        s.close()
        check(status == 200 and hdrs.get("connection", "").lower() == "close",
              "the live stream: %d, Connection: %r"
              % (status, hdrs.get("connection")))
        # Keep-alive clients connect again for each request, unaware.
        connects = curl_connects(c, 0, ["/livez", "/api/status"])
        check(connects in (None, [1, 1]),
              "curl reused a connection: %r connects" % connects)
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_every_refusal_is_json, test_every_answer_closes])
