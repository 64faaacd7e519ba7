package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 3x3 depthwise kernels that read the input where it is, for MobileNet's layers: one output channel per input
 * channel, stride 1 or 2, padding one on every side with zeros, no dilation. For one channel, with {@code S} the
 * stride and {@code in} zero outside the {@code h x w} plane,
 * <pre>
 *   out[y][x] = b + sum over r, s < 3 of  k[r][s] * in[S * y - 1 + r][S * x - 1 + s]
 * </pre>
 * Vectors run along rows; a strip of one or two output vectors (the last moved back to end at the row's end, so
 * that it overlaps the one before) slides down the plane, one base index per row and constant column offsets:
 * <ul>
 *   <li>stride 1 ({@link #strip1}, {@link #strip2}): each input row is loaded once per column shift {@code s} and
 *       feeds the three output rows it belongs to (rows {@code y + 1}, {@code y}, {@code y - 1} with kernel rows 0,
 *       1, 2), whose accumulators move down one row per input row: 3 loads and 9 FMAs per output vector;</li>
 *   <li>stride 2 ({@link #stride2Strip}): each output vector is computed at full resolution as two vectors of
 *       columns {@code 2x ..}, input rows {@code 2y} and {@code 2y + 1} loaded once per shift (row {@code 2y + 1}
 *       also starts the next output row), and its even lanes kept (two one-source permutes and a blend): 12 loads,
 *       18 FMAs and one split per output vector, twice the FMAs for no strided copy. Splitting the input rows into
 *       even and odd columns instead (6 permutes per output vector) measured 2-4x slower. Input rows of at most one
 *       vector ({@link #stride2Narrow}: 14x14 to 7x7) take one full-resolution vector per output row, whose lower
 *       half holds the row: 6 loads, 9 FMAs and one permute, the kernel rows' three sums added at the end.</li>
 * </ul>
 * Strips are at most two vectors (stride 1) or one (stride 2): C1 cannot compile wider ones ("out of virtual
 * registers", -XX:+PrintCompilation), and a method C1 skips runs interpreted, boxing every vector, until C2 gets to
 * it, which in some JVMs it did not within seconds (a 4-vector strip measured 8-12 ms instead of 0.2 in those).
 * The neighbours the flat input puts beside a row (the previous row's last value, the next row's first) are
 * replaced by zeros with lane masks ({@code indexInRange}, mask registers) before they are multiplied; the padding
 * rows above and below are multiplied as zero vectors, so an infinite weight meets the padded zeros (NaN) as it
 * does in {@code cpu-reference} and PyTorch's dense path. Rows narrower than a vector (7 and 14 columns) compute
 * garbage in the lanes past the row, which each store lays over the next row's start before that row's own store
 * replaces it; the last rows' stores reach up to {@link #writesPast} floats past the plane, and the caller gives
 * them room (the planes it computes next, or a plane of its own). Reads reach one float
 * before the plane and up to {@value #READS_PAST} past its end: the caller passes planes that far from the array's
 * ends (or copies them).
 *
 * <p>Why: the padded (and, at stride 2, stride-phase-split) copy that {@link DepthwiseRowsPlan} otherwise makes cost
 * as much as the stencil or more (a 144-channel 56x56 layer spent 46% of its time filling it row by row, JFR), and
 * its four-row kernel's per-vector row offsets ran out of general registers. Measured on a 2-core AMD EPYC with
 * AVX-512, one thread, one JVM, alternating, in place against the copy (ms): 32 channels 112x112 0.15 / 0.28, 144
 * 56x56 0.11 / 0.28, 192 28x28 0.040 / 0.126, 576 14x14 0.052 / 0.224 (0.202 across channels,
 * {@link DepthwiseChannelBlockPlan}), 960 7x7 0.077 / 0.212 (0.084 across channels); stride 2: 96 112x112 0.27 /
 * 0.70, 144 56x56 0.083 / 0.30, 192 28x28 0.093 / 0.42 (0.18 across channels), 576 14x14 0.13 / 0.51 (0.15 across
 * channels). Loops are unrolled by hand (generated): C2 keeps vector accumulators in registers only as locals.
 *
 * <p>The kernels once stored the rows that reach past the plane through a small array and
 * {@code System.arraycopy}: a call inside the row loop, around which C2 saves and restores every live vector
 * register (20 of them), and on planes narrower than a vector three rows of seven did. Letting those stores land
 * on the next plane instead, and {@link #stride2Narrow} for narrow stride-2 planes, measured (one thread, the ten
 * MobileNetV2 layers in one process in order, medians of two processes each): 960 7x7 0.098-0.144 -> 0.055 ms,
 * 576 14x14 stride 2 0.110 -> 0.038, 192 28x28 stride 2 0.050 -> 0.032, 576 14x14 0.063 -> 0.049.
 */
final class DepthwiseInPlaceKernels {
    private static final VectorSpecies<Float> F = GemmKernel.F;
    private static final int LANES = GemmKernel.LANES;
    /** Floats a kernel reads past the end of its plane. */
    static final int READS_PAST = 2 * LANES + 1;
    /** Lane {@code i} takes lane {@code 2i mod LANES}: a vector's even lanes to its lower half (and the next's). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> 2 * i % LANES);
    private static final VectorMask<Float> UPPER_HALF =
            VectorMask.fromLong(F, ((1L << LANES) - 1) & ~((1L << LANES / 2) - 1));

    private DepthwiseInPlaceKernels() {}

    /**
     * One channel: the {@code h x w} plane at {@code in[base ..]}, its {@code outH x outW} output at
     * {@code out[out0 ..]}, and up to {@link #writesPast} floats after it overwritten. Every store is a plain vector
     * store: no path for some planes only, which C2 would compile as a trap back to the interpreter where the
     * planes it profiled never took it (a 7x7 plane after 14x14 ones once deoptimized the kernel that way and ran
     * its first calls 50-120x slower, 3-7 ms instead of 0.06).
     */
    static void plane(int stride, float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out,
                      int out0, int outW, int outH) {
        // indexInRange's bounds tests branch, and every caller in the JVM shares their profile: take each outcome
        // on every call (in range; starting before 0 with the end past the vector, and before it; starting at or
        // after 0 and ending inside), so that C2 never compiles the one this plane's masks need as a trap (a
        // 7-wide stride-2 plane after wider ones deoptimized the kernel: first calls 50-170x the steady state)
        if (F.indexInRange(0, LANES).trueCount() + F.indexInRange(-1, LANES).trueCount()
                + F.indexInRange(-1, 3).trueCount() + F.indexInRange(1, 3).trueCount() != 2 * LANES + 4) {
            throw new AssertionError("indexInRange");
        }
        int lastX = Math.max(0, outW - LANES);
        switch (kind(stride, w)) {
            case STRIDE2_NARROW -> stride2Narrow(in, base, w, h, k, k0, b, out, out0, outW, outH);
            case STRIDE2_STRIP -> {
                for (int x = 0; x < outW; x += LANES) {
                    stride2Strip(in, base, w, h, k, k0, b, out, out0, outW, outH, Math.min(x, lastX));
                }
            }
            case STRIP2 -> {
                for (int x = 0; x < w; x += 2 * LANES) {
                    strip2(in, base, w, h, k, k0, b, out, out0, Math.min(x, lastX), Math.min(x + LANES, lastX));
                }
            }
            default -> strip1(in, base, w, h, k, k0, b, out, out0, 0);
        }
    }

    /**
     * How many floats past the end of its output plane {@link #plane} may write (the lanes of a row's last vector
     * beyond the row, where rows are narrower than a vector): the caller leaves that much room after the plane, or
     * lets the planes that follow it, computed later by the same thread, replace what lands there.
     */
    static int writesPast(int stride, int w, int outW) {
        boolean narrow = stride == 2 ? outW < LANES : w <= LANES;
        return narrow ? LANES - Math.min(outW, LANES) : 0;
    }

    private static final int STRIP1 = 0;
    private static final int STRIP2 = 1;
    private static final int STRIDE2_STRIP = 2;
    private static final int STRIDE2_NARROW = 3;

    /** Which kernel {@link #plane} runs for a plane of width {@code w} at {@code stride}: 0 to 3. */
    static int kind(int stride, int w) {
        if (stride == 2) {
            return w <= LANES ? STRIDE2_NARROW : STRIDE2_STRIP;
        }
        return w > LANES ? STRIP2 : STRIP1;
    }

    /**
     * {@link #plane}'s result with plain scalar code, writing the plane and nothing past it: for a kernel C2 has not
     * compiled yet. Until it does, a vector kernel runs in C1's code, which boxes every vector operation (a 7x7 plane
     * 100-200x slower than compiled); scalar code is compiled within a few calls and runs about 2x slower than the
     * compiled kernel (960 channels 7x7, one thread: 0.11 against 0.053 ms).
     * Every tap is multiplied, padding as zeros, as the kernels and {@code cpu-reference} do.
     */
    static void scalarPlane(int stride, float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out,
                            int out0, int outW, int outH) {
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                float sum = b;
                for (int r = 0; r < 3; r++) {
                    int iy = stride * y - 1 + r;
                    boolean row = iy >= 0 && iy < h;
                    for (int s = 0; s < 3; s++) {
                        int ix = stride * x - 1 + s;
                        float v = row && ix >= 0 && ix < w ? in[base + iy * w + ix] : 0f;
                        sum += k[k0 + 3 * r + s] * v;
                    }
                }
                out[out0 + y * outW + x] = sum;
            }
        }
    }

    /** The lanes {@code i} whose column {@code first + i} lies outside {@code [0, w)}. */
    private static VectorMask<Float> outside(int first, int w) {
        return F.indexInRange(first, w).not();
    }

    static void strip2(float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out, int out0,
                       int x0, int x1) {
        FloatVector k00 = FloatVector.broadcast(F, k[k0 + 0]);
        FloatVector k01 = FloatVector.broadcast(F, k[k0 + 1]);
        FloatVector k02 = FloatVector.broadcast(F, k[k0 + 2]);
        FloatVector k10 = FloatVector.broadcast(F, k[k0 + 3]);
        FloatVector k11 = FloatVector.broadcast(F, k[k0 + 4]);
        FloatVector k12 = FloatVector.broadcast(F, k[k0 + 5]);
        FloatVector k20 = FloatVector.broadcast(F, k[k0 + 6]);
        FloatVector k21 = FloatVector.broadcast(F, k[k0 + 7]);
        FloatVector k22 = FloatVector.broadcast(F, k[k0 + 8]);
        FloatVector bias = FloatVector.broadcast(F, b);
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> left0 = outside(x0 - 1, w);
        VectorMask<Float> right0 = outside(x0 + 1, w);
        VectorMask<Float> left1 = outside(x1 - 1, w);
        VectorMask<Float> right1 = outside(x1 + 1, w);
        FloatVector a0 = bias;
        FloatVector a1 = bias;
        // The padding rows above the first and below the last row are multiplied like any value, as cpu-reference
        // and PyTorch's dense path do (0 * Inf = NaN for an infinite weight), not skipped.
        FloatVector top = k02.fma(zero, k01.fma(zero, k00.fma(zero, bias)));
        FloatVector m0 = top;
        FloatVector m1 = top;
        for (int y = 0, row = base, dst = out0 - w; y < h; y++, row += w, dst += w) {
            FloatVector n0 = bias;
            FloatVector n1 = bias;
            FloatVector i;
            i = FloatVector.fromArray(F, in, row + x0 - 1).blend(zero, left0);
            n0 = k00.fma(i, n0);
            m0 = k10.fma(i, m0);
            a0 = k20.fma(i, a0);
            i = FloatVector.fromArray(F, in, row + x1 - 1).blend(zero, left1);
            n1 = k00.fma(i, n1);
            m1 = k10.fma(i, m1);
            a1 = k20.fma(i, a1);
            i = FloatVector.fromArray(F, in, row + x0);
            n0 = k01.fma(i, n0);
            m0 = k11.fma(i, m0);
            a0 = k21.fma(i, a0);
            i = FloatVector.fromArray(F, in, row + x1);
            n1 = k01.fma(i, n1);
            m1 = k11.fma(i, m1);
            a1 = k21.fma(i, a1);
            i = FloatVector.fromArray(F, in, row + x0 + 1).blend(zero, right0);
            n0 = k02.fma(i, n0);
            m0 = k12.fma(i, m0);
            a0 = k22.fma(i, a0);
            i = FloatVector.fromArray(F, in, row + x1 + 1).blend(zero, right1);
            n1 = k02.fma(i, n1);
            m1 = k12.fma(i, m1);
            a1 = k22.fma(i, a1);
            if (y > 0) {
                a0.intoArray(out, dst + x0);
                a1.intoArray(out, dst + x1);
            }
            a0 = m0;
            m0 = n0;
            a1 = m1;
            m1 = n1;
        }
        k22.fma(zero, k21.fma(zero, k20.fma(zero, a0))).intoArray(out, out0 + (h - 1) * w + x0);
        k22.fma(zero, k21.fma(zero, k20.fma(zero, a1))).intoArray(out, out0 + (h - 1) * w + x1);
    }

    static void strip1(float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out, int out0,
                       int x0) {
        FloatVector k00 = FloatVector.broadcast(F, k[k0 + 0]);
        FloatVector k01 = FloatVector.broadcast(F, k[k0 + 1]);
        FloatVector k02 = FloatVector.broadcast(F, k[k0 + 2]);
        FloatVector k10 = FloatVector.broadcast(F, k[k0 + 3]);
        FloatVector k11 = FloatVector.broadcast(F, k[k0 + 4]);
        FloatVector k12 = FloatVector.broadcast(F, k[k0 + 5]);
        FloatVector k20 = FloatVector.broadcast(F, k[k0 + 6]);
        FloatVector k21 = FloatVector.broadcast(F, k[k0 + 7]);
        FloatVector k22 = FloatVector.broadcast(F, k[k0 + 8]);
        FloatVector bias = FloatVector.broadcast(F, b);
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> left0 = outside(x0 - 1, w);
        VectorMask<Float> right0 = outside(x0 + 1, w);
        FloatVector a0 = bias;
        // The padding rows above the first and below the last row are multiplied like any value, as cpu-reference
        // and PyTorch's dense path do (0 * Inf = NaN for an infinite weight), not skipped.
        FloatVector top = k02.fma(zero, k01.fma(zero, k00.fma(zero, bias)));
        FloatVector m0 = top;
        for (int y = 0, row = base, dst = out0 - w; y < h; y++, row += w, dst += w) {
            FloatVector n0 = bias;
            FloatVector i;
            i = FloatVector.fromArray(F, in, row + x0 - 1).blend(zero, left0);
            n0 = k00.fma(i, n0);
            m0 = k10.fma(i, m0);
            a0 = k20.fma(i, a0);
            i = FloatVector.fromArray(F, in, row + x0);
            n0 = k01.fma(i, n0);
            m0 = k11.fma(i, m0);
            a0 = k21.fma(i, a0);
            i = FloatVector.fromArray(F, in, row + x0 + 1).blend(zero, right0);
            n0 = k02.fma(i, n0);
            m0 = k12.fma(i, m0);
            a0 = k22.fma(i, a0);
            if (y > 0) {
                a0.intoArray(out, dst + x0);
            }
            a0 = m0;
            m0 = n0;
        }
        k22.fma(zero, k21.fma(zero, k20.fma(zero, a0))).intoArray(out, out0 + (h - 1) * w + x0);
    }

    static void stride2Strip(float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out,
                              int out0, int outW, int outH, int x0) {
        FloatVector k00 = FloatVector.broadcast(F, k[k0 + 0]);
        FloatVector k01 = FloatVector.broadcast(F, k[k0 + 1]);
        FloatVector k02 = FloatVector.broadcast(F, k[k0 + 2]);
        FloatVector k10 = FloatVector.broadcast(F, k[k0 + 3]);
        FloatVector k11 = FloatVector.broadcast(F, k[k0 + 4]);
        FloatVector k12 = FloatVector.broadcast(F, k[k0 + 5]);
        FloatVector k20 = FloatVector.broadcast(F, k[k0 + 6]);
        FloatVector k21 = FloatVector.broadcast(F, k[k0 + 7]);
        FloatVector k22 = FloatVector.broadcast(F, k[k0 + 8]);
        FloatVector bias = FloatVector.broadcast(F, b);
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> left = outside(2 * x0 - 1, w);
        VectorMask<Float> right00 = outside(2 * x0 + 0 * LANES + 1, w);
        VectorMask<Float> right01 = outside(2 * x0 + 1 * LANES + 1, w);
        FloatVector top = k02.fma(zero, k01.fma(zero, k00.fma(zero, bias)));
        FloatVector c00 = top;
        FloatVector c01 = top;
        for (int oy = 0, row = base, dst = out0; oy < outH; oy++, row += 2 * w, dst += outW) {
            FloatVector a00 = c00;
            FloatVector a01 = c01;
            FloatVector i;
            i = FloatVector.fromArray(F, in, row + 2 * x0 - 1).blend(zero, left);
            a00 = k10.fma(i, a00);
            i = FloatVector.fromArray(F, in, row + 2 * x0);
            a00 = k11.fma(i, a00);
            i = FloatVector.fromArray(F, in, row + 2 * x0 + 1).blend(zero, right00);
            a00 = k12.fma(i, a00);
            i = FloatVector.fromArray(F, in, row + 2 * x0 + LANES - 1);
            a01 = k10.fma(i, a01);
            i = FloatVector.fromArray(F, in, row + 2 * x0 + LANES);
            a01 = k11.fma(i, a01);
            i = FloatVector.fromArray(F, in, row + 2 * x0 + LANES + 1).blend(zero, right01);
            a01 = k12.fma(i, a01);
            if (2 * oy + 1 < h) {
                int next = row + w;
                c00 = bias;
                i = FloatVector.fromArray(F, in, next + 2 * x0 - 1).blend(zero, left);
                a00 = k20.fma(i, a00);
                c00 = k00.fma(i, c00);
                i = FloatVector.fromArray(F, in, next + 2 * x0);
                a00 = k21.fma(i, a00);
                c00 = k01.fma(i, c00);
                i = FloatVector.fromArray(F, in, next + 2 * x0 + 1).blend(zero, right00);
                a00 = k22.fma(i, a00);
                c00 = k02.fma(i, c00);
                c01 = bias;
                i = FloatVector.fromArray(F, in, next + 2 * x0 + LANES - 1);
                a01 = k20.fma(i, a01);
                c01 = k00.fma(i, c01);
                i = FloatVector.fromArray(F, in, next + 2 * x0 + LANES);
                a01 = k21.fma(i, a01);
                c01 = k01.fma(i, c01);
                i = FloatVector.fromArray(F, in, next + 2 * x0 + LANES + 1).blend(zero, right01);
                a01 = k22.fma(i, a01);
                c01 = k02.fma(i, c01);
            } else {
                a00 = k22.fma(zero, k21.fma(zero, k20.fma(zero, a00)));
                a01 = k22.fma(zero, k21.fma(zero, k20.fma(zero, a01)));
            }
            a00.rearrange(EVEN).blend(a01.rearrange(EVEN), UPPER_HALF).intoArray(out, dst + x0);
        }
    }

    static void stride2Narrow(float[] in, int base, int w, int h, float[] k, int k0, float b, float[] out,
                              int out0, int outW, int outH) {
        FloatVector k00 = FloatVector.broadcast(F, k[k0 + 0]);
        FloatVector k01 = FloatVector.broadcast(F, k[k0 + 1]);
        FloatVector k02 = FloatVector.broadcast(F, k[k0 + 2]);
        FloatVector k10 = FloatVector.broadcast(F, k[k0 + 3]);
        FloatVector k11 = FloatVector.broadcast(F, k[k0 + 4]);
        FloatVector k12 = FloatVector.broadcast(F, k[k0 + 5]);
        FloatVector k20 = FloatVector.broadcast(F, k[k0 + 6]);
        FloatVector k21 = FloatVector.broadcast(F, k[k0 + 7]);
        FloatVector k22 = FloatVector.broadcast(F, k[k0 + 8]);
        FloatVector bias = FloatVector.broadcast(F, b);
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> left = outside(-1, w);
        VectorMask<Float> right = outside(1, w);
        FloatVector c = k02.fma(zero, k01.fma(zero, k00.fma(zero, bias)));
        for (int oy = 0, row = base, dst = out0; oy < outH; oy++, row += 2 * w, dst += outW) {
            FloatVector m = k10.fma(FloatVector.fromArray(F, in, row - 1).blend(zero, left), zero);
            m = k11.fma(FloatVector.fromArray(F, in, row), m);
            m = k12.fma(FloatVector.fromArray(F, in, row + 1).blend(zero, right), m);
            FloatVector a;
            if (2 * oy + 1 < h) {
                int next = row + w;
                FloatVector i0 = FloatVector.fromArray(F, in, next - 1).blend(zero, left);
                FloatVector i1 = FloatVector.fromArray(F, in, next);
                FloatVector i2 = FloatVector.fromArray(F, in, next + 1).blend(zero, right);
                a = c.add(m).add(k22.fma(i2, k21.fma(i1, k20.fma(i0, zero))));
                c = k02.fma(i2, k01.fma(i1, k00.fma(i0, bias)));
            } else {
                a = c.add(m).add(k22.fma(zero, k21.fma(zero, k20.fma(zero, zero))));
            }
            a.rearrange(EVEN).intoArray(out, dst);
        }
    }

}
