"""Check a tensor dump of `bench.jar dump <net>` against PyTorch.

    /usr/bin/python3 bench/compare/check_dump.py alexnet-conv.safetensors [--tolerance 1e-3]

The dump (safetensors) holds: metadata net, batch, image_size, seed, mode; tensors `input`,
`output` (and `aux_output` for inception3), `loss` (and optionally `aux_loss`), every parameter by
its TF name (conv1/weights, resnet_v2_50/block1/unit_1/bottleneck_v2/preact/gamma, ...), every
parameter gradient as `grad/<name>`, and the batch-norm moving statistics (`<name>` as they were
before the step; optionally `updated/<name>` after it).

This script builds the PyTorch twin of the net (torch_nets.py), loads every parameter and moving
statistic by name (the twin's modules are named by TF scope, so the mapping is the name itself;
--show-mapping prints it, --rename fixes names that differ), runs the same step on the dump's
input - forward-backward: training mode (batch statistics), dropout off, loss = l2_loss(output)
(+ l2_loss(aux_output)), gradients of every parameter; forward: inference mode - and reports the
relative difference of the output, the loss and every gradient:

    rel diff = max |ours - reference| / max |reference|      (over the whole tensor)

The reference is computed in float64. Some of these quantities are ill-conditioned in float32
(a ReLU or max-pool decision within rounding of a tie flips, and in training-mode batch norm that
moves whole gradients), so the limit of each tensor is max(--tolerance, --noise-factor x noise),
where noise is the largest diff of PyTorch's own float32 step and of --perturb float64 steps on
the input times (1 + --perturb-eps x normal noise). --strict uses the bare tolerance.
Exit status: 0 all within their limits, 1 some above, 2 unusable dump or arguments.
"""

import argparse
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_python import reexec_with_torch  # noqa: E402

if __name__ == "__main__":
    reexec_with_torch()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import safetensors_io  # noqa: E402
import torch_nets  # noqa: E402

RESERVED = ("input", "output", "aux_output", "loss", "aux_loss")
# A gradient whose reference is below ZERO_FLOOR x the largest gradient is measured against that
# floor (some are zero in exact arithmetic: in training mode, batch norm removes any per-channel
# shift, so the bias of a conv whose output only reaches batch norms gets no gradient).
ZERO_FLOOR = 1e-3
# A tensor within its limit but SUSPECT_FACTOR x above the noise is reported.
SUSPECT_FACTOR = 30
FORWARD_MODES = ("forward", "inference", "eval")
TRAINING_MODES = ("forward-backward", "training", "train", "fwd-bwd", "backward")


class CheckError(Exception):
    """An unusable dump or argument: one sentence, exit 2."""


def reference_step(model, x, training):
    """The seeds' step on x: returns (outputs tuple, per-output l2 losses, {tf name: grad}).

    training: model.train() with dropout off, l2 objective, backward; else model.eval() and no_grad.
    """
    model.dropout_enabled = False
    model.zero_grad(set_to_none=True)
    if training:
        model.train()
        out = model(x)
        outs = out if isinstance(out, tuple) else (out,)
        losses = [torch_nets.l2_loss(o) for o in outs]
        sum(losses).backward()
        grads = {n: p.grad for n, p in model.tf_parameters().items()}
    else:
        model.eval()
        with torch.no_grad():
            out = model(x)
        outs = out if isinstance(out, tuple) else (out,)
        losses = [torch_nets.l2_loss(o) for o in outs]
        grads = {}
    return outs, losses, grads


def rel_diff(ours, ref, floor=0.0):
    """max |ours - ref| / max(max |ref|, floor) over the tensor; inf for a shape mismatch or non-finite values."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        return float("inf")
    if ours.size == 0:
        return 0.0
    if not np.all(np.isfinite(ours)):
        return float("inf")
    d = float(np.max(np.abs(ours - ref)))
    scale = max(float(np.max(np.abs(ref))), floor)
    return d / scale if scale > 0 else d


def _int(meta, key, default=None):
    v = meta.get(key)
    if v is None or v == "":
        return default
    try:
        return int(float(v))
    except ValueError:
        raise CheckError("metadata %s = '%s' is not an integer" % (key, v))


def apply_renames(tensors, renames):
    """--rename PATTERN=REPLACEMENT (a regular expression over dump names), in order."""
    if not renames:
        return tensors
    out = {}
    for name, t in tensors.items():
        new = name
        for pat, rep in renames:
            new = re.sub(pat, rep, new)
        out[new] = t
    return out


def run(model, x, training):
    """{name: float64 numpy array} of everything a dump can be compared on, after one step."""
    outs, losses, grads = reference_step(model, x, training)
    r = {"output": outs[0].detach().double().numpy()}
    if len(outs) > 1:
        r["aux_output"] = outs[1].detach().double().numpy()
    r["loss"] = np.float64(sum(float(l) for l in losses))
    r["loss_parts"] = [float(l) for l in losses]
    for n, g in grads.items():
        if g is not None:
            r["grad/" + n] = g.double().numpy()
    if training:
        for n, b in model.tf_buffers().items():
            r["updated/" + n] = b.double().numpy()
    return r


def load_dump(path, renames, net_override):
    """(meta, tensors, net, training, batch, size, classes) of a dump, or CheckError."""
    try:
        meta, tensors = safetensors_io.read(path)
    except safetensors_io.DumpError as e:
        raise CheckError(str(e))
    tensors = apply_renames(tensors, renames)
    net = net_override or meta.get("net")
    if not net:
        raise CheckError("%s has no 'net' in its metadata (pass --net)" % path)
    if net not in torch_nets.NETS:
        raise CheckError("net '%s' is not one of %s" % (net, ", ".join(torch_nets.NETS)))
    if "input" not in tensors or "output" not in tensors:
        raise CheckError("%s lacks the tensor 'input' or 'output'" % path)
    x = tensors["input"]
    if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3]:
        raise CheckError("input has shape %s, not (N, 3, H, H)" % (x.shape,))
    batch, size = x.shape[0], x.shape[2]
    if _int(meta, "batch", batch) != batch or _int(meta, "image_size", size) != size:
        raise CheckError("metadata batch/image_size (%s, %s) disagree with input %s"
                         % (meta.get("batch"), meta.get("image_size"), x.shape))
    # the first word decides: bench.jar writes "training (batch-norm batch statistics, ...), dropout off"
    mode = re.split(r"[\s,;(]+", (meta.get("mode") or "").strip().lower())[0]
    if not mode:
        training = any(n.startswith("grad/") for n in tensors)
    elif mode in TRAINING_MODES:
        training = True
    elif mode in FORWARD_MODES:
        training = False
    else:
        raise CheckError("metadata mode '%s' is neither forward nor forward-backward" % mode)
    out = tensors["output"]
    classes = _int(meta, "classes", out.shape[1] if out.ndim == 2 else 1000)
    return meta, tensors, net, training, batch, size, classes


def load_model(net, size, classes, tensors):
    """The float64 twin with every parameter and moving statistic loaded by name; CheckError on a mismatch."""
    model = torch_nets.build(net, size, classes=classes).double()
    problems = []
    with torch.no_grad():
        for kind, table in (("parameter", model.tf_parameters()), ("moving statistic", model.tf_buffers())):
            for name, t in table.items():
                if name not in tensors:
                    if kind == "parameter":
                        problems.append("the dump lacks parameter %s %s" % (name, tuple(t.shape)))
                    continue
                a = tensors[name]
                if tuple(a.shape) != tuple(t.shape):
                    problems.append("%s %s has shape %s in the dump, %s in PyTorch"
                                    % (kind, name, tuple(a.shape), tuple(t.shape)))
                    continue
                t.copy_(torch.from_numpy(np.asarray(a, dtype=np.float64)))
    if problems:
        raise CheckError("%d name/shape problem(s), first: %s%s" % (
            len(problems), problems[0], "" if len(problems) == 1 else "; all:\n  " + "\n  ".join(problems)))
    return model


def check(path, tolerance=1e-3, noise_factor=10.0, peer=True, renames=(), show_mapping=False, top=12,
          show_all=False, json_out=None, net_override=None, perturb=2, perturb_eps=1e-5):
    meta, tensors, net, training, batch, size, classes = load_dump(path, renames, net_override)
    model = load_model(net, size, classes, tensors)
    params, buffers = model.tf_parameters(), model.tf_buffers()
    known = set(RESERVED) | set(params) | set(buffers) | {"grad/" + n for n in params} | \
        {"updated/" + n for n in buffers}
    unknown = sorted(n for n in tensors if n not in known)
    initial_stats = all((not np.any(tensors[n])) if n.endswith("moving_mean") else bool(np.all(tensors[n] == 1))
                        for n in buffers if n in tensors)
    x64 = torch.from_numpy(np.asarray(tensors["input"], dtype=np.float64))
    # The yardsticks of "float32 noise": PyTorch's own float32 step, and float64 steps on the input
    # times (1 + perturb_eps * normal noise), which flip the ReLU / max-pool decisions that sit
    # within float32 rounding of a tie, as a float32 engine may.
    others = []
    if peer:
        peer_model = copy.deepcopy(model).float()
        others.append(run(peer_model, torch.from_numpy(np.asarray(tensors["input"], dtype=np.float32)), training))
        del peer_model
        for i in range(perturb):
            g = torch.Generator().manual_seed(1000 + i)
            xp = x64 * (1 + perturb_eps * torch.randn(x64.shape, generator=g, dtype=torch.float64))
            others.append(run(copy.deepcopy(model), xp, training))
    ref = run(model, x64, training)

    # What to compare: (name, dump value or None, reference, floor, note)
    items = [("output", tensors["output"], ref["output"], 0.0, "")]
    if "aux_output" in ref:
        items.append(("aux_output", tensors.get("aux_output"), ref["aux_output"], 0.0, ""))
    if "loss" in tensors:
        if "aux_loss" in tensors and len(ref["loss_parts"]) > 1:
            items.append(("loss", np.reshape(tensors["loss"], ()), np.float64(ref["loss_parts"][0]), 0.0, ""))
            items.append(("aux_loss", np.reshape(tensors["aux_loss"], ()), np.float64(ref["loss_parts"][1]), 0.0, ""))
            others = [dict(o, aux_loss=np.float64(o["loss_parts"][1]), loss=np.float64(o["loss_parts"][0])) for o in others]
        else:
            items.append(("loss", np.reshape(tensors["loss"], ()), ref["loss"], 0.0,
                          "l2(output) + l2(aux_output)" if len(ref["loss_parts"]) > 1 else ""))
    grad_floor = 0.0
    if training:
        gmax = [float(np.max(np.abs(ref["grad/" + n]))) for n in params if "grad/" + n in ref]
        grad_floor = ZERO_FLOOR * max(gmax) if gmax else 0.0
        for n in params:
            key = "grad/" + n
            r = ref.get(key)
            note = ""
            if r is None:
                note = "no gradient in PyTorch"
            elif float(np.max(np.abs(r))) < grad_floor:
                note = "reference below %.0e x the largest gradient: diff taken against that" % ZERO_FLOOR
            items.append((key, tensors.get(key), r, grad_floor, note))
        for n in buffers:
            if "updated/" + n in tensors:
                items.append(("updated/" + n, tensors["updated/" + n], ref["updated/" + n], 0.0, ""))

    rows = []
    for name, ours, r, floor, note in items:
        if ours is None or r is None:
            rows.append(dict(name=name, shape=(), diff=float("inf"), noise=None, allowed=tolerance,
                             note=note or "missing in the dump"))
            continue
        d = rel_diff(ours, r, floor)
        noise = max(rel_diff(o[name], r, floor) for o in others) if others and all(name in o for o in others) else None
        allowed = max(tolerance, noise_factor * noise) if noise is not None else tolerance
        rows.append(dict(name=name, shape=tuple(np.shape(ours)), diff=d, noise=noise, allowed=allowed, note=note))
    bad = [r for r in rows if not (r["diff"] <= r["allowed"])]

    # ---- report ----
    print("check_dump: %s" % path)
    print("  net %s, batch %d, image %d, %s, seed %s%s" % (
        net, batch, size, "forward-backward (training mode, dropout off, l2 loss)" if training else "forward (inference mode)",
        meta.get("seed", "?"), (", written by " + meta["writer"]) if meta.get("writer") else ""))
    print("  reference: PyTorch %s in float64, %d thread(s); diff = max|dump - ref| / max|ref| per tensor" % (
        torch.__version__, torch.get_num_threads()))
    if peer:
        print("  noise: the largest diff of PyTorch's own float32 step and of %d float64 steps on the input x (1 + %.0e N(0,1));"
              % (perturb, perturb_eps))
        print("  a tensor passes when diff <= max(%.0e, %g x noise)" % (tolerance, noise_factor))
    else:
        print("  a tensor passes when diff <= %.0e" % tolerance)
    print("  loaded %d parameters (%d values) and %d moving statistics by name%s" % (
        len(params), sum(int(p.numel()) for p in params.values()), sum(1 for n in buffers if n in tensors),
        "" if not buffers or not training else
        (" (the initial 0 / 1)" if initial_stats else " (not the initial 0 / 1)")))
    if show_mapping:
        torch_names = {model.tf_name(n): n for n, _ in list(model.named_parameters()) + list(model.named_buffers())}
        for name in list(params) + list(buffers):
            print("    %-80s <- torch %s" % (name, torch_names[name]))
    if unknown:
        print("  %d tensor(s) in the dump not used: %s%s" % (len(unknown), ", ".join(unknown[:8]),
                                                            ", ..." if len(unknown) > 8 else ""))

    def num(v):
        return "       -" if v is None else ("     inf" if v == float("inf") else "%.2e" % v)

    def suspect(r):
        return (r["diff"] <= r["allowed"] and r["noise"] is not None and r["diff"] > 1e-5
                and r["diff"] > SUSPECT_FACTOR * r["noise"])

    def show(r):
        flag = "" if r["diff"] <= r["allowed"] else "  <-- above %.1e" % r["allowed"]
        if suspect(r):
            flag = "  (within the limit, but over %dx the noise)" % SUSPECT_FACTOR
        print("    %-72s %-20s %s %s%s%s" % (r["name"], str(r["shape"]), num(r["diff"]), num(r["noise"]), flag,
                                           ("  " + r["note"]) if r["note"] else ""))

    print("    %-72s %-20s %8s %8s" % ("tensor", "shape", "diff", "noise"))
    head = [r for r in rows if not r["name"].startswith(("grad/", "updated/"))]
    grads = [r for r in rows if r["name"].startswith("grad/")]
    stats = [r for r in rows if r["name"].startswith("updated/")]
    for r in head:
        show(r)
    for label, group in (("gradients", grads), ("moving statistics after the step", stats)):
        if not group:
            continue
        worst = sorted(group, key=lambda r: -r["diff"])
        finite = sorted(r["diff"] for r in group)
        print("  %s: %d, worst diff %s, median %s%s" % (label, len(group), num(worst[0]["diff"]),
                                                      num(finite[len(finite) // 2]),
                                                      "" if show_all else "; the %d largest:" % min(top, len(group))))
        for r in (group if show_all else worst[:top]):
            show(r)
    if training and buffers and not stats:
        print("  note: the dump has no updated/<name> moving statistics, so the moving-average update is not checked")
    suspects = [r for r in rows if suspect(r)]
    if suspects:
        print("  warning: %d tensor(s) within their limit but over %dx the noise, first %s; "
              "a semantic difference too small at these inputs to cross the limit looks like this"
              % (len(suspects), SUSPECT_FACTOR, suspects[0]["name"]))
    if bad:
        w = max(bad, key=lambda r: r["diff"])
        print("FAIL: %d of %d tensors above their limit (worst %s: %s)" % (len(bad), len(rows), w["name"], num(w["diff"])))
    else:
        print("OK: all %d tensors within their limits (worst diff %s)" % (len(rows), num(max(r["diff"] for r in rows))))
    if json_out:
        def js(v):
            return None if v is None or v == float("inf") else v
        with open(json_out, "w") as f:
            json.dump({"dump": path, "net": net, "batch": batch, "image_size": size, "training": training,
                       "tolerance": tolerance, "noise_factor": noise_factor if peer else None,
                       "perturbations": perturb if peer else 0, "perturb_eps": perturb_eps, "ok": not bad,
                       "unused_tensors": unknown,
                       "tensors": [{"name": r["name"], "shape": list(r["shape"]), "diff": js(r["diff"]),
                                    "noise": js(r["noise"]), "allowed": js(r["allowed"]), "note": r["note"]}
                                   for r in rows]}, f, indent=1)
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check a bench.jar tensor dump (safetensors) against PyTorch.")
    ap.add_argument("dump", help="the .safetensors file written by `bench.jar dump <net>`")
    ap.add_argument("--tolerance", type=float, default=1e-3, help="largest relative difference accepted (default 1e-3)")
    ap.add_argument("--noise-factor", type=float, default=10.0,
                    help="a tensor may differ by this many times the noise (default 10)")
    ap.add_argument("--perturb", type=int, default=2,
                    help="float64 runs on a perturbed input that measure the noise, besides PyTorch's float32 run (default 2)")
    ap.add_argument("--perturb-eps", type=float, default=1e-5,
                    help="relative size of the input perturbation (default 1e-5)")
    ap.add_argument("--strict", action="store_true",
                    help="no noise allowance: every tensor within --tolerance (and no extra runs)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--net", default=None, help="the net, where the metadata lacks it")
    ap.add_argument("--rename", action="append", default=[], metavar="PATTERN=REPLACEMENT",
                    help="rewrite dump tensor names with a regular expression before matching (repeatable)")
    ap.add_argument("--show-mapping", action="store_true", help="print each TF name and the torch module path it loads")
    ap.add_argument("--top", type=int, default=12, help="how many of the worst gradients to list")
    ap.add_argument("--all", action="store_true", help="list every gradient")
    ap.add_argument("--json", metavar="OUT", help="write the per-tensor differences here")
    args = ap.parse_args(argv)
    renames = []
    for r in args.rename:
        pat, sep, rep = r.partition("=")
        if not sep:
            print("check_dump: --rename '%s' is not PATTERN=REPLACEMENT" % r, file=sys.stderr)
            return 2
        renames.append((pat, rep))
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return check(args.dump, args.tolerance, args.noise_factor, not args.strict, renames, args.show_mapping,
                     args.top, args.all, args.json, args.net, max(0, args.perturb), args.perturb_eps)
    except CheckError as e:
        print("check_dump: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
