package convbench.kernels.cpu;

import convbench.engine.tensor.Grad;
import convbench.engine.tensor.Tensor;
import convbench.engine.spec.Activation;
import convbench.engine.plan.ConvDesc;
import convbench.engine.plan.ConvPlan;

/**
 * Convolution on the CPU as matrix products over tiles of output pixels (Caffe's im2col, tiled so
 * the column buffer stays in cache). For image n and a tile of pixels p0..p0+T:
 * forward   y[n][:, tile]  = W (K x CKK) . col (CKK x T), then bias and activation on the tile;
 * data grad dcol (CKK x T) = W^T . dz[n][:, tile], scattered back into dx[n] (col2im);
 * filter grad dW          += dz[n][:, tile] . col^T, per-worker partial sums reduced at the end.
 * A 1x1 stride-1 unpadded convolution reads x[n] directly as the column matrix (no im2col).
 * Other stride-1 convolutions may run their forward and data gradient on the zero-bordered image, and their
 * filter gradient tap by tap from it transposed, instead of on im2col's columns ({@link CpuPaddedGemm}).
 * A 3x3 stride-1 convolution may run as Winograd F(2x2, 3x3) or F(4x4, 3x3) instead ({@link CpuWinograd},
 * chosen by {@link ConvChoice}): its forward, data gradient and filter gradient.
 * A convolution with a column stride above 1 reads im2col's columns from the zero-bordered image split by column
 * phase, and its col2im adds into such an image ({@link #strided}): each tap's run along an output row is then one copy.
 */
final class CpuConv implements ConvPlan {
    private final CpuBackend be;
    private final ConvDesc d;
    private final int n, c, h, w, k, kh, kw, sh, sw, pt, pl, oh, ow, ckk, p, tile, tiles;
    private final boolean direct;
    /** A direct 1x1's B rows: where channel i's plane starts in one image of x (C of them) and of dz (K). */
    private final int[] xRows, dzRows;
    /**
     * The forward (x -> y) and data gradient (dz -> dx) on the bordered image ({@link CpuPaddedGemm}), each null where
     * im2col's pays: the data gradient's also on wide images where it reads dz in place.
     */
    private final CpuPaddedGemm padded, paddedData;
    /** The filter gradient tap by tap from the bordered image transposed ({@link CpuPaddedGemm#filterGradient}), or null where im2col's or Winograd's. */
    private final CpuPaddedGemm paddedFilter;
    /** Winograd's forward (x -> y) and data gradient (dz -> dx), or null where the convolution is im2col's. */
    private final CpuWinograd winograd, winogradData;
    private final WinogradRows rows; // the Winograd algorithm in use, or null
    private final boolean winogradFilter; // the filter gradient by Winograd too (else im2col's)
    /**
     * Whether im2col and col2im go through x bordered (bh x bw a plane) and split into sw column phases
     * ({@link CpuBackend#borderSplit}): for a column stride sw above 1, where the plain im2col copies element by
     * element with a bounds check each (n8 c64 58x58 3x3/2: a bit under half of the forward). Bordered column
     * ocol * sw + j, tap j's input under output column ocol, lies in phase j % sw at j / sw + ocol: consecutive
     * outputs' taps are a run.
     */
    private final boolean strided;
    private final int bh, bw;
    /**
     * Tiny images (fewer output pixels than a micro-panel has columns: a classifier's 1x1, Inception's auxiliary 5x5
     * VALID on 5x5): the products by matrix of the forward, and of the data gradient where it has no bordered or
     * strided path of its own, run once over the whole batch, its columns side by side ({@link #forwardBatched},
     * {@link #dataGradientBatched}). Image by image, each product computes whole micro-panels for p columns and
     * streams all of W (8 MB for a classifier) an image. With AVX2's 16-wide panel, at 7x7 and 8x8 it was slower: W is
     * read in 49 or 64 columns at once already, and the batch's product is gathered and scattered.
     */
    private final boolean batched;
    /**
     * The forward over the whole batch also where an image's last micro-panel is more than half empty and it has under
     * two (not strided): ResNet's 7x7 with AVX-512's 32-wide panel, 49 = 32 + 17 columns computed as 64, where the
     * batch's 196 are 6 panels and a 4-column half. Its 1x1 layers' forward 5-15 % faster that way, their data
     * gradient within +-5 % either way, so that stays by image (bench/results/cpu-kernels-2026-12-01.txt, §44).
     */
    private final boolean batchedForward;
    /**
     * auto's thresholds for F(2x2, 3x3)'s forward and data gradient: at least AUTO_CHANNELS channels in and out,
     * and AUTO_EITHER on one side. Measured per layer against the products that would run instead (the padded
     * image's, im2col's), both threads, caches cold (bench/results/cpu-kernels-2026-12-01.txt, §40): 15-27 %
     * faster at 64 -> 96, 96 -> 96, 80 -> 192, 64 -> 128 and 128 -> 64 channels from 7x7 to 73x73; 64 -> 64 a
     * tie from 28x28 to 56x56 and 20 % slower at 14x14; 32 channels slower (its data gradient). Small images
     * too: in whole nets, 7x7 and 14x14 layers at batch 4 and 8 ran 1.3x to 2.5x faster from 128 channels (§9).
     */
    static final int AUTO_CHANNELS = 64, AUTO_EITHER = 96;
    /** auto's filter gradient by Winograd only from this many channels in and out (below it its dU products, long and thin, cost more). */
    static final int AUTO_FILTER_CHANNELS = 256;
    /**
     * At most this many filters, the filter gradient's partials are dW^T (CKK x K) += col (CKK x T) . dz^T (T x K)
     * instead of dW (K x CKK) += dz . col^T: the long operand (im2col's columns, or x) is then packed as rows read in
     * order, and only dz, the short one, is packed transposed (a gather, 0.3-0.4 ns a float against 0.12 for a copy).
     * One thread, GFLOP/s, dW -> dW^T: 64 x 1200 x 224 87-95 -> 111-118, 96 x 576 x 352 102-104 -> 121-122,
     * 128 x 1344 x 192 114-115 -> 117-118 (bench/results/cpu-kernels-2026-12-01.txt, §29).
     */
    static final int TRANSPOSED_FILTERS = 96;
    /**
     * The filter gradient sums whole images in one product ({@link #filterGradientOver}) where an image has fewer
     * output pixels than this (each image's own product under half a kc block deep), in runs of images whose
     * im2col columns fit in this many floats (256 KiB, in L2 while they are packed).
     */
    static final int OVER_IMAGES_PIXELS = Sgemm.KC / 2, OVER_IMAGES_COLUMNS = 1 << 16;
    /**
     * At most this many floats (4 MiB) in each of the whole batch's matrices side by side ({@link #batchColumns}, and
     * the product of {@link #forwardBatched} and {@link #dataGradientBatched}).
     */
    static final int BATCH_FLOATS = 1 << 20;

    // The CpuBackend scratch this plan uses. Shared (written once per call, then only read): the packed W of
    // the forward and the packed W^T of the data gradient. Per worker: a tile of im2col's columns and of their
    // gradient. Per group of the filter gradient (indexed by group, not worker): its partial dW and db.
    // Shared slots 7 and 8: the whole batch's columns side by side (batchColumns), and the batched product or dz.
    private static final int SHARED_W = 0, SHARED_WT = 1, SHARED_COLUMNS = 7, SHARED_PRODUCT = 8;
    // A strided convolution's data gradient (not Winograd's, which uses slots 4 to 7) keeps one image of dx bordered and split in slot 4.
    private static final int COLUMNS = 0, COLUMN_GRAD = 1, DW_PARTIAL = 2, DB_PARTIAL = 3, STRIDED_DX = 4;

    CpuConv(CpuBackend be, ConvDesc d, ConvChoice choice) {
        this.be = be;
        this.d = d;
        n = d.x().n();
        c = d.x().c();
        h = d.x().h();
        w = d.x().w();
        k = d.filters();
        kh = d.kh();
        kw = d.kw();
        sh = d.strideH();
        sw = d.strideW();
        pt = d.padTop();
        pl = d.padLeft();
        oh = d.outH();
        ow = d.outW();
        ckk = c * kh * kw;
        p = oh * ow;
        direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && d.padBottom() == 0 && d.padRight() == 0;
        tile = tileOf(p, ckk);
        xRows = direct ? planes(c, p) : null;
        dzRows = direct ? planes(k, p) : null;
        tiles = (p + tile - 1) / tile;
        boolean eligible = kh == 3 && kw == 3 && sh == 1 && sw == 1;
        boolean use = switch (choice) {
            case DIRECT -> false;
            case WINOGRAD2, WINOGRAD4 -> eligible;
            case AUTO -> eligible && Math.min(c, k) >= AUTO_CHANNELS && Math.max(c, k) >= AUTO_EITHER;
        };
        rows = use ? choice.rows : null;
        // stride 1, not 1x1, not Winograd: the forward and data gradient on the bordered image where that pays
        // (the data gradient: dz's correlation with the filters turned, pads k - 1 - pad, none above the window)
        int pb = d.padBottom(), pr = d.padRight(), dt = kh - 1 - pt, dl = kw - 1 - pl, dbm = kh - 1 - pb, dr = kw - 1 - pr;
        boolean bordered = !use && !direct && sh == 1 && sw == 1 && Math.min(Math.min(dt, dl), Math.min(dbm, dr)) >= 0;
        boolean pad = bordered && (CpuPaddedGemm.pays(ow, kw) || CpuPaddedGemm.paysInPlace(k, c, ow, kw));
        padded = pad ? new CpuPaddedGemm(be, n, c, h, w, kh, kw, pt, pl, pb, pr, k) : null;
        // the data gradient so also on wider images where its product has few enough rows (c) to read the
        // bordered dz in place (Sgemm.UNPACKED_ROWS) and its pitch drops at most an eighth of dx's pixels
        boolean padData = pad || bordered && c <= Sgemm.UNPACKED_ROWS && CpuPaddedGemm.fewDropped(w, kw);
        paddedData = padData ? new CpuPaddedGemm(be, n, k, oh, ow, kh, kw, dt, dl, dbm, dr, c) : null;
        // auto's filter gradient by Winograd only from AUTO_FILTER_CHANNELS: below, by taps or im2col's
        winogradFilter = use && (choice != ConvChoice.AUTO || Math.min(c, k) >= AUTO_FILTER_CHANNELS);
        // the filter gradient by taps (stride 1, not Winograd's) where that pays and gives every worker a share
        CpuPaddedGemm byTaps = !winogradFilter && !direct && sh == 1 && sw == 1 && CpuPaddedGemm.paysForFilters(c, ow, kw)
                ? (padded != null ? padded : new CpuPaddedGemm(be, n, c, h, w, kh, kw, pt, pl, pb, pr, k)) : null;
        paddedFilter = byTaps != null && n * byTaps.filterChunks() >= be.threads() ? byTaps : null;
        winograd = use ? new CpuWinograd(be, rows, n, c, h, w, k, oh, ow, pt, pl) : null;
        // dx[c] = the correlation of dz with w[:, c] turned by 180 degrees, window origin -(2 - pad)
        winogradData = use ? new CpuWinograd(be, rows, n, k, oh, ow, c, h, w, 2 - pt, 2 - pl) : null;
        strided = !direct && sw > 1;
        // every output's window inside the plane: rows to (oh - 1) * sh + kh, columns to (ow - 1) * sw + kw, a multiple of sw
        bh = Math.max(h + pt, (oh - 1) * sh + kh);
        bw = Sgemm.roundUp(Math.max(w + pl, (ow - 1) * sw + kw), sw);
        boolean batchFits = rows == null && (long) Math.max(ckk, k) * n * p <= BATCH_FLOATS;
        batched = batchFits && p < Sgemm.NR;
        batchedForward = batched || batchFits && !strided && p < 2 * Sgemm.NR && p % Sgemm.NR > Sgemm.NR / 2;
    }

    /** {0, p, 2p, ...}: where each of count planes of p pixels starts. */
    private static int[] planes(int count, int p) {
        int[] at = new int[count];
        for (int i = 0; i < count; i++) at[i] = i * p;
        return at;
    }

    /**
     * Pixels per tile for a product over {@code pixels} output pixels ckk deep: all of them where they fit in
     * {@link #columnTile}, else as many tiles as that needs, of even width (a multiple of the micro-kernel's):
     * a 17x17 image's 289 pixels at ckk 1344 as 160 + 129, not 224 + 65, whose short tile is a short product.
     */
    static int tileOf(int pixels, int ckk) {
        int most = columnTile(ckk);
        if (pixels <= most) return pixels;
        int tiles = (pixels + most - 1) / most;
        return Sgemm.roundUp((pixels + tiles - 1) / tiles, Sgemm.NR);
    }

    /** Output pixels per tile of columns ckk deep: about 256K floats (1 MB), a multiple of the micro-kernel's width. */
    static int columnTile(int ckk) {
        return Math.max(Sgemm.NR, Sgemm.roundUp(Math.max(1, (1 << 18) / ckk), Sgemm.NR));
    }

    @Override public ConvDesc desc() { return d; }

    @Override public String algorithm() {
        // the forward's, then the data and filter gradients' where they differ from it
        String fwd = rows != null ? "winograd" + rows.step() : direct ? "gemm" : padded != null ? "padded+gemm" : "im2col+gemm";
        String dx = rows != null ? fwd : paddedData != null ? "padded+gemm" : direct ? "gemm" : "im2col+gemm";
        String dw = winogradFilter ? fwd : paddedFilter != null ? "taps+gemm" : direct ? "gemm" : "im2col+gemm";
        return fwd + (dx.equals(fwd) ? "" : ", dx " + dx) + (dw.equals(fwd) ? "" : ", dw " + dw);
    }

    @Override public void forward(Tensor xt, Tensor wt, Tensor bt, Tensor yt) {
        float[] x = CpuBackend.data(xt), y = CpuBackend.data(yt);
        float[] b = bt == null ? null : CpuBackend.data(bt);
        boolean relu = d.act() == Activation.RELU;
        if (winograd != null) {
            winograd.run(x, winograd.filters(CpuBackend.data(wt), false), b, relu, false, y);
            return;
        }
        if (padded != null) {
            padded.run(x, padded.filters(CpuBackend.data(wt), false, SHARED_W), b, relu, false, y);
            return;
        }
        if (batchedForward) {
            forwardBatched(x, CpuBackend.data(wt), b, relu, y);
            return;
        }
        // W (K x CKK) packed once, read by every tile.
        Sgemm.PackedA wp = Sgemm.PackedA.pack(false, k, ckk, CpuBackend.data(wt), 0, ckk, be.shared(SHARED_W, Sgemm.PackedA.size(k, ckk)), be.par());
        float[] xs = strided ? phases(x) : null;
        be.par().forEach(n * tiles, (task, worker) -> {
            int img = task / tiles, p0 = (task % tiles) * tile, pn = Math.min(tile, p - p0);
            int yOff = img * k * p + p0;
            Sgemm.Buffers buf = be.gemmBuffers()[worker];
            if (direct) {
                Sgemm.gemm(wp, pn, x, img * c * h * w + p0, xRows, false, y, yOff, p, buf);
            } else {
                float[] col = be.scratch(worker, COLUMNS, ckk * pn);
                if (strided) im2colStrided(xs, img, p0, pn, col);
                else im2col(x, img, p0, pn, col);
                Sgemm.gemm(wp, false, pn, col, 0, pn, false, y, yOff, p, buf);
            }
            if (b != null || relu) {
                for (int kk = 0; kk < k; kk++) {
                    float bias = b == null ? 0f : b[kk];
                    int o = yOff + kk * p;
                    if (relu) for (int q = 0; q < pn; q++) y[o + q] = Math.max(y[o + q] + bias, 0f);
                    else for (int q = 0; q < pn; q++) y[o + q] += bias;
                }
            }
        });
    }

    /**
     * col[(ci*kh + i)*kw + j][q] = x[img, ci, oh*sh + i - pt, ow*sw + j - pl] for output pixel p0 + q
     * (oh, ow its row and column), 0 where that lies in the padding.
     */
    private void im2col(float[] x, int img, int p0, int pn, float[] col) {
        im2col(x, img, p0, pn, col, pn, 0);
    }

    /** The same into columns [at, at + pn) of col's rows, ld floats apart (several images' columns side by side). */
    private void im2col(float[] x, int img, int p0, int pn, float[] col, int ld, int at) {
        int xImg = img * c * h * w;
        for (int ci = 0; ci < c; ci++) {
            int xc = xImg + ci * h * w;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((ci * kh + i) * kw + j) * ld + at;
                    int q = 0;
                    while (q < pn) {
                        int pp = p0 + q, orow = pp / ow, ocol = pp % ow;
                        int run = Math.min(pn - q, ow - ocol); // pixels left in this output row
                        int ih = orow * sh + i - pt;
                        int dst = row + q;
                        if (ih < 0 || ih >= h) {
                            java.util.Arrays.fill(col, dst, dst + run, 0f);
                        } else {
                            int src = xc + ih * w;
                            int iw0 = ocol * sw + j - pl;
                            if (sw == 1) {
                                // valid iw in [0, w): columns q..q+run map to iw0..iw0+run-1
                                int lo = Math.min(run, Math.max(0, -iw0));
                                int hi = Math.max(lo, Math.min(run, w - iw0));
                                // the borders are a few pixels: plain loops (Arrays.fill's call cost more)
                                for (int r = 0; r < lo; r++) col[dst + r] = 0f;
                                if (hi > lo) System.arraycopy(x, src + iw0 + lo, col, dst + lo, hi - lo);
                                for (int r = hi; r < run; r++) col[dst + r] = 0f;
                            } else {
                                for (int r = 0, iw = iw0; r < run; r++, iw += sw)
                                    col[dst + r] = iw >= 0 && iw < w ? x[src + iw] : 0f;
                            }
                        }
                        q += run;
                    }
                }
            }
        }
    }

    /** The adjoint of im2col: dx[img, ci, ih, iw] += col[...] for every column entry that came from it. */
    private void col2im(float[] col, int img, int p0, int pn, float[] dx) {
        col2im(col, img, p0, pn, dx, pn, 0);
    }

    /** The same from columns [at, at + pn) of col's rows, ld floats apart. */
    private void col2im(float[] col, int img, int p0, int pn, float[] dx, int ld, int at) {
        int xImg = img * c * h * w;
        for (int ci = 0; ci < c; ci++) {
            int xc = xImg + ci * h * w;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((ci * kh + i) * kw + j) * ld + at;
                    int q = 0;
                    while (q < pn) {
                        int pp = p0 + q, orow = pp / ow, ocol = pp % ow;
                        int run = Math.min(pn - q, ow - ocol);
                        int ih = orow * sh + i - pt;
                        if (ih >= 0 && ih < h) {
                            int dst = xc + ih * w, src = row + q;
                            int iw0 = ocol * sw + j - pl;
                            if (sw == 1) {
                                int lo = Math.max(0, -iw0), hi = Math.min(run, w - iw0);
                                for (int r = lo; r < hi; r++) dx[dst + iw0 + r] += col[src + r];
                            } else {
                                for (int r = 0, iw = iw0; r < run; r++, iw += sw)
                                    if (iw >= 0 && iw < w) dx[dst + iw] += col[src + r];
                            }
                        }
                        q += run;
                    }
                }
            }
        }
    }

    /** x's images bordered (pads pt, pl) and split into sw column phases ({@link #strided}), in shared scratch. */
    private float[] phases(float[] x) {
        return be.borderSplit(x, n * c, h, w, pt, pl, bh, bw, sw, 0);
    }

    /**
     * im2col from x bordered and split ({@link #phases}): col[(ci*kh + i)*kw + j][q] = bordered x[img, ci, orow*sh + i,
     * ocol*sw + j] for output pixel p0 + q at (orow, ocol), the run of an output row one copy from phase j % sw.
     */
    private void im2colStrided(float[] xs, int img, int p0, int pn, float[] col) {
        im2colStrided(xs, img, p0, pn, col, pn, 0);
    }

    /** The same into columns [at, at + pn) of col's rows, ld floats apart. */
    private void im2colStrided(float[] xs, int img, int p0, int pn, float[] col, int ld, int at) {
        int pw = bw / sw;
        for (int ci = 0; ci < c; ci++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((ci * kh + i) * kw + j) * ld + at, tap = ((img * c + ci) * bh + i) * bw + (j % sw) * pw + j / sw;
                    for (int q = 0; q < pn; ) {
                        int pp = p0 + q, orow = pp / ow, ocol = pp % ow, run = Math.min(pn - q, ow - ocol);
                        System.arraycopy(xs, tap + orow * sh * bw + ocol, col, row + q, run);
                        q += run;
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2colStrided} for one image: dxs (c planes bordered and split, as {@link #phases}) += col's entries. */
    private void col2imStrided(float[] col, int p0, int pn, float[] dxs) {
        int pw = bw / sw;
        for (int ci = 0; ci < c; ci++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((ci * kh + i) * kw + j) * pn, tap = (ci * bh + i) * bw + (j % sw) * pw + j / sw;
                    for (int q = 0; q < pn; ) {
                        int pp = p0 + q, orow = pp / ow, ocol = pp % ow, run = Math.min(pn - q, ow - ocol);
                        int to = tap + orow * sh * bw + ocol, from = row + q;
                        for (int r = 0; r < run; r++) dxs[to + r] += col[from + r];
                        q += run;
                    }
                }
            }
        }
    }

    /** dx[img] (=|+=) the inside of dxs, one image's planes bordered and split ({@link #col2imStrided}); its border is dropped. */
    private void unsplit(float[] dxs, int img, float[] dx, boolean accumulate) {
        int pw = bw / sw;
        for (int ci = 0; ci < c; ci++) {
            for (int r = 0; r < h; r++) {
                int from = (ci * bh + r + pt) * bw, to = ((img * c + ci) * h + r) * w;
                // phase ph holds bordered columns ph + t * sw, dx's columns ph + t * sw - pl: those from 0 to w - 1
                for (int ph = 0; ph < sw; ph++)
                    for (int t = Math.max(0, -Math.floorDiv(ph - pl, sw)), cc = ph + t * sw - pl, at = from + ph * pw + t; cc < w; cc += sw, at++)
                        dx[to + cc] = CpuBackend.grad(dx[to + cc], dxs[at], accumulate);
            }
        }
    }

    @Override public void backward(Tensor xt, Tensor wt, Tensor dzt, Grad dx, Grad dw, Grad db) {
        float[] dz = CpuBackend.data(dzt);
        // each gradient by the first path that takes it; what is left (null once done) goes to the matrix products
        if (dw != null && paddedFilter != null) {
            paddedFilter.filterGradient(CpuBackend.data(xt), dz, dw.accumulate(), CpuBackend.data(dw.t()));
            dw = null;
        }
        if (winograd == null) {
            if (dx != null && paddedData != null) {
                paddedData.run(dz, paddedData.filters(CpuBackend.data(wt), true, SHARED_WT), null, false, dx.accumulate(), CpuBackend.data(dx.t()));
                dx = null;
            }
            if (dx != null && batched && !strided) {
                dataGradientBatched(CpuBackend.data(wt), dz, dx);
                dx = null;
            }
        } else {
            if (dx != null) {
                winogradData.run(dz, winogradData.filters(CpuBackend.data(wt), true), null, false, dx.accumulate(), CpuBackend.data(dx.t()));
                dx = null;
            }
            if (dw != null && winogradFilter) {
                winograd.filterGradient(CpuBackend.data(xt), dz, dw.accumulate(), CpuBackend.data(dw.t()));
                dw = null;
            }
        }
        if (dx != null || dw != null || db != null) gemmBackward(xt, wt, dzt, dx, dw, db);
    }

    /** The gradients wanted (not null) by matrix products: dx = W^T . dz through col2im, dw = dz . col^T, db = sum dz. */
    private void gemmBackward(Tensor xt, Tensor wt, Tensor dzt, Grad dx, Grad dw, Grad db) {
        float[] x = CpuBackend.data(xt), dz = CpuBackend.data(dzt);
        int threads = be.threads();
        int wSize = k * ckk, imgSize = c * h * w;
        boolean wantW = dw != null, wantB = db != null;
        // small images, one tile each: the filter gradient in products over runs of images, not per tile; where the
        // batch's pixels are at most a kc block, in slices of dW itself rather than in partials (filterGradientSliced)
        boolean overImages = wantW && tiles == 1 && p < OVER_IMAGES_PIXELS;
        boolean sliced = overImages && n * p <= Sgemm.KC && (direct || (long) n * ckk * p <= BATCH_FLOATS);
        boolean partials = wantW && !sliced;
        boolean dwT = partials && k <= TRANSPOSED_FILTERS && ckk >= k; // the partials hold dW^T (CKK x K)
        float[] dxa = dx == null ? null : CpuBackend.data(dx.t());
        boolean dxAcc = dx != null && dx.accumulate();
        // W^T (CKK x K) packed once for the data gradient of every tile.
        Sgemm.PackedA wtp = dx == null ? null
                : Sgemm.PackedA.pack(true, ckk, k, CpuBackend.data(wt), 0, ckk, be.shared(SHARED_WT, Sgemm.PackedA.size(ckk, k)), be.par());
        // With dx wanted (and not a direct 1x1), tiles of one image overlap in dx: one task per image.
        boolean perImage = dx != null && !direct;
        int tasks = perImage ? n : n * tiles;
        float[] xs = strided && wantW ? phases(x) : null;
        if (sliced) filterGradientSliced(x, xs, dz, dw);
        // Static partition: group g takes tasks [g * tasks / G, (g + 1) * tasks / G) in order and keeps
        // its own partial dW and db, summed in group order at the end, so the result does not depend
        // on thread timing (bit for bit the same every run with the same thread count).
        int groups = Math.min(threads, tasks);
        float[][] dwPart = new float[groups][];
        float[][] dbPart = new float[groups][];
        be.par().forEach(groups, (g, worker) -> {
            Sgemm.Buffers buf = be.gemmBuffers()[worker];
            // The partials belong to the group (scratch of index g): one worker may run two groups.
            if (partials) {
                dwPart[g] = be.scratch(g, DW_PARTIAL, wSize);
                java.util.Arrays.fill(dwPart[g], 0, wSize, 0f);
            }
            if (wantB) {
                dbPart[g] = be.scratch(g, DB_PARTIAL, k);
                java.util.Arrays.fill(dbPart[g], 0, k, 0f);
            }
            // one tile an image: tasks are images either way
            if (overImages && partials) filterGradientOver(x, xs, dz, g * tasks / groups, (g + 1) * tasks / groups, dwT, dwPart[g], worker, buf);
            for (int task = g * tasks / groups, end = (g + 1) * tasks / groups; task < end; task++) {
                int img = perImage ? task : task / tiles;
                int t0 = perImage ? 0 : task % tiles, t1 = perImage ? tiles : t0 + 1;
                // strided: dx's image gathered in a bordered, split copy (scratch), then written into dx
                float[] dxs = perImage && strided ? be.scratch(worker, STRIDED_DX, c * bh * bw) : null;
                if (dxs != null) java.util.Arrays.fill(dxs, 0, c * bh * bw, 0f);
                else if (perImage && !dxAcc) java.util.Arrays.fill(dxa, img * imgSize, (img + 1) * imgSize, 0f);
                for (int t = t0; t < t1; t++) {
                    int p0 = t * tile, pn = Math.min(tile, p - p0);
                    int dzOff = img * k * p + p0;
                    if (wantB) {
                        float[] part = dbPart[g];
                        for (int kk = 0; kk < k; kk++) part[kk] += (float) Reductions.BEST.sum(dz, dzOff + kk * p, pn);
                    }
                    if (direct) {
                        int xOff = img * imgSize + p0;
                        if (wantW && !overImages) addFilterGradient(dz, dzOff, pn, x, xOff, p, c, dwT, dwPart[g], buf);
                        if (dx != null) Sgemm.gemm(wtp, pn, dz, dzOff, dzRows, dxAcc, dxa, xOff, p, buf);
                    } else {
                        if (wantW && !overImages) {
                            float[] col = be.scratch(worker, COLUMNS, ckk * pn);
                            if (strided) im2colStrided(xs, img, p0, pn, col);
                            else im2col(x, img, p0, pn, col);
                            addFilterGradient(dz, dzOff, pn, col, 0, pn, ckk, dwT, dwPart[g], buf);
                        }
                        if (dx != null) {
                            float[] dcol = be.scratch(worker, COLUMN_GRAD, ckk * pn);
                            Sgemm.gemm(wtp, false, pn, dz, dzOff, p, false, dcol, 0, pn, buf);
                            if (strided) col2imStrided(dcol, p0, pn, dxs);
                            else col2im(dcol, img, p0, pn, dxa);
                        }
                    }
                }
                if (dxs != null) unsplit(dxs, img, dxa, dxAcc);
            }
        });
        if (dwT) reduceTransposed(dwPart, CpuBackend.data(dw.t()), ckk, dw.accumulate());
        else if (partials) reduce(dwPart, CpuBackend.data(dw.t()), wSize, dw.accumulate());
        if (wantB) reduce(dbPart, CpuBackend.data(db.t()), k, db.accumulate());
    }

    /**
     * dwPartial (K x rows) += dz's tile (K x pn, rows p apart from dzOff) . columns^T, where columns is rows x pn
     * with its rows ld apart from colOff (im2col's tile, or x itself for a direct 1x1 convolution, rows = C);
     * transposed: dwPartial holds dW^T (rows x K) += columns . dz^T ({@link #TRANSPOSED_FILTERS}).
     */
    private void addFilterGradient(float[] dz, int dzOff, int pn, float[] columns, int colOff, int ld, int rows,
                                   boolean transposed, float[] dwPartial, Sgemm.Buffers buf) {
        if (transposed) Sgemm.gemm(false, true, rows, k, pn, columns, colOff, ld, dz, dzOff, p, true, dwPartial, 0, k, buf);
        else Sgemm.gemm(false, true, k, rows, pn, dz, dzOff, p, columns, colOff, ld, true, dwPartial, 0, rows, buf);
    }

    /**
     * dwPartial += the filter gradient of images [i0, i1), each one tile: dz (K x p an image) . x^T summed over runs
     * of images in one product each, k = images x p deep (Sgemm.Span), not one p-deep product (a pass over dW) per
     * image. A direct 1x1 convolution reads x's planes in place, all of [i0, i1) in one product; otherwise runs of as
     * many images as {@link #OVER_IMAGES_COLUMNS} holds get their im2col columns side by side. transposed as in
     * {@link #addFilterGradient}.
     */
    private void filterGradientOver(float[] x, float[] xs, float[] dz, int i0, int i1, boolean transposed,
                                    float[] dwPartial, int worker, Sgemm.Buffers buf) {
        if (i1 <= i0) return;
        if (direct) {
            int deep = (i1 - i0) * p;
            if (transposed) Sgemm.gemmSpan(c, k, deep, new Sgemm.Span(p, c * p, k * p), x, i0 * c * p, p, dz, i0 * k * p, p,
                    true, dwPartial, 0, k, buf);
            else Sgemm.gemmSpan(k, c, deep, new Sgemm.Span(p, k * p, c * p), dz, i0 * k * p, p, x, i0 * c * p, p,
                    true, dwPartial, 0, c, buf);
            return;
        }
        int per = Math.max(1, OVER_IMAGES_COLUMNS / (ckk * p));
        float[] col = be.scratch(worker, COLUMNS, ckk * Math.min(per, i1 - i0) * p);
        for (int i = i0; i < i1; i += per) {
            int run = Math.min(per, i1 - i), ld = run * p;
            for (int j = 0; j < run; j++) {
                if (strided) im2colStrided(xs, i + j, 0, p, col, ld, j * p);
                else im2col(x, i + j, 0, p, col, ld, j * p);
            }
            // the columns' k runs on across images (image stride p); dz's images are k * p apart
            if (transposed) Sgemm.gemmSpan(ckk, k, ld, new Sgemm.Span(p, p, k * p), col, 0, ld, dz, i * k * p, p,
                    true, dwPartial, 0, k, buf);
            else Sgemm.gemmSpan(k, ckk, ld, new Sgemm.Span(p, k * p, p), dz, i * k * p, p, col, 0, ld,
                    true, dwPartial, 0, ckk, buf);
        }
    }

    /**
     * dW (=|+= as dw says) = dz . cols^T over the whole batch, one product for each slice of dW's rows (filters), a
     * slice a thread: where the batch's pixels are at most a kc block, each group's partial dW (cleared, filled, then
     * summed into dW) costs more passes over dW than the product itself (a classifier's 2048 x 1000 dW, 8 MB, on a
     * batch's 8 pixels). cols: x's planes in place (1x1), or all images' im2col columns side by side (shared).
     */
    private void filterGradientSliced(float[] x, float[] xs, float[] dz, Grad dw) {
        int deep = n * p;
        final float[] cols;
        final Sgemm.Span span;
        if (direct) {
            cols = x;
            span = new Sgemm.Span(p, k * p, c * p);
        } else {
            cols = batchColumns(x, xs);
            span = new Sgemm.Span(p, k * p, p);
        }
        int ldb = direct ? p : deep;
        float[] dwa = CpuBackend.data(dw.t());
        inRowSlices(k, (r0, rows, buf) -> Sgemm.gemmSpan(rows, ckk, deep, span, dz, r0 * p, p, cols, 0, ldb,
                dw.accumulate(), dwa, r0 * ckk, ckk, buf));
    }

    /**
     * The whole batch's columns side by side (shared scratch), CKK x n*p: image img's at columns img * p of each
     * row, its planes for a 1x1 and im2col's columns otherwise (xs: x bordered and split, where strided).
     */
    private float[] batchColumns(float[] x, float[] xs) {
        int cols = n * p;
        float[] xb = be.shared(SHARED_COLUMNS, ckk * cols);
        if (direct) return sideBySide(x, c, xb);
        be.par().forEach(n, (img, worker) -> {
            if (strided) im2colStrided(xs, img, 0, p, xb, cols, img * p);
            else im2col(x, img, 0, p, xb, cols, img * p);
        });
        return xb;
    }

    /** dst (planes x n*p) = src's n images of planes planes of p pixels side by side: image img's at columns img * p. */
    private float[] sideBySide(float[] src, int planes, float[] dst) {
        int cols = n * p;
        be.par().forEach(n, (img, worker) -> {
            for (int pl = 0; pl < planes; pl++) System.arraycopy(src, (img * planes + pl) * p, dst, pl * cols + img * p, p);
        });
        return dst;
    }

    /**
     * Y' (K x n*p) = W . X' over the whole batch's columns ({@link #batchColumns}), then y = Y' scattered back
     * image by image, plus the bias, through relu. Image by image, each product streams all of W for p columns:
     * a classifier's 8 MB of W for one pixel, once an image.
     */
    private void forwardBatched(float[] x, float[] wts, float[] b, boolean relu, float[] y) {
        int cols = n * p;
        float[] xb = batchColumns(x, strided ? phases(x) : null);
        float[] yb = be.shared(SHARED_PRODUCT, k * cols);
        slicedProduct(false, k, cols, ckk, wts, xb, yb);
        be.par().forEach(n, (img, worker) -> {
            for (int kk = 0; kk < k; kk++) {
                float bias = b == null ? 0f : b[kk];
                for (int q = 0, o = (img * k + kk) * p, from = kk * cols + img * p; q < p; q++) {
                    float v = yb[from + q] + bias;
                    y[o + q] = relu ? Math.max(v, 0f) : v;
                }
            }
        });
    }

    /**
     * dx (=|+= as dx says) over the whole batch at once: DX' (CKK x n*p) = W^T . DZ', DZ' the batch's dz side by
     * side (K x n*p), then DX' back image by image: as it is for a 1x1, through col2im otherwise.
     */
    private void dataGradientBatched(float[] wts, float[] dz, Grad dx) {
        int cols = n * p, imgSize = c * h * w;
        float[] zb = sideBySide(dz, k, be.shared(SHARED_PRODUCT, k * cols));
        float[] xb = be.shared(SHARED_COLUMNS, ckk * cols);
        slicedProduct(true, ckk, cols, k, wts, zb, xb);
        float[] dxa = CpuBackend.data(dx.t());
        boolean acc = dx.accumulate();
        be.par().forEach(n, (img, worker) -> {
            if (direct) {
                for (int ci = 0; ci < c; ci++)
                    for (int q = 0, o = (img * c + ci) * p, from = ci * cols + img * p; q < p; q++)
                        dxa[o + q] = CpuBackend.grad(dxa[o + q], xb[from + q], acc);
            } else {
                if (!acc) java.util.Arrays.fill(dxa, img * imgSize, (img + 1) * imgSize, 0f);
                col2im(xb, img, 0, p, dxa, cols, img * p);
            }
        });
    }

    /**
     * C (m x cols) = op(A) (m x depth) . B (depth x cols), op(A) being W (K x CKK) or, ta, W^T: op(A)'s rows in
     * slices, one product a thread, each packing only its own rows of W.
     */
    private void slicedProduct(boolean ta, int m, int cols, int depth, float[] wts, float[] bm, float[] cm) {
        inRowSlices(m, (r0, rows, buf) -> Sgemm.gemm(ta, false, rows, cols, depth, wts, ta ? r0 : r0 * ckk, ckk,
                bm, 0, cols, false, cm, r0 * cols, cols, buf));
    }

    /** A product's rows [r0, r0 + rows), with the packing buffers of the thread that runs it. */
    @FunctionalInterface
    private interface RowSlice {
        void run(int r0, int rows, Sgemm.Buffers buf);
    }

    /** m rows in one slice a thread (multiples of the micro-tile's rows), the slices in parallel. */
    private void inRowSlices(int m, RowSlice body) {
        int slice = Sgemm.roundUp((m + be.threads() - 1) / be.threads(), Sgemm.MR), slices = (m + slice - 1) / slice;
        be.par().forEach(slices, (s, worker) -> body.run(s * slice, Math.min(slice, m - s * slice), be.gemmBuffers()[worker]));
    }

    /** dst (K x rows) (=|+=) the transpose of the sum of the groups' partials (each rows x K), in group order. */
    private void reduceTransposed(float[][] parts, float[] dst, int rows, boolean accumulate) {
        be.chunks(k, 1, (from, to) -> {
            for (int o = from; o < to; o++) {
                int d = o * rows;
                if (!accumulate) java.util.Arrays.fill(dst, d, d + rows, 0f);
                for (float[] part : parts) for (int j = 0; j < rows; j++) dst[d + j] += part[j * k + o];
            }
        });
    }

    /** dst (=|+=) sum of the groups' partials in group order, parallel over the elements. */
    private void reduce(float[][] parts, float[] dst, int size, boolean accumulate) {
        be.chunks(size, 4096, (from, to) -> {
            if (!accumulate) java.util.Arrays.fill(dst, from, to, 0f);
            for (float[] part : parts) for (int i = from; i < to; i++) dst[i] += part[i];
        });
    }
}
