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
     * {@code U = G g G^T} for one 3x3 filter at {@code w[w0 ..]}, element {@code (i, j)} written to
     * {@code u[6 * i + j][u0]}. In double, so the weights add no rounding of their own. Written out as straight-line
     * code on locals: it runs once per weight version, so mostly before the JIT has compiled it, and a new version of
     * a 512x512 layer transforms 262,144 filters on its first call; the same math as loops over a helper for
     * {@code G (a, b, c)} measured 13-30 ms against 7-9 for that first call at 256x256 and 78-89 against 41-53 at
     * 512x512 (2 threads, {@code FirstCallBenchmark}).
     */
    static void filter(float[] w, int w0, float[][] u, int u0) {
        double g00 = w[w0 + 0];
        double g01 = w[w0 + 1];
        double g02 = w[w0 + 2];
        double g10 = w[w0 + 3];
        double g11 = w[w0 + 4];
        double g12 = w[w0 + 5];
        double g20 = w[w0 + 6];
        double g21 = w[w0 + 7];
        double g22 = w[w0 + 8];
        double t00 = g00 / 4;
        double t10 = -(g00 + g10 + g20) / 6;
        double t20 = -(g00 - g10 + g20) / 6;
        double t30 = g00 / 24 + g10 / 12 + g20 / 6;
        double t40 = g00 / 24 - g10 / 12 + g20 / 6;
        double t50 = g20;
        double t01 = g01 / 4;
        double t11 = -(g01 + g11 + g21) / 6;
        double t21 = -(g01 - g11 + g21) / 6;
        double t31 = g01 / 24 + g11 / 12 + g21 / 6;
        double t41 = g01 / 24 - g11 / 12 + g21 / 6;
        double t51 = g21;
        double t02 = g02 / 4;
        double t12 = -(g02 + g12 + g22) / 6;
        double t22 = -(g02 - g12 + g22) / 6;
        double t32 = g02 / 24 + g12 / 12 + g22 / 6;
        double t42 = g02 / 24 - g12 / 12 + g22 / 6;
        double t52 = g22;
        u[0][u0] = (float) (t00 / 4);
        u[1][u0] = (float) (-(t00 + t01 + t02) / 6);
        u[2][u0] = (float) (-(t00 - t01 + t02) / 6);
        u[3][u0] = (float) (t00 / 24 + t01 / 12 + t02 / 6);
        u[4][u0] = (float) (t00 / 24 - t01 / 12 + t02 / 6);
        u[5][u0] = (float) (t02);
        u[6][u0] = (float) (t10 / 4);
        u[7][u0] = (float) (-(t10 + t11 + t12) / 6);
        u[8][u0] = (float) (-(t10 - t11 + t12) / 6);
        u[9][u0] = (float) (t10 / 24 + t11 / 12 + t12 / 6);
        u[10][u0] = (float) (t10 / 24 - t11 / 12 + t12 / 6);
        u[11][u0] = (float) (t12);
        u[12][u0] = (float) (t20 / 4);
        u[13][u0] = (float) (-(t20 + t21 + t22) / 6);
        u[14][u0] = (float) (-(t20 - t21 + t22) / 6);
        u[15][u0] = (float) (t20 / 24 + t21 / 12 + t22 / 6);
        u[16][u0] = (float) (t20 / 24 - t21 / 12 + t22 / 6);
        u[17][u0] = (float) (t22);
        u[18][u0] = (float) (t30 / 4);
        u[19][u0] = (float) (-(t30 + t31 + t32) / 6);
        u[20][u0] = (float) (-(t30 - t31 + t32) / 6);
        u[21][u0] = (float) (t30 / 24 + t31 / 12 + t32 / 6);
        u[22][u0] = (float) (t30 / 24 - t31 / 12 + t32 / 6);
        u[23][u0] = (float) (t32);
        u[24][u0] = (float) (t40 / 4);
        u[25][u0] = (float) (-(t40 + t41 + t42) / 6);
        u[26][u0] = (float) (-(t40 - t41 + t42) / 6);
        u[27][u0] = (float) (t40 / 24 + t41 / 12 + t42 / 6);
        u[28][u0] = (float) (t40 / 24 - t41 / 12 + t42 / 6);
        u[29][u0] = (float) (t42);
        u[30][u0] = (float) (t50 / 4);
        u[31][u0] = (float) (-(t50 + t51 + t52) / 6);
        u[32][u0] = (float) (-(t50 - t51 + t52) / 6);
        u[33][u0] = (float) (t50 / 24 + t51 / 12 + t52 / 6);
        u[34][u0] = (float) (t50 / 24 - t51 / 12 + t52 / 6);
        u[35][u0] = (float) (t52);
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
