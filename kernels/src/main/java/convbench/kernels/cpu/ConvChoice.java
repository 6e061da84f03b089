package convbench.kernels.cpu;

/** Which convolutions run as Winograd, and which Winograd (--cpu-conv). */
enum ConvChoice {
    /**
     * F(2x2, 3x3) where it pays: 3x3 stride 1, at least {@link CpuConv#AUTO_CHANNELS} channels in and out and
     * {@link CpuConv#AUTO_EITHER} on one side; its filter gradient from {@link CpuConv#AUTO_FILTER_CHANNELS}.
     */
    AUTO("auto", WinogradRows.F2),
    /** none: matrix products everywhere (on im2col's columns, or on the padded image: {@link CpuPaddedGemm}) */
    DIRECT("direct", null),
    /** F(2x2, 3x3) for every 3x3 stride-1 convolution: 4/9 of direct's multiplications, about its rounding */
    WINOGRAD2("winograd2", WinogradRows.F2),
    /** F(4x4, 3x3) for every 3x3 stride-1 convolution: 1/4 of direct's multiplications, tens of times its rounding */
    WINOGRAD4("winograd4", WinogradRows.F4);

    final String id;
    final WinogradRows rows;

    ConvChoice(String id, WinogradRows rows) {
        this.id = id;
        this.rows = rows;
    }

    static ConvChoice of(String id) {
        for (ConvChoice c : values()) if (c.id.equals(id)) return c;
        throw new IllegalArgumentException("cpu convolution must be auto, direct, winograd2 or winograd4, got " + id);
    }

    String describe() {
        return switch (this) {
            case AUTO -> "auto (Winograd F(2x2,3x3) on 3x3 stride-1 layers of " + CpuConv.AUTO_CHANNELS + "+ channels, one side "
                    + CpuConv.AUTO_EITHER + "+)";
            case DIRECT -> "direct (matrix products everywhere)";
            case WINOGRAD2 -> "winograd2 (Winograd F(2x2,3x3) on every 3x3 stride-1 layer, else gemm)";
            case WINOGRAD4 -> "winograd4 (Winograd F(4x4,3x3) on every 3x3 stride-1 layer, else gemm)";
        };
    }
}
