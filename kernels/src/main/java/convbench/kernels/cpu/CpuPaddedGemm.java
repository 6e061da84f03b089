package convbench.kernels.cpu;

/**
 * A stride-1 correlation with a kh x kw window as one matrix product per tile, without im2col:
 * <pre>
 *   dst[n, o, r, s] = sum_{i, p, q} src[n, i, r + p - padTop, s + q - padLeft] * g[o, i, p, q]   (0 outside src)
 * </pre>
 * src is first copied into a zero-bordered image of hp x wp pixels (hp = srcH + the vertical pads, wp likewise),
 * and dst is computed at that pitch: pixel t = r * wp + s. Then the column im2col would build for (i, p, q) is
 * the run of the bordered image from i * hp * wp + p * wp + q, contiguous over t, and the product packs it
 * straight from there ({@link Sgemm#gemm(Sgemm.PackedA, int, float[], int, int[], boolean, float[], int, int, Sgemm.Buffers)}):
 * one pass over the columns instead of im2col's two. The wp - dstW pixels past each output row are computed
 * and dropped, so it pays only on narrow images with narrow windows ({@link #pays}).
 * <p>
 * The convolution's forward pass is this with src = x, g = w; its data gradient with src = dz,
 * g[c, k] = w[k, c] turned by 180 degrees and pads k - 1 - pad ({@link CpuConv}).
 */
final class CpuPaddedGemm {
    // shared scratch of the backend used here (the bordered source is CpuBackend.border's): the turned filters
    // of the data gradient
    private static final int SHARED_TURNED = 6;
    // per-worker scratch: a tile of the pitched output (CpuConv's columns slot: the two never run together)
    private static final int SCRATCH_OUT = 0;

    private final CpuBackend be;
    private final int n, in, srcH, srcW, kh, kw, padTop, padLeft, out, dstH, dstW, hp, wp, pitched, tile, tiles;
    /** Where row (i, p, q) of the columns starts in one image's bordered source. */
    private final int[] rowAt;

    CpuPaddedGemm(CpuBackend be, int n, int in, int srcH, int srcW, int kh, int kw,
                  int padTop, int padLeft, int padBottom, int padRight, int out) {
        this.be = be;
        this.n = n;
        this.in = in;
        this.srcH = srcH;
        this.srcW = srcW;
        this.kh = kh;
        this.kw = kw;
        this.padTop = padTop;
        this.padLeft = padLeft;
        this.out = out;
        hp = srcH + padTop + padBottom;
        wp = srcW + padLeft + padRight;
        dstH = hp - kh + 1;
        dstW = wp - kw + 1;
        pitched = (dstH - 1) * wp + dstW;
        int ckk = in * kh * kw;
        tile = Math.min(pitched, CpuConv.columnTile(ckk));
        tiles = (pitched + tile - 1) / tile;
        rowAt = new int[ckk];
        for (int r = 0; r < ckk; r++) rowAt[r] = r / (kh * kw) * hp * wp + r / kw % kh * wp + r % kw;
    }

    /**
     * Where it measured faster than im2col (one thread, CPU time, forward): outputs up to 64 pixels wide
     * (56x56 3x3 and 35x35 5x5 layers of 48 to 64 channels 20 % faster, 17x17 7x1 ones 20 %; 73 wide the same,
     * 112 and 147 wide 9 and 17 % slower), dropping at most an eighth of the pitched pixels (5x5 from 32 wide).
     */
    static boolean pays(int dstW, int kw) {
        return dstW <= 64 && 8 * (kw - 1) <= dstW + kw - 1;
    }

    /**
     * The filters as the product's A (out x in * kh * kw), packed: w is the convolution's (K, C, kh, kw); turned
     * false: g[o, i] = w[o, i] (forward, out = K); turned true: g[o, i] = w[i, o] turned by 180 degrees (data
     * gradient, out = C).
     */
    Sgemm.PackedA filters(float[] w, boolean turned, int slot) {
        int taps = kh * kw, ckk = in * taps;
        float[] dst = be.shared(slot, Sgemm.PackedA.size(out, ckk));
        if (!turned) return Sgemm.PackedA.pack(false, out, ckk, w, 0, ckk, dst, be.par());
        float[] g = be.shared(SHARED_TURNED, out * ckk);
        // g[o][i][e] = w[i][o][taps - 1 - e]: w is (in, out, kh, kw) seen from the data gradient
        be.par().forEach(out, (o, worker) -> {
            for (int i = 0; i < in; i++) {
                int from = (i * out + o) * taps, to = (o * in + i) * taps;
                for (int e = 0; e < taps; e++) g[to + e] = w[from + taps - 1 - e];
            }
        });
        return Sgemm.PackedA.pack(false, out, ckk, g, 0, ckk, dst, be.par());
    }

    /**
     * dst (=|+=) the correlation of src with the packed filters a; then, when bias is not null, + bias[o], and
     * when relu, max(0, .) (the forward's epilogue; only with accumulate false).
     */
    void run(float[] src, Sgemm.PackedA a, float[] bias, boolean relu, boolean accumulate, float[] dst) {
        int plane = hp * wp;
        float[] xp = be.border(src, n * in, srcH, srcW, padTop, padLeft, hp, wp);
        // the tiles of pitched pixels of every image, as many tasks as im2col's, so the workers stay even
        be.par().forEach(n * tiles, (task, worker) -> {
            int img = task / tiles, t0 = (task % tiles) * tile, tn = Math.min(tile, pitched - t0);
            float[] y = be.scratch(worker, SCRATCH_OUT, out * tn);
            Sgemm.gemm(a, tn, xp, img * in * plane + t0, rowAt, false, y, 0, tn, be.gemmBuffers()[worker]);
            // keep the pixels inside dst's rows, with bias and activation
            int dImg = img * out * dstH * dstW;
            for (int o = 0; o < out; o++) {
                float b = bias == null ? 0f : bias[o];
                int from = o * tn - t0, to = dImg + o * dstH * dstW;
                for (int t = t0; t < t0 + tn; ) {
                    int r = t / wp, s = t % wp, run = Math.min(wp - s, t0 + tn - t);
                    int valid = Math.max(0, Math.min(run, dstW - s));
                    int d = to + r * dstW + s, f = from + t;
                    if (relu) for (int e = 0; e < valid; e++) dst[d + e] = Math.max(y[f + e] + b, 0f);
                    else if (bias != null) for (int e = 0; e < valid; e++) dst[d + e] = y[f + e] + b;
                    else for (int e = 0; e < valid; e++) dst[d + e] = CpuBackend.grad(dst[d + e], y[f + e], accumulate);
                    t += run;
                }
            }
        });
    }
}
