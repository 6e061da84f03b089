"""Tests of gpu_records.py on reports shaped like bench.jar's JSON (a real CPU report, renamed).

    /usr/bin/python3 -m unittest discover -s bench/compare/tests -v
"""

import copy
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import gpu_records  # noqa: E402

with open(os.path.join(HERE, "fixtures", "bench_jar_0.1.0_alexnet-conv_b4.json")) as f:
    REAL = json.load(f)


def report(net, precision, mean_ms, min_ms, env=None, above_peak=False):
    doc = copy.deepcopy(REAL)
    doc["config"].update(nets=[net], batch=32, precision=precision, device="cuda")
    doc["environment"] = env or {"device": "cuda:0: NVIDIA H100 80GB HBM3", "cuDNN": "9.10.2 (cudnnGetVersion 91002)",
                                 "loaded cuDNN": "/opt/torch/.venv/.../libcudnn.so.9"}
    r = doc["results"][0]
    r.update(net=net, batch=32)
    r["stats"].update(mean_ms=mean_ms, p50_ms=mean_ms, min_ms=min_ms, peak_percent=12.5)
    if above_peak:
        r["stats"]["timing_above_device_peak"] = True
    return doc


class GpuRecordsTest(unittest.TestCase):
    def write(self, d, name, doc):
        with open(os.path.join(d, name), "w") as f:
            json.dump(doc, f)

    def run_main(self, d):
        buf = io.StringIO()
        with redirect_stdout(buf):
            rc = gpu_records.main([d])
        return rc, buf.getvalue()

    def test_complete_record_is_a_table_with_the_environment(self):
        with tempfile.TemporaryDirectory() as d:
            for n in gpu_records.NETS:
                for p in gpu_records.PRECISIONS:
                    self.write(d, f"{n}-{p}.json", report(n, p, 50.0, 49.0))
            with open(os.path.join(d, "nvidia-smi.txt"), "w") as f:
                f.write("NVIDIA-SMI 580.65.06    Driver Version: 580.65.06    CUDA Version: 13.0\n")
            rc, out = self.run_main(d)
            self.assertEqual(0, rc, out)
            self.assertIn("- device: cuda:0: NVIDIA H100 80GB HBM3", out)
            self.assertIn("- loaded cuDNN: /opt/torch/.venv/.../libcudnn.so.9", out)
            self.assertIn("Driver Version: 580.65.06", out)
            self.assertIn("| vgg16 | tf32 | forward | 32 x 224 | 50.000 | 50.000 | 49.000 |", out)
            self.assertEqual(16, out.count("| forward |"))
            self.assertNotIn("BROKEN", out)
            self.assertNotIn("Missing", out)

    def test_times_below_the_floor_or_above_the_peak_are_broken(self):
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "vgg16-fp32.json", report("vgg16", "fp32", 20.0, 10.0))  # forward floor 14.8 ms
            self.write(d, "resnet50-tf32.json", report("resnet50", "tf32", 5.0, 4.0, above_peak=True))
            self.write(d, "inception3-tf32.json", report("inception3", "tf32", 5.0, 4.0))
            rc, out = self.run_main(d)
            self.assertEqual(1, rc)
            self.assertIn("| vgg16 | fp32 | forward | 32 x 224 | 20.000 BROKEN |", out)
            self.assertIn("- vgg16 fp32 forward: min 10.000 ms is impossible (floor 14.8 ms)", out)
            self.assertIn("- resnet50 tf32 forward: min 4.000 ms is impossible (above the device's peak)", out)
            self.assertNotIn("inception3 tf32 forward: min", out)

    def test_missing_and_failed_runs_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            self.write(d, "alexnet-fp32.json", report("alexnet", "fp32", 5.0, 4.9))
            with open(os.path.join(d, "vgg16-fp32.log"), "w") as f:
                f.write("progress\nbench: out of memory on cuda:0: ... use --batch 16 or less\n")
            rc, out = self.run_main(d)
            self.assertEqual(1, rc)
            self.assertIn("- vgg16 fp32: no report; its log ends with: bench: out of memory on cuda:0: ... use --batch 16 or less", out)
            self.assertIn("Missing reports: alexnet-conv fp32, alexnet-conv tf32, alexnet tf32,", out)

    def test_not_a_directory_is_one_sentence_and_exit_2(self):
        err = io.StringIO()
        from contextlib import redirect_stderr
        with redirect_stderr(err):
            rc = gpu_records.main(["/nonexistent/records"])
        self.assertEqual(2, rc)
        self.assertIn("is not a directory: pass the records folder", err.getvalue())


if __name__ == "__main__":
    unittest.main()
