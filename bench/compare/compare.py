"""Compare convbench's bench.jar with PyTorch, case by case, on the same cores.

    python3 bench/compare/compare.py                       # the six target cases, 2 rounds
    python3 bench/compare/compare.py --torch-only          # only the PyTorch side (no jar needed)
    python3 bench/compare/compare.py --cases alexnet-conv:32:forward --rounds 3 --steps 100

For every case and round, ours then theirs, each in a fresh process started by this script:
    java -jar bench.jar NET --device cpu --threads T --batch B --steps S --warmup W --mode M --format json --quiet --budget none
    PYTHON torch_bench.py NET (the same arguments, but the budget)
Both print bench.jar's JSON (per-step samples_ms); the statistics here are recomputed from the
samples of all rounds together, the seeds' way (mean, sd = sqrt(E[t^2] - mean^2)).

Peak memory is the child's peak resident set (ru_maxrss from os.wait4 on that very child, so no
other process's peak can leak into it). CPU contention: the share of the machine's CPU time spent
by other processes while the child ran (from /proc/stat, minus the child's own user+system time);
a figure above --max-contention marks the run as disturbed.

This script needs only the standard library; the PyTorch side runs under an interpreter that has
torch (found automatically, or --python).
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from torch_python import find_torch_python  # noqa: E402
from seed_stats import stats_of  # noqa: E402,F401  (compare.stats_of is used by the tests too)

MODES = ("forward", "forward-backward")
TARGET_CASES = "alexnet-conv:32,vgg16:4,resnet50:8"
DEFAULT_JAR = os.path.join(REPO, "bench", "target", "bench.jar")
# Debian's python3-torch does its matrix products (vgg16's fc layers) in whatever libblas.so.3 the
# system alternative points to; the reference BLAS there is ~3x slower than OpenBLAS on vgg16's fc6.
OPENBLAS_DIRS = ("/usr/lib/x86_64-linux-gnu/openblas-openmp", "/usr/lib/x86_64-linux-gnu/openblas-pthread")


class CompareError(Exception):
    """A failure the user can fix: one sentence, non-zero exit."""


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

def parse_cases(spec):
    """'net:batch[:mode],...' to [(net, batch, mode)]; without a mode both modes, forward first."""
    cases = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise CompareError("case '%s' is not NET:BATCH or NET:BATCH:MODE" % item)
        net, batch = parts[0], parts[1]
        try:
            batch = int(batch)
        except ValueError:
            raise CompareError("case '%s': batch '%s' is not an integer" % (item, batch))
        if batch < 1:
            raise CompareError("case '%s': batch must be at least 1" % item)
        modes = MODES if len(parts) == 2 else (parts[2],)
        for m in modes:
            if m not in MODES:
                raise CompareError("case '%s': mode '%s' is not forward or forward-backward" % (item, m))
            cases.append((net, batch, m))
    if not cases:
        raise CompareError("no cases given")
    return cases


def case_name(case):
    net, batch, mode = case
    return "%s b%d %s" % (net, batch, mode)


# ---------------------------------------------------------------------------------------------
# Statistics and the benchmark JSON
# ---------------------------------------------------------------------------------------------

def parse_bench_json(text, case, steps, who):
    """The result for case from bench.jar's (or torch_bench.py's) stdout. Raises CompareError."""
    net, batch, mode = case
    doc = None
    try:
        doc = json.loads(text)
    except ValueError:
        # tolerate stray lines around the object: take the last line that parses as an object
        for line in reversed(text.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    doc = json.loads(line)
                    break
                except ValueError:
                    continue
    if not isinstance(doc, dict):
        raise CompareError("%s printed no JSON object for %s (first 200 characters: %r)"
                           % (who, case_name(case), text[:200]))
    results = doc.get("results")
    if not isinstance(results, list) or not results:
        raise CompareError("%s's JSON for %s has no non-empty \"results\" list" % (who, case_name(case)))
    match = [r for r in results if isinstance(r, dict) and r.get("net") == net and r.get("mode") == mode
             and r.get("batch") == batch]
    if not match:
        got = ", ".join("%s/%s/b%s" % (r.get("net"), r.get("mode"), r.get("batch"))
                        for r in results if isinstance(r, dict))
        raise CompareError("%s's JSON has no result for %s (it has: %s)" % (who, case_name(case), got))
    r = match[0]
    samples = r.get("samples_ms")
    if not isinstance(samples, list) or not samples or not all(
            isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0 for t in samples):
        raise CompareError("%s's result for %s has no list of non-negative numbers \"samples_ms\""
                           % (who, case_name(case)))
    if len(samples) != steps:
        raise CompareError("%s timed %d steps for %s, %d were asked for" % (who, len(samples), case_name(case), steps))
    return {"samples_ms": [float(t) for t in samples],
            "reported_stats": r.get("stats") if isinstance(r.get("stats"), dict) else {},
            "memory": r.get("memory") if isinstance(r.get("memory"), dict) else {},
            "image_size": r.get("image_size"),
            "environment": doc.get("environment") if isinstance(doc.get("environment"), dict) else {},
            "config": doc.get("config") if isinstance(doc.get("config"), dict) else {}}


# ---------------------------------------------------------------------------------------------
# Running a child: peak RSS from wait4, CPU contention from /proc/stat
# ---------------------------------------------------------------------------------------------

def _cpu_jiffies():
    """(busy, total) jiffies of the whole machine, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - idle, total


def busy_share(seconds=1.0):
    """Share of all CPUs busy over the next `seconds` (None without /proc/stat)."""
    a = _cpu_jiffies()
    time.sleep(seconds)
    b = _cpu_jiffies()
    if not a or not b or b[1] <= a[1]:
        return None
    return (b[0] - a[0]) / (b[1] - a[1])


def wait_idle(limit_s, threshold):
    """Waits up to limit_s seconds for a second in which the machine is busy below threshold."""
    t0 = time.monotonic()
    while True:
        share = busy_share(1.0)
        if share is None or share <= threshold:
            return
        if time.monotonic() - t0 >= limit_s:
            print("  (machine still %.0f%% busy after waiting %d s; running anyway)" % (100 * share, limit_s))
            return
        time.sleep(2.0)


def run_child(cmd, env, cpus, timeout_s):
    """Runs cmd; returns (exit code, stdout, stderr, peak RSS bytes, wall s, contention or None)."""
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        def pin():
            if cpus:
                os.sched_setaffinity(0, cpus)
        before = _cpu_jiffies()
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                    preexec_fn=pin if cpus else None)
        except OSError as e:
            raise CompareError("could not start %s: %s" % (cmd[0], e.strerror or e))
        status, ru = None, None
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() - t0 > timeout_s:
                proc.send_signal(signal.SIGKILL)
                _, status, ru = os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise CompareError("%s ran past the %d s timeout (raise --timeout)" % (os.path.basename(cmd[0]), timeout_s))
            time.sleep(0.05)
        wall = time.monotonic() - t0
        after = _cpu_jiffies()
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    contention = None
    if before and after and after[1] > before[1]:
        busy = (after[0] - before[0]) / hz
        own = ru.ru_utime + ru.ru_stime
        # other processes' CPU seconds over the CPU seconds the whole machine offered
        contention = max(0.0, busy - own) / (wall * max(1, os.cpu_count() or 1))
    return code, stdout, stderr, ru.ru_maxrss * 1024, wall, contention


# ---------------------------------------------------------------------------------------------
# The two sides
# ---------------------------------------------------------------------------------------------

def side_commands(args, python):
    def common(case):
        net, batch, mode = case
        return [net, "--device", "cpu", "--threads", str(args.threads), "--batch", str(batch),
                "--steps", str(args.steps), "--warmup", str(args.warmup), "--mode", mode,
                "--format", "json", "--quiet"]

    sides = []
    if not args.torch_only:
        # --budget none: every step asked for, as on the PyTorch side (bench.jar stops a CPU mode after 20 s by default)
        sides.append(("ours", lambda case: [args.java] + args.java_opt + ["-jar", args.bench_jar] + common(case)
                      + ["--budget", "none"]))
    if not args.ours_only:
        sides.append(("pytorch", lambda case: [python, os.path.join(HERE, "torch_bench.py")] + common(case)))
    return sides


def torch_blas_dir(choice):
    """The directory to put first on the PyTorch side's LD_LIBRARY_PATH, or None for the system's libblas."""
    if choice == "system":
        return None
    if choice == "auto":
        return next((d for d in OPENBLAS_DIRS if os.path.exists(os.path.join(d, "libblas.so.3"))), None)
    if choice == "openblas":
        d = next((d for d in OPENBLAS_DIRS if os.path.exists(os.path.join(d, "libblas.so.3"))), None)
        if d is None:
            raise CompareError("--torch-blas openblas: no OpenBLAS found; `apt-get install -y libopenblas0-openmp`")
        return d
    if not os.path.exists(os.path.join(choice, "libblas.so.3")):
        raise CompareError("--torch-blas %s: that directory has no libblas.so.3" % choice)
    return choice


def check_tools(args):
    """Resolve java, the jar and the torch interpreter; raise CompareError with one clear sentence."""
    python = None
    if not args.torch_only:
        if not os.path.isfile(args.bench_jar):
            raise CompareError("bench.jar not found at %s; build it (see bench/compare/README.md) or pass "
                               "--bench-jar PATH, or use --torch-only" % args.bench_jar)
        java = args.java
        if os.sep not in java:
            from shutil import which
            found = which(java)
            if not found:
                raise CompareError("java not found on PATH; install a JDK 17+ or pass --java PATH")
            java = found
        elif not os.access(java, os.X_OK):
            raise CompareError("--java %s is not an executable file" % java)
        args.java = java
    if not args.ours_only:
        python = find_torch_python(args.python)
        if python is None:
            if args.python:
                raise CompareError("--python %s cannot import torch and numpy" % args.python)
            raise CompareError("no Python interpreter with torch found (tried this one and /usr/bin/python3); "
                               "run `apt-get install -y python3-torch` or pass --python PATH")
    return python


def child_env(threads):
    env = dict(os.environ)
    # the same thread-pool sizes for both processes (OpenMP / oneDNN inside torch)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    return env


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def fmt_ms(st):
    return "%9.1f +- %-7.1f" % (st["mean_ms"], st["sd_ms"])


def fmt_mib(b):
    return "%7.0f" % (b / 2 ** 20) if b else "      -"


def summarise(case, runs, sides):
    """Pool the rounds of each side; ratio ours / pytorch of means and of peak RSS."""
    row = {"net": case[0], "batch": case[1], "mode": case[2]}
    for side in sides:
        rs = runs[side]
        if not rs:
            continue
        pooled = [t for r in rs for t in r["samples_ms"]]
        row[side] = {
            "stats": stats_of(pooled),
            "round_means_ms": [stats_of(r["samples_ms"])["mean_ms"] for r in rs],
            "samples_ms_rounds": [list(r["samples_ms"]) for r in rs],  # every timed step, to study the spread
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in rs),
            "peak_rss_bytes_rounds": [r["peak_rss_bytes"] for r in rs],
            "contention_rounds": [r["contention"] for r in rs],
            "attempts_rounds": [r["attempts"] for r in rs],
            "wall_s_rounds": [r["wall_s"] for r in rs],
            "reported_memory": rs[-1]["memory"],
            "reported_stats_last_round": rs[-1]["reported_stats"],
        }
    if "ours" in row and "pytorch" in row:
        o, p = row["ours"], row["pytorch"]
        row["ratio_mean"] = o["stats"]["mean_ms"] / p["stats"]["mean_ms"]
        per_round = [a / b for a, b in zip(o["round_means_ms"], p["round_means_ms"])]
        row["ratio_mean_rounds"] = per_round
        if o["peak_rss_bytes"] and p["peak_rss_bytes"]:
            row["ratio_peak_rss"] = o["peak_rss_bytes"] / p["peak_rss_bytes"]
    return row


def print_table(rows, sides, max_contention):
    head = "%-34s" % "case"
    for s in sides:
        head += " | %-20s %7s" % (s + " ms (mean +- sd)", "RSS MiB")
    if len(sides) == 2:
        head += " | %-17s %9s" % ("time ours/pytorch", "RSS ratio")
    print(head)
    print("-" * len(head))
    for row in rows:
        line = "%-34s" % case_name((row["net"], row["batch"], row["mode"]))
        for s in sides:
            if s in row:
                line += " | %s %7s" % (fmt_ms(row[s]["stats"]), fmt_mib(row[s]["peak_rss_bytes"]))
            else:
                line += " | %-20s %7s" % ("-", "-")
        if "ratio_mean" in row:
            rr = row["ratio_mean_rounds"]
            line += " | %5.2f (%.2f-%.2f)  %9s" % (row["ratio_mean"], min(rr), max(rr),
                                                  "%.2f" % row["ratio_peak_rss"] if "ratio_peak_rss" in row else "-")
        disturbed = [c for s in sides if s in row for c in row[s]["contention_rounds"]
                     if c is not None and c > max_contention]
        if disturbed:
            line += "  [contended: up to %.0f%% of the CPU used by others]" % (100 * max(disturbed))
        print(line)


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Time bench.jar against PyTorch on the same cores, alternating runs.",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--cases", default=TARGET_CASES,
                    help="comma-separated NET:BATCH (both modes) or NET:BATCH:MODE")
    ap.add_argument("--threads", type=int, default=2, help="threads of both sides")
    ap.add_argument("--rounds", type=int, default=2, help="ours, pytorch alternations per case")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per run (the seeds use 100)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps before them (the seeds' burn-in)")
    ap.add_argument("--bench-jar", default=DEFAULT_JAR, help="our benchmark jar")
    ap.add_argument("--java", default="java", help="the java executable")
    ap.add_argument("--java-opt", action="append", default=[], metavar="OPT",
                    help="a JVM option for our side, repeatable (e.g. --java-opt=-Xmx4g)")
    ap.add_argument("--python", default=None, help="interpreter with torch (default: this one or /usr/bin/python3)")
    ap.add_argument("--torch-blas", default="auto", metavar="auto|openblas|system|DIR",
                    help="BLAS for PyTorch's matrix products: auto = OpenBLAS where installed, else the system's")
    ap.add_argument("--cpus", default=None, help="pin both sides to these CPUs, e.g. 0-1 or 0,1 (default: inherit)")
    ap.add_argument("--torch-only", action="store_true", help="run only the PyTorch side")
    ap.add_argument("--ours-only", action="store_true", help="run only bench.jar")
    ap.add_argument("--json", metavar="OUT", help="write the machine-readable results here")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds one run may take")
    ap.add_argument("--max-contention", type=float, default=0.05,
                    help="flag runs where other processes used more than this share of the CPU")
    ap.add_argument("--wait-idle", type=int, default=0, metavar="S",
                    help="before each run, wait up to S seconds for the machine to be idle (busy <= --max-contention)")
    ap.add_argument("--retry-contended", type=int, default=0, metavar="N",
                    help="rerun a contended run up to N times, keeping the least contended attempt")
    args = ap.parse_args(argv)

    try:
        if args.torch_only and args.ours_only:
            raise CompareError("--torch-only and --ours-only exclude each other")
        for name in ("threads", "rounds", "steps"):
            if getattr(args, name) < 1:
                raise CompareError("--%s must be at least 1" % name.replace("_", "-"))
        if args.warmup < 0:
            raise CompareError("--warmup must be at least 0")
        cases = parse_cases(args.cases)
        cpus = None
        if args.cpus:
            cpus = set()
            try:
                for part in args.cpus.split(","):
                    a, _, b = part.partition("-")
                    cpus.update(range(int(a), int(b or a) + 1))
            except ValueError:
                raise CompareError("--cpus '%s' is not a list like 0-1 or 0,1" % args.cpus)
        python = check_tools(args)
        sides = side_commands(args, python)
        side_names = [s for s, _ in sides]
        env = child_env(args.threads)
        blas_dir = None if args.ours_only else torch_blas_dir(args.torch_blas)
        torch_env = dict(env)
        if blas_dir:
            torch_env["LD_LIBRARY_PATH"] = blas_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")

        print("compare: %d case(s) x %d round(s), %d threads, %d warm-up + %d timed steps; sides: %s"
              % (len(cases), args.rounds, args.threads, args.warmup, args.steps, ", ".join(side_names)))
        if python:
            print("compare: pytorch runs under %s with %s" % (
                python, ("the BLAS in " + blas_dir) if blas_dir else "the system's libblas.so.3"))
        if not args.torch_only:
            print("compare: ours is %s -jar %s" % (args.java, args.bench_jar))
        sys.stdout.flush()

        rows, environments = [], {}
        for case in cases:
            runs = {s: [] for s in side_names}
            for rnd in range(1, args.rounds + 1):
                for side, make_cmd in sides:
                    res = None
                    for attempt in range(args.retry_contended + 1):
                        if args.wait_idle:
                            wait_idle(args.wait_idle, args.max_contention)
                        code, out, err, rss, wall, cont = run_child(
                            make_cmd(case), torch_env if side == "pytorch" else env, cpus, args.timeout)
                        if code != 0:
                            tail = "\n".join(err.strip().splitlines()[-15:])
                            raise CompareError("%s failed on %s with exit code %d; its last error lines:\n%s"
                                               % (side, case_name(case), code, tail))
                        new = parse_bench_json(out, case, args.steps, side)
                        new.update(peak_rss_bytes=rss, wall_s=wall, contention=cont, attempts=attempt + 1)
                        if res is None or (cont or 0) < (res["contention"] or 0):
                            res = new
                        if cont is None or cont <= args.max_contention:
                            break
                        if attempt < args.retry_contended:
                            print("  round %d %-8s %-32s contended (others used %.0f%% CPU), running again"
                                  % (rnd, side, case_name(case), 100 * cont))
                    runs[side].append(res)
                    rep = res["reported_stats"].get("mean_ms")
                    mean = stats_of(res["samples_ms"])["mean_ms"]
                    if isinstance(rep, (int, float)) and abs(rep - mean) > 0.01 * mean:
                        print("  warning: %s reports a mean of %.3f ms, its samples give %.3f ms" % (side, rep, mean))
                    environments.setdefault(side, res["environment"])
                    st = stats_of(res["samples_ms"])
                    print("  round %d %-8s %-32s %8.1f ms +- %.1f, peak RSS %.0f MiB, %.0f s%s" % (
                        rnd, side, case_name(case), st["mean_ms"], st["sd_ms"], res["peak_rss_bytes"] / 2 ** 20,
                        res["wall_s"], "" if res["contention"] is None
                        else ", others used %.0f%% CPU" % (100 * res["contention"])))
                    sys.stdout.flush()
            rows.append(summarise(case, runs, side_names))
        print()
        print_table(rows, side_names, args.max_contention)
        print("\ntimes: mean +- sd over all rounds' timed steps (sd = sqrt(E[t^2] - mean^2)); ratio: ours / pytorch of "
              "those means (range: per-round ratios); RSS: the process's peak resident set (wait4 ru_maxrss), max over rounds")
        if args.json:
            doc = {"config": {"cases": [list(c) for c in cases], "threads": args.threads, "rounds": args.rounds,
                              "steps": args.steps, "warmup": args.warmup, "cpus": sorted(cpus) if cpus else None,
                              "bench_jar": None if args.torch_only else os.path.abspath(args.bench_jar),
                              "java": None if args.torch_only else args.java, "java_opts": args.java_opt,
                              "python": python, "torch_blas_dir": blas_dir, "order": "per case: round 1 ours, pytorch; round 2 ours, pytorch; ...",
                              "peak_rss": "ru_maxrss of the child from os.wait4",
                              "contention": "share of all CPUs used by other processes during the run (/proc/stat)"},
                   "machine": {"node": platform.node(), "platform": platform.platform(),
                               "logical_cpus": os.cpu_count()},
                   "environments": environments,
                   "cases": rows}
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)
            print("wrote %s" % args.json)
    except CompareError as e:
        print("compare: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("compare: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
