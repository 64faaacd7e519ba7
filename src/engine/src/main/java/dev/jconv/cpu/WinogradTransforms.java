package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three transforms of Winograd's minimal filtering algorithm F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", CVPR 2016, section 4.2, interpolation points 0, 1, -1, 2, -2 and infinity).
 * A 4x4 block of outputs of a 3x3 correlation is {@code Y = A^T [(G g G^T) . (B^T d B)] A}, with {@code d} the
 * 6x6 input tile, {@code g} the 3x3 filter and {@code .} the element-wise product:
 * <pre>
 *   B^T = | 4  0 -5  0  1  0 |     G = | 1/4     0     0  |     A^T = | 1  1  1  1  1  0 |
 *         | 0 -4 -4  1  1  0 |         | -1/6 -1/6  -1/6 |           | 0  1 -1  2 -2  0 |
 *         | 0  4 -4 -1  1  0 |         | -1/6  1/6  -1/6 |           | 0  1  1  4  4  0 |
 *         | 0 -2 -1  2  1  0 |         | 1/24 1/12  1/6  |           | 0  1 -1  8 -8  1 |
 *         | 0  2 -1 -2  1  0 |         | 1/24 -1/12 1/6  |
 *         | 0  4  0 -5  0  1 |         | 0     0     1   |
 * </pre>
 * Summed over input channels, the element-wise products become 36 independent GEMMs ({@link WinogradPlan}):
 * 36 multiplications per 16 outputs per channel pair against 144 for the direct 3x3, a 4x cut, at the price of
 * the transforms below (linear in channels, not in their product) and of rounding: the transformed values carry
 * factors up to 8 and 1/24, so the fp32 error grows a few times over the direct sum's (measured against the
 * double reference in the property and golden tests, inside {@code 1e-4 * max(1, max|ref|)}).
 *
 * <p>Input and output transforms run on vectors of horizontally adjacent tiles: the input rows are first
 * split into the four column phases {@code x mod 4} ({@link WinogradPlan}), so element {@code i} of tile
 * {@code tx} is phase {@code i mod 4} at index {@code tx + i / 4}: a plain vector load for every one.
 */
final class WinogradTransforms {
    static final VectorSpecies<Float> F = GemmKernel.F;
    static final int LANES = GemmKernel.LANES;
    /** Outputs per tile side. */
    static final int M = 4;
    /** Input tile side, and transformed tile side: 36 GEMMs. */
    static final int T = 6;
    /** {@code G}'s fractions as factors: a double division costs several multiplications, most of all interpreted. */
    private static final double SIXTH = 1.0 / 6;
    private static final double TWELFTH = 1.0 / 12;
    private static final double TWENTY_FOURTH = 1.0 / 24;

    // Lane permutations between a row and its four column phases (x mod 4), one field each so C2 sees constants.
    // Splitting: phase p of four row vectors s0..s3 is, in lane quarter q, s_q permuted by l -> (4l + p) mod LANES.
    private static final VectorShuffle<Float> PHASE0 = VectorShuffle.fromOp(F, l -> 4 * l % LANES);
    private static final VectorShuffle<Float> PHASE1 = VectorShuffle.fromOp(F, l -> (4 * l + 1) % LANES);
    private static final VectorShuffle<Float> PHASE2 = VectorShuffle.fromOp(F, l -> (4 * l + 2) % LANES);
    private static final VectorShuffle<Float> PHASE3 = VectorShuffle.fromOp(F, l -> (4 * l + 3) % LANES);
    private static final VectorMask<Float> QUARTER1 = lanes(l -> l / (LANES / 4) == 1);
    private static final VectorMask<Float> QUARTER2 = lanes(l -> l / (LANES / 4) == 2);
    private static final VectorMask<Float> QUARTER3 = lanes(l -> l / (LANES / 4) == 3);
    // Merging: row vector q takes, in the lanes l with l mod 4 = p, phase p permuted by l -> q LANES / 4 + l / 4.
    private static final VectorShuffle<Float> SPREAD0 = VectorShuffle.fromOp(F, l -> l / 4);
    private static final VectorShuffle<Float> SPREAD1 = VectorShuffle.fromOp(F, l -> LANES / 4 + l / 4);
    private static final VectorShuffle<Float> SPREAD2 = VectorShuffle.fromOp(F, l -> 2 * LANES / 4 + l / 4);
    private static final VectorShuffle<Float> SPREAD3 = VectorShuffle.fromOp(F, l -> 3 * LANES / 4 + l / 4);
    private static final VectorMask<Float> RESIDUE1 = lanes(l -> l % 4 == 1);
    private static final VectorMask<Float> RESIDUE2 = lanes(l -> l % 4 == 2);
    private static final VectorMask<Float> RESIDUE3 = lanes(l -> l % 4 == 3);

    private WinogradTransforms() {}

    private static VectorMask<Float> lanes(java.util.function.IntPredicate set) {
        boolean[] bits = new boolean[LANES];
        for (int l = 0; l < LANES; l++) {
            bits[l] = set.test(l);
        }
        return VectorMask.fromArray(F, bits, 0);
    }

    /**
     * Splits {@code 4 * phaseStride} floats of a row at {@code row[r0 ..]} into its column phases: column
     * {@code 4j + p} to {@code dst[d0 + p * phaseStride + j]}. {@code phaseStride} is a multiple of {@code LANES}.
     */
    static void split(float[] row, int r0, float[] dst, int d0, int phaseStride) {
        for (int j = 0; j < phaseStride; j += LANES) {
            int s = r0 + 4 * j;
            FloatVector s0 = FloatVector.fromArray(F, row, s);
            FloatVector s1 = FloatVector.fromArray(F, row, s + LANES);
            FloatVector s2 = FloatVector.fromArray(F, row, s + 2 * LANES);
            FloatVector s3 = FloatVector.fromArray(F, row, s + 3 * LANES);
            int d = d0 + j;
            s0.rearrange(PHASE0).blend(s1.rearrange(PHASE0), QUARTER1).blend(s2.rearrange(PHASE0), QUARTER2)
                    .blend(s3.rearrange(PHASE0), QUARTER3).intoArray(dst, d);
            s0.rearrange(PHASE1).blend(s1.rearrange(PHASE1), QUARTER1).blend(s2.rearrange(PHASE1), QUARTER2)
                    .blend(s3.rearrange(PHASE1), QUARTER3).intoArray(dst, d + phaseStride);
            s0.rearrange(PHASE2).blend(s1.rearrange(PHASE2), QUARTER1).blend(s2.rearrange(PHASE2), QUARTER2)
                    .blend(s3.rearrange(PHASE2), QUARTER3).intoArray(dst, d + 2 * phaseStride);
            s0.rearrange(PHASE3).blend(s1.rearrange(PHASE3), QUARTER1).blend(s2.rearrange(PHASE3), QUARTER2)
                    .blend(s3.rearrange(PHASE3), QUARTER3).intoArray(dst, d + 3 * phaseStride);
        }
    }

    /**
     * The inverse of {@link #split} for one vector per phase: phase {@code p} at {@code phases[p0 + p * LANES]},
     * lane {@code l} to {@code dst[d0 + 4l + p]} ({@code 4 * LANES} floats).
     */
    static void merge(float[] phases, int p0, float[] dst, int d0) {
        FloatVector y0 = FloatVector.fromArray(F, phases, p0);
        FloatVector y1 = FloatVector.fromArray(F, phases, p0 + LANES);
        FloatVector y2 = FloatVector.fromArray(F, phases, p0 + 2 * LANES);
        FloatVector y3 = FloatVector.fromArray(F, phases, p0 + 3 * LANES);
        y0.rearrange(SPREAD0).blend(y1.rearrange(SPREAD0), RESIDUE1).blend(y2.rearrange(SPREAD0), RESIDUE2)
                .blend(y3.rearrange(SPREAD0), RESIDUE3).intoArray(dst, d0);
        y0.rearrange(SPREAD1).blend(y1.rearrange(SPREAD1), RESIDUE1).blend(y2.rearrange(SPREAD1), RESIDUE2)
                .blend(y3.rearrange(SPREAD1), RESIDUE3).intoArray(dst, d0 + LANES);
        y0.rearrange(SPREAD2).blend(y1.rearrange(SPREAD2), RESIDUE1).blend(y2.rearrange(SPREAD2), RESIDUE2)
                .blend(y3.rearrange(SPREAD2), RESIDUE3).intoArray(dst, d0 + 2 * LANES);
        y0.rearrange(SPREAD3).blend(y1.rearrange(SPREAD3), RESIDUE1).blend(y2.rearrange(SPREAD3), RESIDUE2)
                .blend(y3.rearrange(SPREAD3), RESIDUE3).intoArray(dst, d0 + 3 * LANES);
    }

    /**
     * {@code U = G g G^T} for {@code count} 3x3 filters, filter {@code i} at {@code w[w0 + i * wStride ..]}, its
     * element {@code (a, b)} written to {@code u[6 * a + b][u0 + i]}. In double, so the weights add no rounding of
     * their own. Written out as straight-line code on locals: it runs once per weight version, so mostly before the
     * JIT has compiled it, and a new version of a 512x512 layer transforms 262,144 filters on its first call; the
     * same math as loops over a helper for {@code G (a, b, c)} measured 13-30 ms against 7-9 for that first call at
     * 256x256 and 78-89 against 41-53 at 512x512 (2 threads, {@code FirstCallBenchmark}). Several filters per call
     * so that an interpreted caller makes fewer calls into the compiled transform.
     */
    static void filters(float[] w, int w0, int wStride, int count, float[][] u, int u0) {
        for (int i = 0, wi = w0, ui = u0; i < count; i++, wi += wStride, ui++) {
            double g00 = w[wi + 0];
            double g01 = w[wi + 1];
            double g02 = w[wi + 2];
            double g10 = w[wi + 3];
            double g11 = w[wi + 4];
            double g12 = w[wi + 5];
            double g20 = w[wi + 6];
            double g21 = w[wi + 7];
            double g22 = w[wi + 8];
            double t00 = g00 * 0.25;
            double t10 = -(g00 + g10 + g20) * SIXTH;
            double t20 = -(g00 - g10 + g20) * SIXTH;
            double t30 = g00 * TWENTY_FOURTH + g10 * TWELFTH + g20 * SIXTH;
            double t40 = g00 * TWENTY_FOURTH - g10 * TWELFTH + g20 * SIXTH;
            double t50 = g20;
            double t01 = g01 * 0.25;
            double t11 = -(g01 + g11 + g21) * SIXTH;
            double t21 = -(g01 - g11 + g21) * SIXTH;
            double t31 = g01 * TWENTY_FOURTH + g11 * TWELFTH + g21 * SIXTH;
            double t41 = g01 * TWENTY_FOURTH - g11 * TWELFTH + g21 * SIXTH;
            double t51 = g21;
            double t02 = g02 * 0.25;
            double t12 = -(g02 + g12 + g22) * SIXTH;
            double t22 = -(g02 - g12 + g22) * SIXTH;
            double t32 = g02 * TWENTY_FOURTH + g12 * TWELFTH + g22 * SIXTH;
            double t42 = g02 * TWENTY_FOURTH - g12 * TWELFTH + g22 * SIXTH;
            double t52 = g22;
            u[0][ui] = (float) (t00 * 0.25);
            u[1][ui] = (float) (-(t00 + t01 + t02) * SIXTH);
            u[2][ui] = (float) (-(t00 - t01 + t02) * SIXTH);
            u[3][ui] = (float) (t00 * TWENTY_FOURTH + t01 * TWELFTH + t02 * SIXTH);
            u[4][ui] = (float) (t00 * TWENTY_FOURTH - t01 * TWELFTH + t02 * SIXTH);
            u[5][ui] = (float) (t02);
            u[6][ui] = (float) (t10 * 0.25);
            u[7][ui] = (float) (-(t10 + t11 + t12) * SIXTH);
            u[8][ui] = (float) (-(t10 - t11 + t12) * SIXTH);
            u[9][ui] = (float) (t10 * TWENTY_FOURTH + t11 * TWELFTH + t12 * SIXTH);
            u[10][ui] = (float) (t10 * TWENTY_FOURTH - t11 * TWELFTH + t12 * SIXTH);
            u[11][ui] = (float) (t12);
            u[12][ui] = (float) (t20 * 0.25);
            u[13][ui] = (float) (-(t20 + t21 + t22) * SIXTH);
            u[14][ui] = (float) (-(t20 - t21 + t22) * SIXTH);
            u[15][ui] = (float) (t20 * TWENTY_FOURTH + t21 * TWELFTH + t22 * SIXTH);
            u[16][ui] = (float) (t20 * TWENTY_FOURTH - t21 * TWELFTH + t22 * SIXTH);
            u[17][ui] = (float) (t22);
            u[18][ui] = (float) (t30 * 0.25);
            u[19][ui] = (float) (-(t30 + t31 + t32) * SIXTH);
            u[20][ui] = (float) (-(t30 - t31 + t32) * SIXTH);
            u[21][ui] = (float) (t30 * TWENTY_FOURTH + t31 * TWELFTH + t32 * SIXTH);
            u[22][ui] = (float) (t30 * TWENTY_FOURTH - t31 * TWELFTH + t32 * SIXTH);
            u[23][ui] = (float) (t32);
            u[24][ui] = (float) (t40 * 0.25);
            u[25][ui] = (float) (-(t40 + t41 + t42) * SIXTH);
            u[26][ui] = (float) (-(t40 - t41 + t42) * SIXTH);
            u[27][ui] = (float) (t40 * TWENTY_FOURTH + t41 * TWELFTH + t42 * SIXTH);
            u[28][ui] = (float) (t40 * TWENTY_FOURTH - t41 * TWELFTH + t42 * SIXTH);
            u[29][ui] = (float) (t42);
            u[30][ui] = (float) (t50 * 0.25);
            u[31][ui] = (float) (-(t50 + t51 + t52) * SIXTH);
            u[32][ui] = (float) (-(t50 - t51 + t52) * SIXTH);
            u[33][ui] = (float) (t50 * TWENTY_FOURTH + t51 * TWELFTH + t52 * SIXTH);
            u[34][ui] = (float) (t50 * TWENTY_FOURTH - t51 * TWELFTH + t52 * SIXTH);
            u[35][ui] = (float) (t52);
        }
    }

    /**
     * {@code V = B^T d B} for {@code LANES} adjacent tiles. {@code phases} holds the six input rows of the tile
     * row, row {@code r} phase {@code p} of the first tile at {@code phases[p0 + (4 * r + p) * phaseRow]}; element
     * {@code (i, j)} of the tiles goes to {@code v[v0 + (6 * i + j) * xiStride]} as one vector. {@code scratch}
     * holds 36 vectors.
     */
    static void input(float[] phases, int p0, int phaseRow, float[] v, int v0, int xiStride, float[] scratch) {
        for (int r = 0; r < T; r++) {
            int base = p0 + 4 * r * phaseRow;
            inputPass(phases, base, base + phaseRow, base + 2 * phaseRow, base + 3 * phaseRow, base + 1,
                    base + phaseRow + 1, scratch, T * r * LANES, LANES);
        }
        inputColumns(scratch, v, v0, xiStride);
    }

    /**
     * {@code V = B^T d B} for {@code LANES} tiles gathered one element at a time: element {@code (r, i)} of the tiles
     * at {@code patch[(6 * r + i) * LANES]} as one vector; output as {@link #input}.
     */
    static void inputGathered(float[] patch, float[] v, int v0, int xiStride, float[] scratch) {
        for (int r = 0; r < T; r++) {
            int base = T * r * LANES;
            inputPass(patch, base, base + LANES, base + 2 * LANES, base + 3 * LANES, base + 4 * LANES,
                    base + 5 * LANES, scratch, base, LANES);
        }
        inputColumns(scratch, v, v0, xiStride);
    }

    /** The second {@code B^T} pass of {@link #input}, on the rows' results in {@code scratch}. */
    private static void inputColumns(float[] scratch, float[] v, int v0, int xiStride) {
        for (int j = 0; j < T; j++) {
            int col = j * LANES;
            int step = T * LANES;
            inputPass(scratch, col, col + step, col + 2 * step, col + 3 * step, col + 4 * step, col + 5 * step, v,
                    v0 + j * xiStride, T * xiStride);
        }
    }

    /**
     * One {@code B^T} pass over the six vectors at {@code src[o0]} .. {@code src[o5]}; output {@code i} to
     * {@code dst[d0 + i * step]}. Vectors never cross a method boundary here: one C2 does not inline would be boxed.
     */
    private static void inputPass(float[] src, int o0, int o1, int o2, int o3, int o4, int o5, float[] dst, int d0,
                                  int step) {
        FloatVector x0 = FloatVector.fromArray(F, src, o0);
        FloatVector x1 = FloatVector.fromArray(F, src, o1);
        FloatVector x2 = FloatVector.fromArray(F, src, o2);
        FloatVector x3 = FloatVector.fromArray(F, src, o3);
        FloatVector x4 = FloatVector.fromArray(F, src, o4);
        FloatVector x5 = FloatVector.fromArray(F, src, o5);
        FloatVector a = x4.sub(x2.mul(4f));
        FloatVector b = x3.sub(x1.mul(4f));
        FloatVector c = x4.sub(x2);
        FloatVector e = x3.sub(x1).mul(2f);
        x0.mul(4f).sub(x2.mul(5f)).add(x4).intoArray(dst, d0);
        a.add(b).intoArray(dst, d0 + step);
        a.sub(b).intoArray(dst, d0 + 2 * step);
        c.add(e).intoArray(dst, d0 + 3 * step);
        c.sub(e).intoArray(dst, d0 + 4 * step);
        x1.mul(4f).sub(x3.mul(5f)).add(x5).intoArray(dst, d0 + 5 * step);
    }

    /**
     * {@code Y = A^T m A} (+ bias) for {@code LANES} adjacent tiles: element {@code (i, j)} of the transformed
     * products at {@code m[m0 + (6 * i + j) * xiStride]}; output {@code (i, j)} of the tiles to
     * {@code y[(4 * i + j) * LANES]}. {@code scratch} holds 24 vectors.
     */
    static void output(float[] m, int m0, int xiStride, float bias, float[] scratch, float[] y) {
        for (int j = 0; j < T; j++) {
            outputPass(m, m0 + j * xiStride, T * xiStride, 0f, scratch, j * LANES, T * LANES);
        }
        for (int i = 0; i < M; i++) {
            outputPass(scratch, T * i * LANES, LANES, bias, y, M * i * LANES, LANES);
        }
    }

    /**
     * One {@code A^T} pass over the six vectors {@code src[o0 + k * stride]} plus {@code bias}; output {@code i} to
     * {@code dst[d0 + i * step]}.
     */
    private static void outputPass(float[] src, int o0, int stride, float bias, float[] dst, int d0, int step) {
        FloatVector x0 = FloatVector.fromArray(F, src, o0);
        FloatVector x1 = FloatVector.fromArray(F, src, o0 + stride);
        FloatVector x2 = FloatVector.fromArray(F, src, o0 + 2 * stride);
        FloatVector x3 = FloatVector.fromArray(F, src, o0 + 3 * stride);
        FloatVector x4 = FloatVector.fromArray(F, src, o0 + 4 * stride);
        FloatVector x5 = FloatVector.fromArray(F, src, o0 + 5 * stride);
        FloatVector sum12 = x1.add(x2);
        FloatVector diff12 = x1.sub(x2);
        FloatVector sum34 = x3.add(x4);
        FloatVector diff34 = x3.sub(x4);
        x0.add(sum12).add(sum34).add(bias).intoArray(dst, d0);
        diff12.add(diff34.mul(2f)).add(bias).intoArray(dst, d0 + step);
        sum12.add(sum34.mul(4f)).add(bias).intoArray(dst, d0 + 2 * step);
        diff12.add(diff34.mul(8f)).add(x5).add(bias).intoArray(dst, d0 + 3 * step);
    }
}
