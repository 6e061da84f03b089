#!/usr/bin/env python3
"""A stand-in for `java -jar bench.jar ...` in the tests: prints bench.jar's JSON with made-up samples.

Accepts JVM options and -jar PATH, then bench.jar's arguments. FAKE_JAVA_FAIL=1 makes it fail,
FAKE_JAVA_GARBAGE=1 makes it print something that is not JSON.
"""
import json
import os
import sys

args = sys.argv[1:]
while args and args[0] != "-jar":
    args.pop(0)  # JVM options
args = args[2:]  # -jar PATH
net = args[0]
opt = dict(zip(args[1::2], args[2::2]))
if os.environ.get("FAKE_JAVA_FAIL"):
    print("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space", file=sys.stderr)
    sys.exit(1)
if os.environ.get("FAKE_JAVA_GARBAGE"):
    print("Usage: bench.jar <net> [options]")
    sys.exit(0)
steps = int(opt["--steps"])
samples = [10.0 + (i % 3) for i in range(steps)]
print(json.dumps({"config": {"net": net}, "environment": {"java": "fake"},
                  "results": [{"net": net, "mode": opt["--mode"], "batch": int(opt["--batch"]), "image_size": 224,
                               "steps": steps, "samples_ms": samples,
                               "stats": {"mean_ms": sum(samples) / steps},
                               "memory": {"peak_in_use_bytes": 1 << 20, "peak_reserved_bytes": 2 << 20}}]}))
