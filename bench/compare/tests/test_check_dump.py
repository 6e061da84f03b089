"""Tests of safetensors_io.py, check_dump.py and torch_dump.py (round trips through PyTorch dumps).

    /usr/bin/python3 -m unittest discover -s bench/compare/tests -v
Skipped where torch is not importable.
"""

import io
import json
import os
import struct
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

try:
    import numpy as np
    import torch
except ImportError:  # pragma: no cover
    torch = None

if torch is not None:
    import check_dump
    import safetensors_io
    import torch_dump


def quiet(fn, *args, **kw):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = fn(*args, **kw)
    return code, out.getvalue(), err.getvalue()


@unittest.skipIf(torch is None, "torch and numpy are not importable by this interpreter")
class SafetensorsIO(unittest.TestCase):
    def test_round_trip_and_layout(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t.safetensors")
            t = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.array(2.5), "i": np.array([1, -2], np.int64)}
            safetensors_io.write(p, t, {"net": "vgg16", "batch": 2})
            with open(p, "rb") as f:
                blob = f.read()
            (n,) = struct.unpack("<Q", blob[:8])
            self.assertEqual((8 + n) % 8, 0)  # header padded to 8 bytes
            header = json.loads(blob[8:8 + n])
            self.assertEqual(header["__metadata__"], {"net": "vgg16", "batch": "2"})
            self.assertEqual(header["a"], {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})
            meta, back = safetensors_io.read(p)
            self.assertEqual(meta["batch"], "2")
            for k in t:
                self.assertEqual(back[k].shape, t[k].shape)
                self.assertTrue(np.array_equal(back[k], t[k]))

    def test_bf16_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "b.safetensors")
            raw = (np.array([1.0, -2.5], np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
            head = json.dumps({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
            with open(p, "wb") as f:
                f.write(struct.pack("<Q", len(head)) + head + raw)
            self.assertEqual(list(safetensors_io.read(p)[1]["x"]), [1.0, -2.5])
            with open(p, "wb") as f:
                f.write(struct.pack("<Q", 1000) + b"{}")
            with self.assertRaisesRegex(safetensors_io.DumpError, "exceeds"):
                safetensors_io.read(p)
            with open(p, "wb") as f:
                f.write(struct.pack("<Q", 3) + b"{x}")
            with self.assertRaisesRegex(safetensors_io.DumpError, "not JSON"):
                safetensors_io.read(p)
            head = json.dumps({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
            with open(p, "wb") as f:
                f.write(struct.pack("<Q", len(head)) + head + b"\0" * 8)
            with self.assertRaisesRegex(safetensors_io.DumpError, "8 bytes for 4 F32"):
                safetensors_io.read(p)


@unittest.skipIf(torch is None, "torch and numpy are not importable by this interpreter")
class CheckDump(unittest.TestCase):
    """check_dump.py on dumps written by torch_dump.py, intact and broken on purpose."""

    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(2)
        cls.dir = tempfile.TemporaryDirectory()
        cls.meta, cls.tensors = torch_dump.make_dump("alexnet-conv", 2, image_size=99, seed=3)
        cls.meta_rn, cls.tensors_rn = torch_dump.make_dump("resnet50", 1, image_size=64, seed=3)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def write(self, name, tensors, meta):
        p = os.path.join(self.dir.name, name)
        safetensors_io.write(p, tensors, meta)
        return p

    def test_round_trip_ok(self):
        p = self.write("ok.safetensors", self.tensors, self.meta)
        code, out, err = quiet(check_dump.main, [p, "--json", p + ".json"])
        self.assertEqual(code, 0, out + err)
        self.assertIn("OK: all 12 tensors", out)  # output, loss, 10 gradients
        with open(p + ".json") as f:
            doc = json.load(f)
        self.assertTrue(doc["ok"])
        self.assertLess(max(t["diff"] for t in doc["tensors"]), 1e-4)

    def test_resnet_round_trip_with_batch_norm(self):
        p = self.write("rn.safetensors", self.tensors_rn, self.meta_rn)
        code, out, err = quiet(check_dump.main, [p])
        self.assertEqual(code, 0, out + err)
        self.assertIn("moving statistics after the step: 98", out)

    def test_wrong_gradient_fails(self):
        t = dict(self.tensors)
        t["grad/conv3/weights"] = t["grad/conv3/weights"] * 1.01
        p = self.write("bad.safetensors", t, self.meta)
        code, out, err = quiet(check_dump.main, [p])
        self.assertEqual(code, 1)
        self.assertIn("FAIL: 1 of 12", out)
        self.assertIn("grad/conv3/weights", out)

    def test_wrong_semantics_fail(self):
        """A dump of a net whose LRN takes torch's alpha convention (alpha / n) fails.

        At the seed's input scale the LRN denominator is close to 1, so the output moves by only
        ~6e-4 (within 1e-3, but flagged as far above the float32 noise); the gradients fail."""
        import torch_nets
        right = torch_nets.lrn
        try:
            torch_nets.lrn = lambda x, r, bias, alpha, beta: right(x, r, bias, alpha / (2 * r + 1), beta)
            meta, t = torch_dump.make_dump("alexnet-conv", 2, image_size=99, seed=3)
        finally:
            torch_nets.lrn = right
        p = self.write("lrn.safetensors", t, meta)
        code, out, _ = quiet(check_dump.main, [p])
        self.assertEqual(code, 1)
        self.assertRegex(out, r"output .* over 30x the noise")
        self.assertRegex(out, r"grad/conv4/weights .* <-- above")

    def test_missing_parameter_and_rename(self):
        t = {("conv2/kernel" if k == "conv2/weights" else k): v for k, v in self.tensors.items()}
        p = self.write("names.safetensors", t, self.meta)
        code, _, err = quiet(check_dump.main, [p])
        self.assertEqual(code, 2)
        self.assertIn("the dump lacks parameter conv2/weights", err)
        code, out, err = quiet(check_dump.main, [p, "--rename", "/kernel$=/weights"])
        self.assertEqual(code, 0, out + err)

    def test_unusable_files(self):
        p = os.path.join(self.dir.name, "short.safetensors")
        with open(p, "wb") as f:
            f.write(b"abc")
        code, _, err = quiet(check_dump.main, [p])
        self.assertEqual(code, 2)
        self.assertIn("not a safetensors file", err)
        meta = dict(self.meta, net="lenet")
        p = self.write("net.safetensors", self.tensors, meta)
        code, _, err = quiet(check_dump.main, [p])
        self.assertEqual(code, 2)
        self.assertIn("net 'lenet' is not one of", err)


if __name__ == "__main__":
    unittest.main()
