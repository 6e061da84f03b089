"""Tests of compare.py that need no jar and no torch: the JSON parser against a fixture of
bench.jar's contract, the statistics, case parsing, and a whole run with a stand-in for java.

    python3 -m unittest discover -s bench/compare/tests -v
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import compare  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "bench_sample.json")  # hand-written from the contract
REAL = os.path.join(HERE, "fixtures", "bench_jar_0.1.0_alexnet-conv_b4.json")  # bench.jar 0.1.0's own output
FAKE_JAVA = os.path.join(HERE, "fake_java.py")
CASE = ("alexnet-conv", 32, "forward")


class ParseBenchJson(unittest.TestCase):
    def setUp(self):
        with open(FIXTURE) as f:
            self.text = f.read()

    def test_fixture(self):
        r = compare.parse_bench_json(self.text, CASE, 5, "ours")
        self.assertEqual(r["samples_ms"], [241.5, 238.0, 250.25, 239.0, 243.0])
        self.assertEqual(r["memory"]["peak_in_use_bytes"], 612368384)
        self.assertEqual(r["image_size"], 224)
        self.assertEqual(r["environment"]["java"], "17.0.15")
        # our statistics agree with the ones the jar reports
        st = compare.stats_of(r["samples_ms"])
        self.assertAlmostEqual(st["mean_ms"], r["reported_stats"]["mean_ms"], places=6)
        self.assertAlmostEqual(st["sd_ms"], r["reported_stats"]["sd_ms"], places=3)
        self.assertEqual(st["p90_ms"], r["reported_stats"]["p90_ms"])

    def test_real_jar_output(self):
        """The JSON bench.jar 0.1.0 printed for alexnet-conv --batch 4 --steps 2 --mode forward."""
        with open(REAL) as f:
            text = f.read()
        r = compare.parse_bench_json(text, ("alexnet-conv", 4, "forward"), 2, "ours")
        self.assertEqual(len(r["samples_ms"]), 2)
        self.assertAlmostEqual(compare.stats_of(r["samples_ms"])["mean_ms"], r["reported_stats"]["mean_ms"], places=5)
        self.assertAlmostEqual(compare.stats_of(r["samples_ms"])["sd_ms"], r["reported_stats"]["sd_ms"], places=5)
        self.assertIn("peak_in_use_bytes", r["memory"])

    def test_stray_lines_around_the_object(self):
        text = "WARNING: Using incubator modules: jdk.incubator.vector\n" + json.dumps(json.loads(self.text)) + "\n"
        self.assertEqual(len(compare.parse_bench_json(text, CASE, 5, "ours")["samples_ms"]), 5)

    def test_not_json(self):
        with self.assertRaisesRegex(compare.CompareError, "printed no JSON object"):
            compare.parse_bench_json("Usage: bench.jar <net>", CASE, 5, "ours")

    def test_wrong_case(self):
        with self.assertRaisesRegex(compare.CompareError, "no result for alexnet-conv b32 forward-backward"):
            compare.parse_bench_json(self.text, ("alexnet-conv", 32, "forward-backward"), 5, "ours")

    def test_wrong_step_count(self):
        with self.assertRaisesRegex(compare.CompareError, "timed 5 steps"):
            compare.parse_bench_json(self.text, CASE, 100, "ours")

    def test_bad_samples(self):
        doc = json.loads(self.text)
        doc["results"][0]["samples_ms"] = [1.0, "x", 2.0, 3.0, 4.0]
        with self.assertRaisesRegex(compare.CompareError, "samples_ms"):
            compare.parse_bench_json(json.dumps(doc), CASE, 5, "ours")
        del doc["results"]
        with self.assertRaisesRegex(compare.CompareError, "results"):
            compare.parse_bench_json(json.dumps(doc), CASE, 5, "ours")


class Stats(unittest.TestCase):
    def test_seed_formula(self):
        st = compare.stats_of([1.0, 2.0, 3.0, 4.0])
        self.assertAlmostEqual(st["mean_ms"], 2.5)
        self.assertAlmostEqual(st["sd_ms"], (7.5 - 6.25) ** 0.5)  # population sd, as the seeds
        self.assertEqual(st["p50_ms"], 2.0)  # nearest rank
        self.assertEqual(st["p90_ms"], 4.0)
        self.assertEqual(compare.stats_of([5.0])["sd_ms"], 0.0)


class Cases(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(compare.parse_cases("vgg16:4"), [("vgg16", 4, "forward"), ("vgg16", 4, "forward-backward")])
        self.assertEqual(compare.parse_cases("resnet50:8:forward-backward, alexnet-conv:32:forward"),
                         [("resnet50", 8, "forward-backward"), ("alexnet-conv", 32, "forward")])
        self.assertEqual(len(compare.parse_cases(compare.TARGET_CASES)), 6)

    def test_errors(self):
        for bad in ("vgg16", "vgg16:x", "vgg16:0", "vgg16:4:train", ""):
            with self.assertRaises(compare.CompareError):
                compare.parse_cases(bad)


class WholeRun(unittest.TestCase):
    """compare.py end to end with fake_java.py standing in for java (--ours-only: no torch needed)."""

    def run_compare(self, *extra, env=None):
        jar = tempfile.NamedTemporaryFile(suffix=".jar", delete=False)
        jar.close()
        self.addCleanup(os.unlink, jar.name)
        out, err = io.StringIO(), io.StringIO()
        old = dict(os.environ)
        try:
            os.environ.update(env or {})
            with redirect_stdout(out), redirect_stderr(err):
                code = compare.main(["--ours-only", "--java", FAKE_JAVA, "--bench-jar", jar.name,
                                     "--steps", "4", "--warmup", "1"] + list(extra))
        finally:
            os.environ.clear()
            os.environ.update(old)
        return code, out.getvalue(), err.getvalue()

    def test_ok_with_json(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out.json")
            code, out, err = self.run_compare("--cases", "vgg16:4", "--rounds", "2", "--json", path)
            self.assertEqual(code, 0, err)
            with open(path) as f:
                doc = json.load(f)
        self.assertEqual([(c["net"], c["mode"]) for c in doc["cases"]],
                         [("vgg16", "forward"), ("vgg16", "forward-backward")])
        ours = doc["cases"][0]["ours"]
        self.assertEqual(ours["stats"]["count"], 8)  # two rounds pooled
        self.assertEqual(len(ours["round_means_ms"]), 2)
        self.assertEqual([len(r) for r in ours["samples_ms_rounds"]], [4, 4])  # every step of each round
        self.assertAlmostEqual(sum(ours["samples_ms_rounds"][0]) / 4, ours["round_means_ms"][0])
        self.assertGreater(ours["peak_rss_bytes"], 1 << 20)  # the fake's own python process
        self.assertIn("vgg16 b4 forward-backward", out)

    def test_child_failure(self):
        code, out, err = self.run_compare("--cases", "vgg16:4:forward", env={"FAKE_JAVA_FAIL": "1"})
        self.assertEqual(code, 2)
        self.assertIn("ours failed on vgg16 b4 forward with exit code 1", err)
        self.assertIn("OutOfMemoryError", err)

    def test_child_garbage(self):
        code, out, err = self.run_compare("--cases", "vgg16:4:forward", env={"FAKE_JAVA_GARBAGE": "1"})
        self.assertEqual(code, 2)
        self.assertIn("printed no JSON object", err)

    def test_missing_jar_and_java(self):
        err = io.StringIO()
        with redirect_stderr(err), redirect_stdout(io.StringIO()):
            code = compare.main(["--bench-jar", "/nonexistent/bench.jar"])
        self.assertEqual(code, 2)
        self.assertIn("bench.jar not found at /nonexistent/bench.jar", err.getvalue())
        jar = tempfile.NamedTemporaryFile(suffix=".jar", delete=False)
        jar.close()
        self.addCleanup(os.unlink, jar.name)
        err = io.StringIO()
        with redirect_stderr(err), redirect_stdout(io.StringIO()):
            code = compare.main(["--ours-only", "--bench-jar", jar.name, "--java", "/nonexistent/java"])
        self.assertEqual(code, 2)
        self.assertIn("is not an executable file", err.getvalue())

    def test_ours_runs_every_step(self):
        """bench.jar stops a CPU mode after 20 s by default; the comparison asks for every step, like the PyTorch side."""
        import argparse
        args = argparse.Namespace(java="java", java_opt=[], bench_jar="bench.jar", threads=2, steps=7, warmup=1,
                                  torch_only=False, ours_only=True)
        ours = dict(compare.side_commands(args, sys.executable))["ours"](("alexnet", 32, "forward"))
        self.assertEqual(ours[ours.index("--budget") + 1], "none")
        self.assertEqual(ours[ours.index("--steps") + 1], "7")

    def test_command_line(self):
        """The CLI is runnable as a script and refuses bad options with one sentence."""
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "compare.py"), "--cases", "vgg16"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not NET:BATCH", r.stderr)


if __name__ == "__main__":
    unittest.main()
