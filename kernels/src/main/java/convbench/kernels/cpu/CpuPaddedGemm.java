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
 * and dropped, so it pays only with narrow windows, and for a product whose B is packed only on narrow images
 * ({@link #pays}); where B is read in place (at most {@link Sgemm#UNPACKED_ROWS} rows), on wide ones too.
 * <p>
 * The convolution's forward pass is this with src = x, g = w; its data gradient with src = dz,
 * g[c, k] = w[k, c] turned by 180 degrees and pads k - 1 - pad ({@link CpuConv}).
 */
final class CpuPaddedGemm {
    // shared scratch of the backend used here (the bordered source is CpuBackend.border's): the turned filters
    // of the data gradient
    private static final int SHARED_TURNED = 6;
    // per-worker scratch: a tile of the pitched output (CpuConv's columns slot: the two never run together); for the
    // filter gradient, the bordered image transposed, dz at the pitch and packed (Winograd's slots, not in use then)
    private static final int SCRATCH_OUT = 0, SCRATCH_XT = 4, SCRATCH_DZ = 5, SCRATCH_DZ_PACKED = 6;
    // per group of the filter gradient (indexed by group): its partial dW (CpuConv's slot, not in use then)
    private static final int DW_PARTIAL = 2;

    private final CpuBackend be;
    private final int n, in, srcH, srcW, kh, kw, padTop, padLeft, out, dstH, dstW, hp, wp, pitched, tile, tiles;
    /** The filter gradient's pixels a chunk: dz's packed chunk about 64K floats (256 KB, in L2), whole steps of the products' depth. */
    private final int filterChunk;
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
        tile = CpuConv.tileOf(pitched, ckk);
        tiles = (pitched + tile - 1) / tile;
        filterChunk = Math.min(pitched, Math.max(Sgemm.KC, (1 << 16) / out / Sgemm.KC * Sgemm.KC));
        rowAt = new int[ckk];
        for (int r = 0; r < ckk; r++) rowAt[r] = r / (kh * kw) * hp * wp + r / kw % kh * wp + r % kw;
    }

    /**
     * Where it measured faster than im2col (one thread, CPU time, forward): outputs up to 64 pixels wide
     * (56x56 3x3 and 35x35 5x5 layers of 48 to 64 channels 20 % faster, 17x17 7x1 ones 20 %; 73 wide the same,
     * 112 and 147 wide 9 and 17 % slower), dropping at most an eighth of the pitched pixels (5x5 from 32 wide).
     */
    static boolean pays(int dstW, int kw) {
        return dstW <= 64 && fewDropped(dstW, kw);
    }

    /**
     * Also wider, where the Vector API kernel's micro-panel is 16 wide (AVX2: {@link #wideInPlace}), the product has
     * few rows (out channels, at most {@link Sgemm#UNPACKED_ROWS}: the bordered image read in place) and 32 channels
     * or more come in. Forward, in-JVM alternating, Zen 3, one thread: 149x149 32 -> 32 VALID 29 % faster, 147x147
     * 32 -> 64 16 %, 112x112 64 -> 64 22 %, 224x224 64 -> 64 20 % (both threads 12-20 %); 224x224 3 -> 64 16 %
     * slower. With AVX-512's 32-wide panel the 147-wide layer measured 17 % slower ({@link #pays}), so there it stays
     * up to 64 wide (bench/results/cpu-kernels-2026-12-01.txt, §42).
     */
    static boolean paysInPlace(int out, int in, int dstW, int kw) {
        return wideInPlace() && out <= Sgemm.UNPACKED_ROWS && in >= 32 && fewDropped(dstW, kw);
    }

    /** Whether {@link #paysInPlace} can hold on this machine: the Vector API kernel with a 16-wide micro-panel. */
    static boolean wideInPlace() { return Sgemm.vectorized() && Sgemm.NR == 16; }

    /** Whether the pitch drops at most an eighth of the pixels it computes (kw - 1 of each row's dstW + kw - 1). */
    static boolean fewDropped(int dstW, int kw) {
        return 8 * (kw - 1) <= dstW + kw - 1;
    }

    /**
     * Where the filter gradient by taps ({@link #filterGradient}) measured faster than im2col's: at least a full
     * micro-panel of channels (each tap's product is in channels wide), and at most an eighth of the pitched
     * pixels dropped, as {@link #pays}, at any width.
     */
    static boolean paysForFilters(int channels, int dstW, int kw) {
        return channels >= Sgemm.NR && fewDropped(dstW, kw);
    }

    /** The filter gradient's chunks of pixels in one image: its units of work are the batch's (image, chunk) pairs. */
    int filterChunks() { return (pitched + filterChunk - 1) / filterChunk; }

    /**
     * The filter gradient of the forward correlation (src = x, out = K filters, g = w):
     * <pre>
     *   dw[o, i, p, q] (=|+=) sum_{n, r, s} dz[n, o, r, s] * src[n, i, r + p - padTop, s + q - padLeft]
     * </pre>
     * Per image, with xT the bordered image transposed (hp * wp pixels, each its in channels) and dz at the pitch
     * (zero at the pixels past each output row), every tap (p, q) is one product over the pitched pixels:
     * dW_pq (out x in) += dz (out x pitched) . xT's rows from pixel p * wp + q (pitched x in). B's rows are runs of
     * xT, packed as plain copies, where im2col's columns must be packed transposed (a gather) for every tap; the
     * image is transposed once (per group that works on it). The batch's (image, chunk of pixels) pairs are split
     * over groups in order, each group sums into its own partial dW (out x taps x in), and the partials are summed
     * in group order and reordered into dw at the end, so the result does not depend on thread timing. Overwrites
     * dw (accumulate false) or adds to it.
     */
    void filterGradient(float[] src, float[] dz, boolean accumulate, float[] dw) {
        int taps = kh * kw, size = out * taps * in, plane = hp * wp, chunks = filterChunks(), items = n * chunks;
        int groups = Math.min(be.threads(), items);
        float[][] parts = new float[groups][];
        be.par().forEach(groups, (g, worker) -> {
            float[] part = parts[g] = be.scratch(g, DW_PARTIAL, size);
            java.util.Arrays.fill(part, 0, size, 0f);
            float[] xt = be.scratch(worker, SCRATCH_XT, plane * in);
            float[] dzp = be.scratch(worker, SCRATCH_DZ, out * filterChunk);
            float[] packed = be.scratch(worker, SCRATCH_DZ_PACKED, Sgemm.PackedA.size(out, filterChunk));
            Sgemm.Buffers buf = be.gemmBuffers()[worker];
            // the group's run of (image, chunk of pixels), in order; every tap on one chunk before the next,
            // so dz's packed chunk stays in cache
            for (int item = g * items / groups, end = (g + 1) * items / groups, img = -1; item < end; item++) {
                if (item / chunks != img) {
                    img = item / chunks;
                    transposeBordered(src, img, xt);
                }
                int t0 = item % chunks * filterChunk, tn = Math.min(filterChunk, pitched - t0);
                pitch(dz, img, t0, tn, dzp);
                Sgemm.PackedA a = Sgemm.PackedA.pack(false, out, tn, dzp, 0, tn, packed);
                for (int p = 0; p < kh; p++)
                    for (int q = 0; q < kw; q++)
                        Sgemm.gemm(a, false, in, xt, (t0 + p * wp + q) * in, in, true, part, (p * kw + q) * in, taps * in, buf);
            }
        });
        // dw[o, i, tap] (=|+=) the groups' part[o, tap, i], in group order
        be.chunks(out, 1, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int i = 0; i < in; i++)
                    for (int e = 0; e < taps; e++) {
                        int at = (o * taps + e) * in + i;
                        float sum = 0f;
                        for (float[] part : parts) sum += part[at];
                        int d = (o * in + i) * taps + e;
                        dw[d] = CpuBackend.grad(dw[d], sum, accumulate);
                    }
        });
    }

    /** xt[(r * wp + s) * in + i] = src[img, i, r - padTop, s - padLeft], 0 in the border: the bordered image transposed. */
    private void transposeBordered(float[] src, int img, float[] xt) {
        int rowLen = wp * in, srcPlane = srcH * srcW, base = img * in * srcPlane;
        java.util.Arrays.fill(xt, 0, padTop * rowLen, 0f);
        java.util.Arrays.fill(xt, (padTop + srcH) * rowLen, hp * rowLen, 0f);
        for (int r = 0; r < srcH; r++) {
            int row = (padTop + r) * rowLen;
            java.util.Arrays.fill(xt, row, row + padLeft * in, 0f);
            java.util.Arrays.fill(xt, row + (padLeft + srcW) * in, row + rowLen, 0f);
            // one bordered row at a time (wp * in floats, in cache): channel by channel, a stride-in scatter
            for (int i = 0; i < in; i++) {
                int from = base + i * srcPlane + r * srcW, to = row + padLeft * in + i;
                for (int s = 0; s < srcW; s++) xt[to + s * in] = src[from + s];
            }
        }
    }

    /**
     * dzp[o * tn + t - t0] = dz[img, o, r, s] for the pitched pixels t = r * wp + s in [t0, t0 + tn): dz at the pitch,
     * 0 at the pixels past each row (s >= dstW).
     */
    private void pitch(float[] dz, int img, int t0, int tn, float[] dzp) {
        int dPlane = dstH * dstW, base = img * out * dPlane;
        for (int o = 0; o < out; o++) {
            int to = o * tn - t0, from = base + o * dPlane;
            for (int t = t0; t < t0 + tn; ) {
                int r = t / wp, s = t % wp, run = Math.min(wp - s, t0 + tn - t);
                int valid = Math.max(0, Math.min(run, dstW - s));
                System.arraycopy(dz, from + r * dstW + s, dzp, to + t, valid);
                for (int e = valid; e < run; e++) dzp[to + t + e] = 0f;
                t += run;
            }
        }
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
