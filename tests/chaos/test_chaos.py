"""Chaos tests, short form (ctest): the VIP hooks, then one round of every
scenario of tests/chaos/run in network namespaces, about 2 minutes.
The keepalived scenarios are skipped, with a line saying why, when
keepalived is not installed.

Without root or network namespaces it prints why and exits 77, which
CMake reports as skipped. Otherwise the closing line is "N passed,
N failed", and the exit status 1 when anything failed.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netlab  # noqa: E402
from labcluster import HAMD, log, make_lab  # noqa: E402
from hookcheck import check_handoff, check_hooks  # noqa: E402
from scenarios import SCENARIOS, result_line, run_scenario, unavailable  # noqa: E402

EXIT_SKIP = 77


def main():
    ok, why = netlab.usable()
    if not ok:
        print("SKIP: chaos tests need root and network namespaces (%s)" % why)
        return EXIT_SKIP
    if not os.access(HAMD, os.X_OK):
        print("SKIP: %s is not built" % HAMD)
        return EXIT_SKIP
    netlab.install_cleanup()
    passed = failed = 0
    lab = make_lab()
    try:
        t0 = time.monotonic()
        try:
            check_hooks(lab, "n1")
            check_handoff(lab, "n1", "n2")
            passed += 1
            log("PASS vip_hooks (%.1fs)" % (time.monotonic() - t0))
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            log("FAIL vip_hooks: %s: %s" % (type(e).__name__, e))
        for name in SCENARIOS:
            why = unavailable(name)
            if why:
                log("SKIP %s: %s" % (name, why))
                continue
            t0 = time.monotonic()
            o = run_scenario(lab, name, 1)
            for note in o.notes:
                log("  %s" % note)
            print(result_line(name, [o]))
            sys.stdout.flush()
            if o.failures:
                failed += 1
                log("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0,
                                              "; ".join(o.failures)))
            else:
                passed += 1
                log("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
    finally:
        lab.down()
    leftovers = [n for n in netlab.netns_names() if n.startswith(netlab.NAME_PREFIX)]
    if leftovers:
        failed += 1
        log("FAIL cleanup: namespaces left: %s" % leftovers)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
