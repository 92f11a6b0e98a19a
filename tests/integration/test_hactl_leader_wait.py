"""hactl's writes during an election, against a fake admin API.

A write every node refuses with 503 "no leader" was never submitted, so
hactl asks again for a while (docs/hactl.md, "Which node is asked"): an
election that ends in that time costs the operator nothing. One that
does not end gets the refusal and exit code 1. Any other answer ends the
wait at once, and a 409 is never asked again.
"""
import http.server
import json
import subprocess
import threading

from hamdtest import HACTL, check, run


class FakeAdmin(http.server.ThreadingHTTPServer):
    """Answers /readyz 503 and each POST /api/subscriptions with the next
    of `answers` (status, body), the last one forever; counts the POSTs."""

    def __init__(self, answers):
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.answers = answers
        self.posts = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def address(self):
        return "127.0.0.1:%d" % self.server_address[1]

    def next_answer(self):
        with self.lock:
            answer = self.answers[min(self.posts, len(self.answers) - 1)]
            self.posts += 1
            return answer


class FakeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(503, {"error": "no leader"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.reply(*self.server.next_answer())


NO_LEADER = (503, {"error": "no leader"})
ADDED = (200, {"count": 1})


class DeadNode:
    """A node that is down: port 1 of loopback refuses at once."""

    def address(self):
        return "127.0.0.1:1"


def subs_add(*fakes):
    cmd = [HACTL]
    for f in fakes:
        cmd += ["-H", f.address()]
    return subprocess.run(cmd + ["subs", "add", "x1.SHFE"],
                          capture_output=True, text=True, timeout=60)


def test_write_waits_out_an_election():
    a, b = FakeAdmin([NO_LEADER, NO_LEADER, ADDED]), FakeAdmin([NO_LEADER])
    r = subs_add(a, b)
    check(r.returncode == 0, "hactl gave up during an election: %d %s"
          % (r.returncode, r.stderr))
    check("no leader" in r.stderr, "the wait is not said: %r" % r.stderr)
    check(a.posts == 3, "node a asked %d times, not 3" % a.posts)
    a.shutdown()
    b.shutdown()


def test_write_gives_up_without_a_leader():
    a = FakeAdmin([NO_LEADER])
    r = subs_add(a)
    check(r.returncode == 1, "exit %d where no leader came" % r.returncode)
    check("no leader" in r.stderr, "the refusal is not shown: %r" % r.stderr)
    check(a.posts > 1, "asked only once")
    a.shutdown()


def test_no_leader_beside_a_dead_node():
    """Two of three nodes down: the survivor answers "no leader". That is
    the answer (exit 1, after the wait), not "no node answered" (exit 3)
    from the dead node asked after it."""
    a = FakeAdmin([NO_LEADER])
    r = subs_add(a, DeadNode(), DeadNode())
    check(r.returncode == 1, "exit %d, %r" % (r.returncode, r.stderr))
    check("subs add: no leader" in r.stderr, "the refusal is not shown: %r"
          % r.stderr)
    check(a.posts > 1, "asked only once: no wait for an election")
    a.shutdown()


def test_other_refusal_is_not_asked_again():
    a = FakeAdmin([(409, {"error": "conflict"}), ADDED])
    r = subs_add(a)
    check(r.returncode == 4, "exit %d for a 409" % r.returncode)
    check(a.posts == 1, "a 409 was asked %d times" % a.posts)
    a.shutdown()


if __name__ == "__main__":
    run([test_write_waits_out_an_election,
         test_write_gives_up_without_a_leader,
         test_no_leader_beside_a_dead_node,
         test_other_refusal_is_not_asked_again])
