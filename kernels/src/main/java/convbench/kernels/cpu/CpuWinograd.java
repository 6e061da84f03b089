package convbench.kernels.cpu;

/**
 * A 3x3 stride-1 correlation by Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016), the way oneDNN and cuDNN do it, on the CPU:
 * <pre>
 *   dst[n, o, r, s] = sum_{i, p, q} src[n, i, r + p - padTop, s + q - padLeft] * g[o, i, p, q]   (0 outside src)
 * </pre>
 * The output is cut into 4x4 tiles. Each tile reads a 6x6 patch d of every input channel; with the
 * transforms (interpolation points 0, 1, -1, 2, -2 and infinity)
 * <pre>
 *   V = B^T d B (6x6, per input channel and tile)      U = G g G^T (6x6, per output and input channel)
 *   M[xi] = U[xi] . V[xi]    for each of the 36 positions xi: a (O x I) . (I x tiles) matrix product
 *   Y = A^T M A (4x4, per output channel and tile)
 * </pre>
 * a tile costs 36 multiply-adds per channel pair instead of the direct 144: a quarter of the
 * arithmetic, in 36 matrix products ({@link Sgemm}) plus the transforms. The price is float32
 * rounding: the transforms' coefficients (up to 8 and down to 1/24) make the result's error some
 * tens of times the direct product's (measured in CpuWinogradTest and by bench verify).
 * <p>
 * The convolution's forward pass is this with src = x, g = w; its data gradient is this with src = dz,
 * g[c, k] = w[k, c] rotated by 180 degrees and pads 2 - pad (see {@link CpuConv}). Tiles are processed in
 * chunks whose transformed inputs and products stay in the caches; within a chunk the three stages
 * (input transform, the 36 products, output transform) each run in parallel.
 */
final class CpuWinograd {
    /**
     * Floats of transformed inputs and products one worker's chunk keeps (2 MB: a core's share of the
     * caches); the filter gradient's chunks, shared by the workers, keep 8 times as many.
     */
    static final int CHUNK_FLOATS = 1 << 19;
    /**
     * Input channels per task of the filter transform; divides every kc block's depth (Sgemm.kcOf), so no run
     * crosses a packed block.
     */
    private static final int FILTER_RUN = 32;
    // shared scratch of the backend used here (CpuConv uses slots 0 and 1, CpuBackend.border 5): U (or the filter
    // gradient's dU), and a chunk's V and dM
    private static final int SHARED_U = 2, SHARED_V = 3, SHARED_M = 4;
    // per-worker scratch used here (CpuConv uses slots 0 to 3, and 4 in a strided convolution, never Winograd's)
    private static final int SCRATCH_A = 4, SCRATCH_B = 5, SCRATCH_V = 6, SCRATCH_M = 7;

    private final WinogradRows rows;
    /** The transformed tile is tile x tile (positions of them), the output tile step x step. */
    private final int tile, positions, step;
    private final CpuBackend be;
    private final int n, in, out, srcH, srcW, dstH, dstW, padTop, padLeft;
    private final int tileRows, tileCols, tilesPerImage, tiles, chunk;
    /**
     * The bordered source the patches are read from ({@link #border}): src's planes at offset (padTop, padLeft) in
     * zero planes of borderH x borderW, which hold every tile's patch (so no patch needs a bounds check: at 14x14 with pad 1,
     * half the tiles touch the border, and their element-by-element checks made the gather a fifth of the forward).
     */
    private final int borderH, borderW;
    private final int uSize; // floats of one packed U[xi]
    private final int chunkFloats;
    /** Whether the input transform reads whole tile rows from a split source ({@link WinogradRows#inputRow}), and its spill. */
    private final boolean byRows;
    private final int spill;

    /** A correlation of src (n, in, srcH, srcW) with a 3x3 window into dst (n, out, dstH, dstW), window origin -pads. */
    CpuWinograd(CpuBackend be, WinogradRows rows, int n, int in, int srcH, int srcW, int out, int dstH, int dstW, int padTop, int padLeft) {
        this(be, rows, n, in, srcH, srcW, out, dstH, dstW, padTop, padLeft, CHUNK_FLOATS);
    }

    /** With chunks of about chunkFloats floats of transformed inputs and products (tests make them small). */
    CpuWinograd(CpuBackend be, WinogradRows rows, int n, int in, int srcH, int srcW, int out, int dstH, int dstW, int padTop, int padLeft,
                int chunkFloats) {
        this.be = be;
        this.rows = rows;
        this.tile = rows.tile();
        this.step = rows.step();
        this.positions = tile * tile;
        this.n = n;
        this.in = in;
        this.out = out;
        this.srcH = srcH;
        this.srcW = srcW;
        this.dstH = dstH;
        this.dstW = dstW;
        this.padTop = padTop;
        this.padLeft = padLeft;
        this.chunkFloats = chunkFloats;
        tileRows = (dstH + step - 1) / step;
        tileCols = (dstW + step - 1) / step;
        // by tile rows where a row fills more than a quarter of inputRow's vector: at 7x7 (4 tiles a row in
        // 16 lanes) that measured 2 % slower than the gather, at 14x14 (7) 5-9 % faster, at 28x28 20 % (bench/results)
        this.byRows = rows.hasInputRow() && 4 * tileCols > rows.spill();
        this.spill = byRows ? rows.spill() : 0;
        tilesPerImage = tileRows * tileCols;
        tiles = n * tilesPerImage;
        borderH = (tileRows - 1) * step + tile;
        borderW = (tileCols - 1) * step + tile;
        int perTile = positions * (in + out);
        // chunks of at most chunkFloats (at least one micro-panel of tiles), as many as a multiple of the
        // threads and of equal size, so that the workers finish together
        // and, where the filters are large, enough tiles that reading all of U once per chunk costs no more
        // than the chunk's own V and M (up to 8 times chunkFloats)
        int amortize = Math.min(in * out / (in + out), 8 * (chunkFloats / perTile));
        int byMemory = Math.max(Sgemm.NR, Math.max(chunkFloats / perTile, amortize));
        int threads = be.threads(), chunks = (tiles + byMemory - 1) / byMemory;
        chunks = (chunks + threads - 1) / threads * threads;
        chunk = Math.max(1, (tiles + chunks - 1) / chunks);
        uSize = Sgemm.PackedA.size(out, in);
    }

    /**
     * Transforms the filters: U[xi] (out x in) = (G g[o, i] G^T)[xi], packed for the products. w is the
     * convolution's (K, C, 3, 3); rotated false: g[o, i] = w[o, i] (forward, out = K); rotated true:
     * g[o, i] = w[i, o] turned by 180 degrees (data gradient, out = C).
     */
    Sgemm.PackedA[] filters(float[] w, boolean rotated) {
        float[] u = be.shared(SHARED_U, positions * uSize);
        Sgemm.PackedA[] packed = new Sgemm.PackedA[positions];
        for (int xi = 0; xi < positions; xi++) packed[xi] = Sgemm.PackedA.wrap(out, in, u, xi * uSize);
        int mr = Sgemm.MR, panels = (out + mr - 1) / mr;
        // one task per micro-panel of mr output channels and run of FILTER_RUN input channels (inside one of
        // the packing's kc blocks): its 36 packed pieces are contiguous runs of mr * kc floats, q = i * mr + r
        // for input channel i0 + i, output o0 + r. Short runs keep g, gt and block in L1 (256x256 filters,
        // 2 threads: 0.46 ms with KC-long runs, 0.38 to 0.44 with these).
        int blocks = (in + FILTER_RUN - 1) / FILTER_RUN;
        be.par().forEach(panels * blocks, (task, wk) -> {
            int o0 = (task / blocks) * mr, i0 = (task % blocks) * FILTER_RUN, kc = Math.min(FILTER_RUN, in - i0);
            int run = mr * kc;
            float[] g = be.scratch(wk, SCRATCH_A, 9 * run), gt = be.scratch(wk, SCRATCH_B, 3 * tile * run);
            gatherFilters(w, rotated, o0, i0, kc, g);
            // columns: gt[a][c] = (G g)[a][c]; then rows: U[a * tile + b] = (gt G^T)[a][b], written in place
            // (position xi's run of this task's filters starts at xi * uSize + at)
            for (int c = 0; c < 3; c++) rows.filter(g, c * run, 3 * run, gt, c * run, 3 * run, run);
            int at = packed[0].index(o0, i0);
            for (int a = 0; a < tile; a++) rows.filter(gt, a * 3 * run, run, u, a * tile * uSize + at, uSize, run);
        });
        return packed;
    }

    /**
     * g[e][q] (rows of run = mr * kc) = element e of filter (o0 + r, i0 + i) for q = i * mr + r, 0 on the rows past
     * the last filter. Read in w's order: filter (o, i)'s 9 elements are contiguous, and so are those of consecutive
     * i (forward, w[o][i]) or of consecutive o (rotated, w[i][o], element 8 - e). Walking q in order instead, with
     * both choices inside the innermost loop, made a 14x14 c256 forward 4-6 % slower (bench/results §38).
     */
    private void gatherFilters(float[] w, boolean rotated, int o0, int i0, int kc, float[] g) {
        int mr = Sgemm.MR, run = mr * kc, rows = Math.min(mr, out - o0);
        if (rows < mr)
            for (int e = 0; e < 9; e++)
                for (int i = 0; i < kc; i++) java.util.Arrays.fill(g, e * run + i * mr + rows, e * run + (i + 1) * mr, 0f);
        if (!rotated) {
            for (int r = 0; r < rows; r++)
                for (int i = 0, src = ((o0 + r) * in + i0) * 9, q = r; i < kc; i++, src += 9, q += mr)
                    for (int e = 0; e < 9; e++) g[e * run + q] = w[src + e];
        } else {
            for (int i = 0; i < kc; i++)
                for (int r = 0, src = ((i0 + i) * out + o0) * 9 + 8, q = i * mr; r < rows; r++, src += 9, q++)
                    for (int e = 0; e < 9; e++) g[e * run + q] = w[src - e];
        }
    }

    /**
     * dst (=|+=) the correlation of src with the filters u (from {@link #filters}); then, when bias is
     * not null, + bias[o], and when relu, max(0, .) (the forward's fused epilogue; only with accumulate false).
     * The transforms run on rows of a chunk's tiles (one row per patch element), so their arithmetic
     * is vector-wide; only gathering the patches and scattering the output tiles go element by element.
     */
    void run(float[] src, Sgemm.PackedA[] u, float[] bias, boolean relu, boolean accumulate, float[] dst) {
        float[] bordered = border(src);
        be.par().forEach((tiles + chunk - 1) / chunk, (task, wk) -> {
            int first = task * chunk, count = Math.min(chunk, tiles - first), ldv = count + spill;
            float[] v = be.scratch(wk, SCRATCH_V, positions * in * ldv), m = be.scratch(wk, SCRATCH_M, positions * out * count);
            float[] sa = be.scratch(wk, SCRATCH_A, positions * count), sb = be.scratch(wk, SCRATCH_B, positions * count);
            int[] at = tileOffsets(first, count);
            // V[xi] (in x count, row-major, rows ldv apart) = B^T d B of each input channel's patch d, per tile
            for (int i = 0; i < in; i++) transformInput(bordered, first, count, ldv, at, i, v, sa, sb);
            // M[xi] (out x count) = U[xi] (out x in) . V[xi] (in x count)
            for (int xi = 0; xi < positions; xi++)
                Sgemm.gemm(u[xi], false, count, v, xi * in * ldv, ldv, false, m, xi * out * count, count, be.gemmBuffers()[wk]);
            // each output channel's tile: columns s[j][b] = (A^T M)[j][b], then rows y[j][l] = (s A)[j][l]
            for (int o = 0; o < out; o++) {
                for (int b = 0; b < tile; b++) rows.output(m, (b * out + o) * count, tile * out * count, sa, b * count, tile * count, count);
                for (int j = 0; j < step; j++) rows.output(sa, j * tile * count, count, sb, j * step * count, count, count);
                float bo = bias == null ? 0f : bias[o];
                if (bias != null || relu)
                    for (int e = 0; e < step * step * count; e++) sb[e] = relu ? Math.max(sb[e] + bo, 0f) : sb[e] + bo;
                scatter(sb, first, count, at, o, accumulate, dst);
            }
        });
    }

    /**
     * dw (=|+=) the filter gradient of the correlation whose forward is {@link #run} with src = x:
     * dw[o, i] = sum over tiles of G^T ((A dz_tile A^T) * V[i]) G, the adjoint of the forward
     * y_tile = A^T ((G g G^T) * (B^T d B)) A in g. Per chunk of tiles: V (as the forward makes it) and
     * dM = A dz A^T of every output channel's tile, then for each of the 36 positions
     * dU[xi] (out x in) += dM[xi] (out x tiles) . V[xi]^T (tiles x in); at the end dw = G^T dU G.
     * Output positions past dz's edge (a cut tile) read dz as 0, so they add nothing.
     */
    void filterGradient(float[] x, float[] dz, boolean accumulate, float[] dw) {
        int count = Math.min(tiles, Math.max(Sgemm.NR, 8 * (chunkFloats / (positions * (in + out)))));
        float[] du = be.shared(SHARED_U, positions * out * in);
        float[] v = be.shared(SHARED_V, positions * in * (count + spill)), dm = be.shared(SHARED_M, positions * out * count);
        float[] bordered = border(x);
        for (int first = 0; first < tiles; first += count) {
            int start = first, cn = Math.min(count, tiles - first), ldv = cn + spill;
            int[] at = tileOffsets(start, cn);
            be.par().forEach(in, (i, wk) -> {
                float[] sa = be.scratch(wk, SCRATCH_A, positions * cn), sb = be.scratch(wk, SCRATCH_B, positions * cn);
                transformInput(bordered, start, cn, ldv, at, i, v, sa, sb);
            });
            be.par().forEach(out, (o, wk) -> {
                float[] sa = be.scratch(wk, SCRATCH_A, step * step * cn), sb = be.scratch(wk, SCRATCH_B, step * tile * cn);
                gatherOutput(dz, start, cn, at, o, sa);
                // columns: s[a][l] = (A z)[a][l] (6x4); then rows: dM[a][b] = (s A^T)[a][b], row (a * 6 + b) of the chunk
                for (int l = 0; l < step; l++) rows.outputAdjoint(sa, l * cn, step * cn, sb, l * cn, step * cn, cn);
                for (int a = 0; a < tile; a++) rows.outputAdjoint(sb, a * step * cn, cn, dm, (a * tile * out + o) * cn, out * cn, cn);
            });
            boolean more = start > 0;
            be.par().forEach(positions, (xi, wk) -> Sgemm.gemm(false, true, out, in, cn, dm, xi * out * cn, cn, v, xi * in * ldv, ldv,
                    more, du, xi * out * in, in, be.gemmBuffers()[wk]));
        }
        // dw[o, i] = G^T dU[o, i] G: columns t[j][b] = (G^T dU)[j][b] (3x6), then rows dw[j][l] = (t G)[j][l]
        be.par().forEach(out, (o, wk) -> {
            float[] t = be.scratch(wk, SCRATCH_A, 3 * tile * in), g = be.scratch(wk, SCRATCH_B, 9 * in);
            for (int b = 0; b < tile; b++) rows.filterAdjoint(du, (b * out + o) * in, tile * out * in, t, b * in, tile * in, in);
            for (int j = 0; j < 3; j++) rows.filterAdjoint(t, j * tile * in, in, g, j * 3 * in, in, in);
            int base = o * in * 9;
            for (int i = 0; i < in; i++)
                for (int e = 0; e < 9; e++) {
                    float val = g[e * in + i];
                    dw[base + i * 9 + e] = CpuBackend.grad(dw[base + i * 9 + e], val, accumulate);
                }
        });
    }

    /** z[e][q] = element e (row e / 4, column e % 4) of output channel o's gradient under tile first + q, 0 past dst's edge. */
    private void gatherOutput(float[] dz, int first, int count, int[] at, int o, float[] z) {
        int plane = o * dstH * dstW;
        for (int q = 0; q < count; q++) {
            int t = (first + q) % tilesPerImage, r0 = (t / tileCols) * step, c0 = (t % tileCols) * step;
            int rowsIn = Math.min(step, dstH - r0), colsIn = Math.min(step, dstW - c0);
            int from = at[q] + plane;
            for (int j = 0; j < step; j++)
                for (int l = 0; l < step; l++)
                    z[(j * step + l) * count + q] = j < rowsIn && l < colsIn ? dz[from + j * dstW + l] : 0f;
        }
    }

    /**
     * Where the tiles first .. first + count start: at[q] = the offset of tile first + q's top-left output
     * in an output channel plane of image 0 plus img * out * dstH * dstW (its image), and at[count + q] that of its
     * patch's top-left in channel 0 of the bordered source ({@link #border}).
     */
    private int[] tileOffsets(int first, int count) {
        int[] at = new int[2 * count];
        for (int q = 0; q < count; q++) {
            int p = first + q, img = p / tilesPerImage, t = p % tilesPerImage;
            int r = (t / tileCols) * step, c = (t % tileCols) * step;
            at[q] = img * out * dstH * dstW + r * dstW + c;
            at[count + q] = img * in * borderH * borderW + r * borderW + c;
        }
        return at;
    }

    /**
     * src (n, in, srcH, srcW) in zero planes of borderH x borderW, its window origin at (-padTop, -padLeft); each
     * row split into even and odd columns where the input transform reads tile rows ({@link #byRows}).
     */
    private float[] border(float[] src) {
        return byRows ? be.borderSplit(src, n * in, srcH, srcW, padTop, padLeft, borderH, borderW, 2, spill + 1)
                : be.border(src, n * in, srcH, srcW, padTop, padLeft, borderH, borderW);
    }

    /**
     * V[xi][i][0, count) = B^T d B of input channel i's patch d (from the bordered source src) under each of the tiles first .. first + count
     * (V in x count per position, row xi * in + i at (xi * in + i) * ldv, ldv at least count + spill): columns
     * t[a][b] = (B^T d)[a][b], then rows V[a][b] = (t B)[a][b]. By tile rows from the split source where the
     * algorithm can (each run's spill past its end is overwritten by the next run, or falls in the row's padding),
     * else patch by patch through sa and sb (scratch of positions * count floats).
     */
    private void transformInput(float[] src, int first, int count, int ldv, int[] at, int i, float[] v, float[] sa, float[] sb) {
        if (byRows) {
            for (int q = 0; q < count; ) {
                int p = first + q, img = p / tilesPerImage, t = p % tilesPerImage, tr = t / tileCols, tc = t % tileCols;
                int run = Math.min(tileCols - tc, count - q);
                int so = ((img * in + i) * borderH + tr * step) * borderW;
                rows.inputRow(src, so, borderW, borderW / 2, tc, run, v, i * ldv + q, in * ldv);
                q += run;
            }
            return;
        }
        gather(src, first, count, at, i, sa);
        for (int b = 0; b < tile; b++) rows.input(sa, b * count, tile * count, sb, b * count, tile * count, count);
        for (int a = 0; a < tile; a++) rows.input(sb, a * tile * count, count, v, (a * tile * in + i) * ldv, in * ldv, count);
    }

    /** d[e][q] = element e (row e / 6, column e % 6) of input channel i's patch under tile first + q, from the bordered source. */
    private void gather(float[] src, int first, int count, int[] at, int i, float[] d) {
        int plane = i * borderH * borderW;
        for (int q = 0; q < count; q++) {
            int from = at[count + q] + plane;
            for (int r = 0, e = q; r < tile; r++, from += borderW, e += tile * count)
                for (int c = 0; c < tile; c++) d[e + c * count] = src[from + c];
        }
    }

    /** dst[n, o, tile first + q] (=|+=) y[j * 4 + l][q] at row j, column l of the tile, within dst's bounds. */
    private void scatter(float[] y, int first, int count, int[] at, int o, boolean accumulate, float[] dst) {
        int plane = o * dstH * dstW;
        for (int q = 0; q < count; q++) {
            int t = (first + q) % tilesPerImage, r0 = (t / tileCols) * step, c0 = (t % tileCols) * step;
            int rowsIn = Math.min(step, dstH - r0), colsIn = Math.min(step, dstW - c0);
            int to = at[q] + plane;
            if (rowsIn == step && colsIn == step && !accumulate) {
                for (int j = 0, e = q; j < step; j++, to += dstW, e += step * count)
                    for (int l = 0; l < step; l++) dst[to + l] = y[e + l * count];
                continue;
            }
            for (int j = 0; j < rowsIn; j++) {
                int row = to + j * dstW, e = j * step * count + q;
                for (int l = 0; l < colsIn; l++) {
                    float val = y[e + l * count];
                    dst[row + l] = CpuBackend.grad(dst[row + l], val, accumulate);
                }
            }
        }
    }
}
