"""Time one PyTorch case the way bench.jar times ours, and print the same JSON.

    /usr/bin/python3 torch_bench.py alexnet-conv --threads 2 --batch 32 --steps 100 --warmup 10 \
        --mode forward --format json --quiet

The command line and the JSON follow bench.jar's contract (compare.py runs both the same way).

A step is timed with time.perf_counter() (monotonic) around the whole step:
- forward: model.eval() (batch norm on moving statistics, dropout off), under torch.no_grad();
- forward-backward: model.train() (batch statistics and moving-average updates, dropout on:
  vgg16 keep 0.5, inception3 keep 0.8), then per step: drop the previous gradients
  (zero_grad(set_to_none=True), inside the timed step, as TF's tf.gradients makes fresh tensors),
  forward, loss = l2_loss(output) (+ l2_loss(aux) for inception3), loss.backward(), which gives
  every parameter its gradient. No optimizer step.
On CUDA each step ends with torch.cuda.synchronize() before the clock is read.
The first `warmup` steps are run and not recorded; the next `steps` are.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_python import reexec_with_torch  # noqa: E402

if __name__ == "__main__":
    reexec_with_torch()

import torch  # noqa: E402

import torch_nets  # noqa: E402
from seed_stats import stats_of  # noqa: E402

MODES = ("forward", "forward-backward")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def loaded_blas():
    """The BLAS library this process mapped (torch's matrix products on CPU go to it), or None."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return None
    return sorted(os.path.realpath(l) for l in libs)[0] if libs else None


def environment(device):
    cfg = torch.__config__.show()
    env = {
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "mkldnn_enabled": bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled),
        "config": [l.strip(" -") for l in cfg.splitlines() if "MKL-DNN" in l or "CPU capability" in l
                   or "OpenMP" in l] + [p.split(":")[-1].strip() for p in cfg.replace("\n", ",").split(",")
                                         if p.split(":")[-1].strip().startswith(("BLAS_INFO", "USE_MKLDNN"))],
        "blas_library": loaded_blas(),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "os": platform.platform(),
    }
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "LD_LIBRARY_PATH"):
        if os.environ.get(var):
            env[var] = os.environ[var]
    if device == "cuda":
        env["gpu"] = torch.cuda.get_device_name(0)
        env["cuda"] = torch.version.cuda
        env["cudnn"] = torch.backends.cudnn.version()
        env["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32
        env["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        env["cudnn_benchmark"] = torch.backends.cudnn.benchmark
    return env


def run_case(net, mode, batch, steps, warmup, image_size, device, seed, log):
    model = torch_nets.build(net, image_size, seed=seed).to(device)
    x = torch_nets.make_input(net, batch, image_size, seed=seed + 1).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    samples = []

    if mode == "forward":
        model.eval()

        def step():
            model(x)
    else:
        model.train()

        def step():
            model.zero_grad(set_to_none=True)
            out = model(x)
            loss = model.objective(out)
            loss.backward()

    with torch.no_grad() if mode == "forward" else _null():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            step()
            sync()
            dt = (time.perf_counter() - t0) * 1e3
            if i >= warmup:
                samples.append(dt)
                k = i - warmup
                if log and k % 10 == 0:
                    print("%s: step %d, duration = %.3f s" % (net, k, dt / 1e3), file=sys.stderr)

    st = stats_of(samples)
    gmacs = torch_nets.gmacs_per_image(net, image_size)
    factor = 1 if mode == "forward" else 3
    st["images_per_s"] = batch / (st["mean_ms"] / 1e3)
    st["gflops"] = 2 * gmacs * factor * batch / (st["mean_ms"] / 1e3)
    memory = {"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if device == "cuda":
        memory["peak_in_use_bytes"] = torch.cuda.max_memory_allocated()
        memory["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
    if log:
        print("%s: %s across %d steps, %.3f +/- %.3f sec / batch" % (
            net, mode.capitalize(), steps, st["mean_ms"] / 1e3, st["sd_ms"] / 1e3), file=sys.stderr)
    return {"net": net, "mode": mode, "batch": batch, "image_size": image_size, "steps": steps,
            "samples_ms": samples, "stats": st, "memory": memory}


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description="Time a PyTorch twin of a convbench net (bench.jar's CLI and JSON).")
    ap.add_argument("net", choices=sorted(torch_nets.NETS))
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--mode", default="forward", choices=MODES + ("default",),
                    help="forward, forward-backward, or default (both, as the seeds)")
    ap.add_argument("--image-size", type=int, default=None, help="default: the net's (224, inception3 299)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default="text", choices=("text", "json"))
    ap.add_argument("--quiet", action="store_true", help="no per-step progress on stderr")
    ap.add_argument("--tf32", action="store_true", help="CUDA: allow TF32 in cuDNN and matmul (default: strict FP32)")
    ap.add_argument("--no-cudnn-benchmark", action="store_true", help="CUDA: do not let cuDNN pick algorithms by trial")
    args = ap.parse_args(argv)
    for name in ("batch", "steps"):
        if getattr(args, name) < 1:
            ap.error("--%s must be at least 1" % name)
    if args.warmup < 0:
        ap.error("--warmup must be at least 0")
    if args.threads is not None:
        if args.threads < 1:
            ap.error("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("this torch (%s) has no CUDA device available." % torch.__version__, file=sys.stderr)
            return 2
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    size = args.image_size or torch_nets.default_image_size(args.net)
    modes = MODES if args.mode == "default" else (args.mode,)
    results = [run_case(args.net, m, args.batch, args.steps, args.warmup, size, args.device, args.seed,
                        not args.quiet) for m in modes]
    doc = {"config": {"net": args.net, "device": args.device, "threads": torch.get_num_threads(),
                      "batch": args.batch, "steps": args.steps, "warmup": args.warmup, "mode": args.mode,
                      "image_size": size, "seed": args.seed, "timer": "time.perf_counter around each step",
                      "forward": "eval mode, torch.no_grad()",
                      "forward_backward": "train mode, zero_grad(set_to_none) + forward + l2 loss + backward, timed"},
           "environment": environment(args.device),
           "results": results}
    if args.format == "json":
        print(json.dumps(doc))
    else:
        for r in results:
            st = r["stats"]
            print("%s %s batch %d: %.3f +/- %.3f sec / batch (%d steps), %.1f images/s, %.1f GFLOP/s, peak RSS %.0f MiB" % (
                r["net"], r["mode"], r["batch"], st["mean_ms"] / 1e3, st["sd_ms"] / 1e3, r["steps"],
                st["images_per_s"], st["gflops"], r["memory"]["peak_rss_bytes"] / 2 ** 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
