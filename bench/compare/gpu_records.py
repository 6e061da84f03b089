#!/usr/bin/env python3
"""Summarises the GPU record of issue 5: the JSON reports that the GPU kit's records.sh writes
(records/<net>-<fp32|tf32>.json), as one Markdown document for bench/results/.

    python3 bench/compare/gpu_records.py OUT/records > bench/results/gpu-<device>-<date>.md

It states the machine and library versions from the reports' environment (and nvidia-smi.txt when
present), then one row per net, precision and mode: mean / p50 / min ms per batch, images/s,
TFLOP/s and share of the device's peak. A time below the compute floor of REFERENCE.md (an H100 at
its peak rate) or a report flagged as above the device's peak means broken timing and is marked
"BROKEN"; a net whose report is missing or failed is listed as such, with the last line of its log.
Exit status 1 when any row is broken or missing, so a script can tell.
"""

import argparse
import json
import os
import sys

NETS = ["alexnet-conv", "alexnet", "vgg16", "inception3", "resnet50", "resnet101", "resnet152", "resnet200"]
PRECISIONS = ["fp32", "tf32"]

# REFERENCE.md, "Speed anchors": compute floors at batch 32 on an H100 (ms), (forward, forward-backward)
FLOORS_B32 = {
    ("vgg16", "fp32"): (14.8, 44.0), ("vgg16", "tf32"): (2.0, 6.0),
    ("resnet152", "fp32"): (10.4, 31.0), ("resnet152", "tf32"): (1.4, 4.2),
    ("inception3", "fp32"): (5.5, 16.0), ("inception3", "tf32"): (0.74, 2.2),
    ("alexnet-conv", "fp32"): (0.63, 1.9), ("alexnet-conv", "tf32"): (0.09, 0.26),
}

ENV_KEYS = ["device", "compute capability", "memory", "driver", "CUDA runtime", "cuDNN", "cuBLAS", "JCuda",
            "own kernels", "conv algorithms", "java"]


def load(path):
    with open(path) as f:
        return json.load(f)


def last_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
        return lines[-1] if lines else "(empty log)"
    except OSError:
        return "(no log)"


def floor_ms(net, precision, mode, batch):
    f = FLOORS_B32.get((net, precision))
    if f is None or batch != 32:
        return None
    return f[0] if mode == "forward" else f[1]


def rows(records):
    """(rows, problems): one row per (net, precision, mode) found, and the missing / broken ones."""
    out, problems = [], []
    for net in NETS:
        for p in PRECISIONS:
            path = os.path.join(records, f"{net}-{p}.json")
            if not os.path.exists(path):
                if os.path.exists(os.path.join(records, f"{net}-{p}.log")):
                    problems.append(f"{net} {p}: no report; its log ends with: {last_line(os.path.join(records, f'{net}-{p}.log'))}")
                continue
            doc = load(path)
            for r in doc.get("results", []):
                s = r["stats"]
                floor = floor_ms(net, p, r["mode"], r["batch"])
                broken = s.get("timing_above_device_peak", False) or (floor is not None and s["min_ms"] < floor)
                if broken:
                    problems.append(f"{net} {p} {r['mode']}: min {s['min_ms']:.3f} ms is impossible"
                                    + (f" (floor {floor} ms)" if floor is not None else " (above the device's peak)"))
                out.append({"net": net, "precision": p, "mode": r["mode"], "batch": r["batch"], "size": r["image_size"],
                            "mean": s["mean_ms"], "p50": s["p50_ms"], "min": s["min_ms"], "ips": s["images_per_s"],
                            "tflops": s["gflops"] / 1e3, "peak": s.get("peak_percent"), "steps": r["steps"],
                            "floor": floor, "broken": broken})
    return out, problems


def environment(records):
    for net in NETS:
        for p in PRECISIONS:
            path = os.path.join(records, f"{net}-{p}.json")
            if os.path.exists(path):
                doc = load(path)
                return doc.get("environment", {}), doc.get("config", {}), doc.get("convbench", "?")
    return {}, {}, "?"


def render(records):
    env, config, version = environment(records)
    table, problems = rows(records)
    out = ["# convbench on the GPU: every net, batch 32, strict FP32 and TF32", ""]
    out.append(f"convbench {version}; reports read from `{os.path.basename(os.path.normpath(records))}/`"
               f" ({config.get('steps', '?')} timed steps after {config.get('warmup', '?')} burn-in, cuDNN algorithms:"
               f" {config.get('cudnn_algo', '?')}).")
    out.append("")
    for k in ENV_KEYS:
        if k in env:
            out.append(f"- {k}: {env[k]}")
    for k, v in env.items():
        if k.startswith("loaded ") or k.startswith("fallback: "):
            out.append(f"- {k}: {v}")
    smi = os.path.join(records, "nvidia-smi.txt")
    if os.path.exists(smi):
        with open(smi, errors="replace") as f:
            head = [l.rstrip() for l in f][:12]
        out += ["", "nvidia-smi:", "", "```"] + head + ["```"]
    out += ["", "| net | precision | mode | batch x size | mean ms | p50 ms | min ms | images/s | TFLOP/s | % of peak | floor ms |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in table:
        peak = "" if r["peak"] is None else f"{r['peak']:.1f}"
        floor = "" if r["floor"] is None else f"{r['floor']}"
        mark = " BROKEN" if r["broken"] else ""
        out.append(f"| {r['net']} | {r['precision']} | {r['mode']} | {r['batch']} x {r['size']} | {r['mean']:.3f}{mark} | "
                   f"{r['p50']:.3f} | {r['min']:.3f} | {r['ips']:.0f} | {r['tflops']:.2f} | {peak} | {floor} |")
    missing = [f"{n} {p}" for n in NETS for p in PRECISIONS if not os.path.exists(os.path.join(records, f"{n}-{p}.json"))]
    if missing:
        out += ["", "Missing reports: " + ", ".join(missing) + "."]
    if problems:
        out += ["", "Problems:", ""] + [f"- {p}" for p in problems]
    return "\n".join(out) + "\n", bool(problems or missing)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("records", help="the records directory (OUT/records of the GPU kit's records.sh)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.records):
        print(f"gpu_records: {a.records} is not a directory: pass the records folder that records.sh wrote", file=sys.stderr)
        return 2
    doc, bad = render(a.records)
    sys.stdout.write(doc)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
