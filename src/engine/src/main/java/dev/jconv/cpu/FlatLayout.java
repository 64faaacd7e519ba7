package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PaddingMode;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * The input layout the {@code cpu} kernels read, which turns every convolution into a one-dimensional one.
 *
 * <p>The input is padded (any {@link PaddingMode}, through {@link PaddingMode#sourceIndex}) and split into
 * stride phases: phase {@code (py, px)} holds the padded pixels {@code (py + strideH * i, px + strideW * j)}
 * as a {@code rows x rowWidth} grid. Output pixel {@code (oy, ox)} then reads, for kernel tap {@code (r, s)}
 * with {@code qh = r * dilationH, qw = s * dilationW}, the phase {@code (qh % strideH, qw % strideW)} at
 * {@code (oy + qh / strideH, ox + qw / strideW)}. Numbering phase pixels row by row ({@code i * rowWidth + j})
 * and output pixels the same way ({@code oy * rowWidth + ox}), every tap becomes a constant offset:
 * {@code out[f] = sum over taps t of w[t] * layout[f + tapOffset[t]]}, a GEMM whose columns are
 * {@code rowWidth}-strided flat positions read with plain contiguous vector loads, with no im2col copy.
 * The price is {@code rowWidth - outWidth} discarded columns per output row ({@link #wastedFraction()}),
 * e.g. 2 of 58 for a padded 3x3 on 56x56.
 *
 * <p>When stride is 1 and nothing is padded, the input itself is the layout ({@link #direct}: 1x1 convolutions
 * become a plain GEMM on the input). Otherwise {@link #fill} writes it per channel; only the phases some
 * tap reads are stored.
 *
 * <p>Output flat positions map back to NCHW with per-vector store segments ({@link #segmentsFor}):
 * the lanes of one vector of flat positions that land in one output row, or in consecutive rows with no
 * discarded columns between them, go to one contiguous run.
 */
final class FlatLayout {
    /** Floats after the last image so that a full vector starting at any flat position stays in the array. */
    static final int SLACK = 64;
    /**
     * For the stride-2 deinterleave: lane {@code i} takes lane {@code 2i mod LANES}, so the even lanes of one vector
     * land in the lower half and, of the next vector, in the upper half ({@link #UPPER_HALF} blends the two).
     * Two one-source permutes and a blend: JDK 17's two-source {@code rearrange} recomputes its lane masks per
     * call and measured slower than the scalar copy.
     */
    private static final VectorShuffle<Float> EVEN_LANES =
            VectorShuffle.fromOp(GemmKernel.F, i -> 2 * i % GemmKernel.LANES);
    private static final VectorMask<Float> UPPER_HALF =
            VectorMask.fromLong(GemmKernel.F, ((1L << GemmKernel.LANES) - 1) & ~((1L << GemmKernel.LANES / 2) - 1));

    final ConvGeometry g;
    final boolean direct;
    final int rows;
    final int rowWidth;
    final int phasePlane;
    final int channelStride;
    final int imageStride;
    /** Flat output positions that are computed: up to the last valid pixel of the last output row. */
    final int flatLength;
    /** Offset of each tap of one group, in weight order {@code (c, r, s)} with {@code c < C / groups}. */
    final int[] tapOffset;
    /** The farthest any tap reads within its phase plane: flat output {@code f} reads up to {@code f + reach}. */
    final int reach;

    private final int[] phaseRowSource;
    private final int[] phaseColSource;
    private final int[][] usedPhases;

    FlatLayout(ConvGeometry g) {
        this.g = g;
        int sh = g.strideH();
        int sw = g.strideW();
        boolean unpadded = g.padTop() == 0 && g.padBottom() == 0 && g.padLeft() == 0 && g.padRight() == 0;
        direct = sh == 1 && sw == 1 && unpadded;
        int paddedH = g.inHeight() + g.padTop() + g.padBottom();
        int paddedW = g.inWidth() + g.padLeft() + g.padRight();
        rows = ceilDiv(paddedH, sh);
        rowWidth = ceilDiv(paddedW, sw);
        phasePlane = rows * rowWidth;

        boolean[][] used = new boolean[sh][sw];
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                used[r * g.dilationH() % sh][s * g.dilationW() % sw] = true;
            }
        }
        int[][] slotOf = new int[sh][sw];
        int count = 0;
        for (int py = 0; py < sh; py++) {
            for (int px = 0; px < sw; px++) {
                slotOf[py][px] = used[py][px] ? count++ : -1;
            }
        }
        usedPhases = new int[count][];
        for (int py = 0; py < sh; py++) {
            for (int px = 0; px < sw; px++) {
                if (used[py][px]) {
                    usedPhases[slotOf[py][px]] = new int[] {py, px};
                }
            }
        }
        channelStride = direct ? count * phasePlane : roundUp(count * phasePlane, Integer.getInteger("jconv.align", 1));
        imageStride = g.inChannels() * channelStride;
        flatLength = (g.outHeight() - 1) * rowWidth + g.outWidth();

        int cpg = g.inChannelsPerGroup();
        int taps = g.kernelH() * g.kernelW();
        tapOffset = new int[cpg * taps];
        for (int c = 0; c < cpg; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++) {
                    int qh = r * g.dilationH();
                    int qw = s * g.dilationW();
                    tapOffset[c * taps + r * g.kernelW() + s] = c * channelStride
                            + slotOf[qh % sh][qw % sw] * phasePlane + (qh / sh) * rowWidth + qw / sw;
                }
            }
        }

        int farthest = 0;
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                farthest = Math.max(farthest, (r * g.dilationH() / sh) * rowWidth + s * g.dilationW() / sw);
            }
        }
        reach = farthest;

        // Where each phase row / column reads from: an input index, or -1 for a zero (padding in zeros
        // mode, or a phase position past the padded edge that no valid output reads).
        phaseRowSource = new int[sh * rows];
        phaseColSource = new int[sw * rowWidth];
        fillSources(phaseRowSource, sh, rows, g.padTop(), g.inHeight(), paddedH, g.paddingMode());
        fillSources(phaseColSource, sw, rowWidth, g.padLeft(), g.inWidth(), paddedW, g.paddingMode());
    }

    private static void fillSources(int[] dst, int stride, int count, int padBefore, int size, int padded,
                                    PaddingMode mode) {
        for (int p = 0; p < stride; p++) {
            for (int i = 0; i < count; i++) {
                int y = p + stride * i;
                dst[p * count + i] = y < padded ? mode.sourceIndex(y - padBefore, size) : -1;
            }
        }
    }

    /**
     * Floats the layout copy of one image needs (an upper bound: every stride phase; images are copied one
     * pass at a time), computed without overflow so that {@link CpuBackend#supports} can refuse inputs whose
     * copy no Java array could hold.
     */
    static long copyLength(ConvGeometry g) {
        long rows = ceilDiv(g.inHeight() + (long) g.padTop() + g.padBottom(), g.strideH());
        long cols = ceilDiv(g.inWidth() + (long) g.padLeft() + g.padRight(), g.strideW());
        long phases = (long) g.strideH() * g.strideW();
        return (long) g.inChannels() * Math.min(phases, (long) g.kernelH() * g.kernelW()) * rows * cols + SLACK;
    }

    /**
     * What the kernels read, for a plan's {@code describe()}: {@code direct} (the input itself) or "a copy of the
     * input padded (mode) and split into SHxSW stride phases", naming only what applies.
     */
    String describeSource(String direct) {
        boolean padded = g.padTop() + g.padBottom() + g.padLeft() + g.padRight() > 0;
        boolean strided = g.strideH() > 1 || g.strideW() > 1;
        return this.direct ? direct
                : "a copy of the input" + (padded ? " padded (" + g.paddingMode().pytorchName() + ")" : "")
                + (padded && strided ? " and" : "")
                + (strided ? " split into " + g.strideH() + "x" + g.strideW() + " stride phases" : "");
    }

    /** Share of computed columns that are discarded: {@code 1 - outWidth / rowWidth} over the flat range. */
    double wastedFraction() {
        return 1.0 - (double) g.outHeight() * g.outWidth() / flatLength;
    }

    /**
     * Whether {@link #fill} copies some phase row with the vector deinterleave: stride 2 across, and a row with at
     * least a vector's worth of columns inside the input (tests use it to know they cover that path).
     */
    boolean deinterleaves() {
        if (direct || g.strideW() != 2) {
            return false;
        }
        for (int[] phase : usedPhases) {
            int first = phase[1] - g.padLeft();
            int start = Math.min(rowWidth, Math.max(0, ceilDiv(-first, 2)));
            int end = Math.max(start, Math.min(rowWidth, ceilDiv(g.inWidth() - first, 2)));
            if (end - start >= GemmKernel.LANES) {
                return true;
            }
        }
        return false;
    }

    /** How many stride phases the layout stores per channel. */
    int phases() {
        return usedPhases.length;
    }

    /**
     * Writes channel {@code c} of image {@code n} of {@code input} (NCHW) into {@code dst} at {@code dstBase}:
     * {@link #channelStride} floats, every used phase.
     */
    void fill(float[] input, int n, int c, float[] dst, int dstBase) {
        for (int slot = 0; slot < usedPhases.length; slot++) {
            fill(input, n, c, slot, dst, dstBase + slot * phasePlane);
        }
    }

    /** Writes one stride phase ({@code slot}) of channel {@code c} of image {@code n}: {@code rows x rowWidth} floats. */
    void fill(float[] input, int n, int c, int slot, float[] dst, int dstBase) {
        fillRows(input, n, c, slot, 0, rows, dst, dstBase);
    }

    /**
     * Writes rows {@code [rowFrom, rowTo)} of one stride phase of channel {@code c} of image {@code n} into the
     * phase plane starting at {@code dst[dstBase]}.
     */
    void fillRows(float[] input, int n, int c, int slot, int rowFrom, int rowTo, float[] dst, int dstBase) {
        int h = g.inHeight();
        int w = g.inWidth();
        int srcPlane = (n * g.inChannels() + c) * h * w;
        int sw = g.strideW();
        int px = usedPhases[slot][1];
        int rowSrc0 = usedPhases[slot][0] * rows;
        int colSrc0 = px * rowWidth;
        // Columns [start, end) read input columns first + sw * j, inside the input: a plain (strided) copy.
        // Only the columns outside it, the padding, go through the index map.
        int first = px - g.padLeft();
        int start = Math.min(rowWidth, Math.max(0, ceilDiv(-first, sw)));
        int end = Math.max(start, Math.min(rowWidth, ceilDiv(w - first, sw)));
        for (int i = rowFrom; i < rowTo; i++) {
            int d = dstBase + i * rowWidth;
            int sy = phaseRowSource[rowSrc0 + i];
            if (sy < 0) {
                Arrays.fill(dst, d, d + rowWidth, 0f);
                continue;
            }
            int srcRow = srcPlane + sy * w;
            for (int j = 0; j < start; j++) {
                int sx = phaseColSource[colSrc0 + j];
                dst[d + j] = sx < 0 ? 0f : input[srcRow + sx];
            }
            if (sw == 1) {
                System.arraycopy(input, srcRow + first + start, dst, d + start, end - start);
            } else {
                int j = start;
                int sx = srcRow + first + sw * start;
                if (sw == 2) {
                    // Every other input column: two vector loads and one two-source permute per vector of
                    // the phase row, instead of a scalar strided copy (the copy dominated stride-2 layers).
                    int lanes = GemmKernel.LANES;
                    for (; j + lanes <= end && sx + 2 * lanes <= input.length; j += lanes, sx += 2 * lanes) {
                        evenLanes(input, sx, dst, d + j);
                    }
                    // The ragged end as one more vector overlapping the last one (rewriting equal values).
                    int back = end - lanes - j;
                    if (j < end && j + back >= start && sx + 2 * (back + lanes) <= input.length) {
                        evenLanes(input, sx + 2 * back, dst, d + j + back);
                        j = end;
                    }
                }
                for (; j < end; j++, sx += sw) {
                    dst[d + j] = input[sx];
                }
            }
            for (int j = end; j < rowWidth; j++) {
                int sx = phaseColSource[colSrc0 + j];
                dst[d + j] = sx < 0 ? 0f : input[srcRow + sx];
            }
        }
    }

    /** {@code dst[d + i] = input[sx + 2 * i]} for {@code i < LANES}. */
    static void evenLanes(float[] input, int sx, float[] dst, int d) {
        FloatVector.fromArray(GemmKernel.F, input, sx).rearrange(EVEN_LANES)
                .blend(FloatVector.fromArray(GemmKernel.F, input, sx + GemmKernel.LANES).rearrange(EVEN_LANES),
                        UPPER_HALF)
                .intoArray(dst, d);
    }

    /**
     * Store segments for flat output positions {@code [start, start + lanes)}: {@code dest[i]} is the output
     * plane index of lane 0 of segment {@code i} and {@code bits[i]} its lanes (bit {@code L} = lane {@code L}).
     * Returns the segment count; lanes at or past {@link #flatLength} or in a discarded column are in none.
     */
    int segmentsFor(int start, int lanes, int[] dest, long[] bits) {
        int count = 0;
        int gap = rowWidth - g.outWidth();
        for (int lane = 0; lane < lanes; lane++) {
            int f = start + lane;
            if (f >= flatLength) {
                break;
            }
            int oy = f / rowWidth;
            int ox = f - oy * rowWidth;
            if (ox >= g.outWidth()) {
                continue;
            }
            // Rows with no discarded columns between them (gap 0: the direct layout of 1x1 layers) continue
            // one run: the vector is then one plain store even where it crosses a row end.
            int base = start - oy * gap;
            if (count == 0 || dest[count - 1] != base) {
                dest[count] = base;
                bits[count] = 0;
                count++;
            }
            bits[count - 1] |= 1L << lane;
        }
        return count;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Bytes of this layout's index tables, for a plan's {@code retainedBytes}. */
    long tableBytes() {
        long ints = tapOffset.length + phaseRowSource.length + phaseColSource.length;
        for (int[] p : usedPhases) {
            ints += p == null ? 0 : p.length;
        }
        return ints * Integer.BYTES;
    }
}
