"""Runs one benchmark several times and judges its targets over the runs.

Not a test: it measures and prints, never fails on a number. On this
2-core shared host a p99 at 100,000 ticks/s swings 2 - 5x from one run to
the next (docs/performance.md, "Against the targets"), so a ratio of two
p99s from a single run passes or fails near its bound by chance. This
script runs the benchmark RUNS times, alternating an environment variable
between runs if asked (so a host that gets busier favours neither side of
a pair), takes each run's last RESULT line, and prints per field the
median, the range and, for a target, in how many runs it was met.

Usage:
  repeat.py [-n RUNS] [--alternate VAR=a,b,... [--split]] [--target 'F<=X' ...]
            [--ratio 'NAME=F1/F2' ...] [--field F ...] -- COMMAND [ARG...]

  --target 'hub_gwrelay_p99_ratio<=1.3'   a field and its bound (<= or >=)
  --ratio 'dedup_hub_p99_ratio=dedup_p99_us/hub_p99_us'
                                          a field derived in each run,
                                          usable in --target
  --field load_before                     also summarise this field
  --alternate BENCH_GWRELAY_ORDER=hub-first,relay-first
                                          run i gets value i mod len
  --split                                 one summary per value of
                                          --alternate (an A/B of two
                                          builds: HAMD_BUILD_DIR=a,b)

Examples (tests/bench/tick_path.sh reads its knobs from the environment):
  repeat.py -n 5 --alternate BENCH_GWRELAY_ORDER=hub-first,relay-first \\
      --target 'hub_gwrelay_tps_ratio>=0.9' \\
      --target 'hub_gwrelay_p99_ratio<=1.3' -- \\
      env BENCH_GWRELAY_ONLY=1 tests/bench/tick_path.sh
  repeat.py -n 3 --ratio 'dedup_hub_p99_ratio=dedup_p99_us/hub_p99_us' \\
      --target 'dedup_hub_p99_ratio<=2' --target 'rss_mb<=20' -- \\
      env BENCH_REAL=0 BENCH_GWRELAY=0 tests/bench/tick_path.sh

Each run's RESULT line is printed as it ends (prefixed "run I/N"), the
command's own output goes to stderr. The last line is
  RESULT runs=N [alternate=VAR] F_median=... F_min=... F_max=...
         [F_met=K/N] ... for every target, ratio and field, in that order;
with --split one such line per value, each with VAR=value after runs=N.
Exit status: 0 when every run printed a RESULT line, 1 when one did not
(the command failed or measured nothing), 2 for bad arguments.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

TARGET_RE = re.compile(r"^([A-Za-z0-9_]+)\s*(<=|>=)\s*(-?[0-9.]+)$")
RATIO_RE = re.compile(r"^([A-Za-z0-9_]+)=([A-Za-z0-9_]+)/([A-Za-z0-9_]+)$")
ALTERNATE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="repeat.py",
        description="Run a benchmark RUNS times; median, range and "
                    "targets met over its RESULT lines.")
    p.add_argument("-n", "--runs", type=int, default=3)
    p.add_argument("--alternate", default="",
                   help="VAR=a,b,...: run i gets VAR=values[i mod len]")
    p.add_argument("--split", action="store_true",
                   help="one summary per value of --alternate")
    p.add_argument("--target", action="append", default=[],
                   help="'FIELD<=X' or 'FIELD>=X'")
    p.add_argument("--ratio", action="append", default=[],
                   help="'NAME=F1/F2': a field derived in each run")
    p.add_argument("--field", action="append", default=[],
                   help="another field to summarise")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    if a.command and a.command[0] == "--":
        a.command = a.command[1:]
    if not a.command:
        p.error("no command after --")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    a.targets = [parse_or_die(p, TARGET_RE, t, "--target") for t in a.target]
    a.ratios = [parse_or_die(p, RATIO_RE, r, "--ratio") for r in a.ratio]
    a.alt = None
    if a.alternate:
        m = parse_or_die(p, ALTERNATE_RE, a.alternate, "--alternate")
        a.alt = (m[0], m[1].split(","))
    if a.split and not a.alt:
        p.error("--split needs --alternate")
    return a


def parse_or_die(p, rx, text, flag):
    m = rx.match(text.strip())
    if not m:
        p.error(f"{flag} {text!r}: not understood (see --help)")
    return m.groups()


def result_fields(output):
    """The fields of the last RESULT line of a run's output, as floats
    where they are numbers (others are kept as text)."""
    lines = [l for l in output.splitlines() if l.startswith("RESULT ")]
    if not lines:
        return None
    fields = {}
    for word in lines[-1].split()[1:]:
        key, _, value = word.partition("=")
        try:
            fields[key] = float(value)
        except ValueError:
            fields[key] = value
    return fields


def add_ratios(fields, ratios):
    for name, num, den in ratios:
        a, b = fields.get(num), fields.get(den)
        if isinstance(a, float) and isinstance(b, float) and b != 0:
            fields[name] = a / b


def met(value, op, bound):
    return value <= bound if op == "<=" else value >= bound


def alt_value(a, i):
    return a.alt[1][i % len(a.alt[1])] if a.alt else None


def run_once(a, i):
    env = dict(os.environ)
    label = ""
    if a.alt:
        env[a.alt[0]] = alt_value(a, i)
        label = f" {a.alt[0]}={env[a.alt[0]]}"
    proc = subprocess.run(a.command, env=env, stdout=subprocess.PIPE,
                          text=True)
    sys.stderr.write(proc.stdout)
    fields = result_fields(proc.stdout)
    if proc.returncode != 0 or fields is None:
        print(f"run {i + 1}/{a.runs}{label}: no RESULT "
              f"(exit {proc.returncode})", flush=True)
        return None
    add_ratios(fields, a.ratios)
    shown = " ".join(f"{k}={fmt(fields[k])}" for k in wanted(a)
                     if isinstance(fields.get(k), float))
    print(f"run {i + 1}/{a.runs}{label}: {shown}", flush=True)
    return fields


def wanted(a):
    names = [t[0] for t in a.targets] + [r[0] for r in a.ratios] + a.field
    return list(dict.fromkeys(names))


def fmt(x):
    return f"{x:.4g}" if abs(x) < 1e6 else f"{x:.0f}"


def summary(a, runs, value=None):
    out = [f"runs={len(runs)}"]
    if value is not None:
        out.append(f"{a.alt[0]}={value}")
    elif a.alt:
        out.append(f"alternate={a.alt[0]}")
    bounds = {name: (op, float(b)) for name, op, b in a.targets}
    for name in wanted(a):
        values = [r[name] for r in runs if isinstance(r.get(name), float)]
        if not values:
            out.append(f"{name}_median=none")
            continue
        out.append(f"{name}_median={fmt(statistics.median(values))} "
                   f"{name}_min={fmt(min(values))} "
                   f"{name}_max={fmt(max(values))}")
        if name in bounds:
            k = sum(met(v, *bounds[name]) for v in values)
            out.append(f"{name}_met={k}/{len(values)}")
    return "RESULT " + " ".join(out)


def main(argv):
    a = parse_args(argv)
    runs = [run_once(a, i) for i in range(a.runs)]
    good = [r for r in runs if r is not None]
    if a.split:
        for value in dict.fromkeys(a.alt[1]):
            mine = [r for i, r in enumerate(runs)
                    if r is not None and alt_value(a, i) == value]
            print(summary(a, mine, value), flush=True)
    else:
        print(summary(a, good), flush=True)
    return 0 if len(good) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
