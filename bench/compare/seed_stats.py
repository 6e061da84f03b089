"""Step-time statistics as the seeds compute them, shared by compare.py and torch_bench.py (standard library only)."""


def stats_of(samples_ms):
    """mean and sd as the seeds compute them (sd = sqrt(E[t^2] - mean^2)); min, nearest-rank p50 / p90 / p99, max."""
    n = len(samples_ms)
    if n == 0:
        raise ValueError("no samples")
    mean = sum(samples_ms) / n
    sd = max(0.0, sum(t * t for t in samples_ms) / n - mean * mean) ** 0.5
    s = sorted(samples_ms)

    def rank(p):
        i = -(-p * n // 100) - 1
        return s[max(0, min(n - 1, int(i)))]

    return {"count": n, "mean_ms": mean, "sd_ms": sd, "min_ms": s[0], "p50_ms": rank(50),
            "p90_ms": rank(90), "p99_ms": rank(99), "max_ms": s[-1]}
