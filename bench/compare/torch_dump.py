"""Write a tensor dump from PyTorch in the format of `bench.jar dump <net>` (safetensors).

    /usr/bin/python3 bench/compare/torch_dump.py resnet50 --batch 2 --out /tmp/resnet50-torch.safetensors

It serves two purposes: a round-trip test of check_dump.py (a float32 PyTorch dump checked
against the float64 reference), and a reference the Java side can load to test itself.

Contents: metadata net, batch, image_size, seed, mode, writer; tensors input, output
(aux_output), loss (l2_loss(output) + l2_loss(aux_output)), every parameter by TF name, grad/<name>
for each, the batch-norm moving statistics before the step (<name>) and after it
(updated/<name>). The step is forward-backward in training mode with dropout off (or forward in
inference mode with --mode forward).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_python import reexec_with_torch  # noqa: E402

if __name__ == "__main__":
    reexec_with_torch()

import torch  # noqa: E402

import safetensors_io  # noqa: E402
import torch_nets  # noqa: E402
from check_dump import reference_step  # noqa: E402


def make_dump(net, batch, image_size=None, seed=0, mode="forward-backward", dtype=torch.float32):
    """(metadata, {name: numpy array}) of one step of the PyTorch twin."""
    size = image_size or torch_nets.default_image_size(net)
    model = torch_nets.build(net, size, seed=seed).to(dtype)
    x = torch_nets.make_input(net, batch, size, seed=seed + 1).to(dtype)
    pre = {n: b.detach().clone() for n, b in model.tf_buffers().items()}
    training = mode == "forward-backward"
    outs, losses, grads = reference_step(model, x, training)
    t = {"input": x, "output": outs[0].detach()}
    if len(outs) > 1:
        t["aux_output"] = outs[1].detach()
    t["loss"] = sum(losses).detach().reshape(())
    for n, p in model.tf_parameters().items():
        t[n] = p.detach()
    for n, g in grads.items():
        t["grad/" + n] = g
    for n, b in pre.items():
        t[n] = b
    if training:
        for n, b in model.tf_buffers().items():
            t["updated/" + n] = b.detach()
    meta = {"net": net, "batch": batch, "image_size": size, "seed": seed, "mode": mode,
            "writer": "torch_dump.py (PyTorch %s, %s)" % (torch.__version__, str(dtype).replace("torch.", ""))}
    return meta, {k: v.cpu().numpy() for k, v in t.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write a PyTorch tensor dump in bench.jar's dump format.")
    ap.add_argument("net", choices=sorted(torch_nets.NETS))
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--image-size", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", default="forward-backward", choices=("forward", "forward-backward"))
    ap.add_argument("--float64", action="store_true", help="compute and store in float64 (default float32)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", required=True, help="the .safetensors file to write")
    args = ap.parse_args(argv)
    if args.batch < 1:
        ap.error("--batch must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    meta, tensors = make_dump(args.net, args.batch, args.image_size, args.seed, args.mode,
                              torch.float64 if args.float64 else torch.float32)
    safetensors_io.write(args.out, tensors, meta)
    print("wrote %s: %d tensors, %.1f MB" % (args.out, len(tensors), os.path.getsize(args.out) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
