package dev.jconv.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three transforms of Winograd's F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", CVPR 2016, section 4.1, interpolation points 0, 1, -1 and infinity). A 2x2 block of outputs of a 3x3
 * correlation is {@code Y = A^T [(G g G^T) . (B^T d B)] A}, with {@code d} the 4x4 input tile (overlapping its
 * neighbours by 2), {@code g} the 3x3 filter and {@code .} the element-wise product:
 * <pre>
 *   B^T = | 1  0 -1  0 |     G = | 1    0    0   |     A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |         | 1/2  1/2  1/2 |           | 0  1 -1 -1 |
 *         | 0 -1  1  0 |         | 1/2 -1/2  1/2 |
 *         | 0  1  0 -1 |         | 0    0    1   |
 * </pre>
 * Summed over input channels the products become 16 independent GEMMs ({@link Winograd2x2Plan}): 16
 * multiplications per 4 outputs per channel pair against 36 for the direct 3x3, a 2.25x cut (F(4x4, 3x3),
 * {@link WinogradTransforms}, cuts 4x but needs 4x4-output tiles and transformed filters 4x the weights, against
 * 16/9 here). The transforms' factors are 1 and 1/2, so the rounding stays close to the direct sum's.
 *
 * <p>Input and output transforms run on vectors of {@code LANES} tiles whose elements the plan gathered: element
 * {@code (i, j)} of the tiles at {@code [(4 * i + j) * LANES]} as one vector. Vectors stay locals (C2 keeps them
 * in registers only so).
 */
final class Winograd2x2Transforms {
    static final VectorSpecies<Float> F = GemmKernel.F;
    static final int LANES = GemmKernel.LANES;
    /** Transformed tile side: 16 GEMMs. */
    static final int T = 4;

    private Winograd2x2Transforms() {}

    /**
     * {@code U = G g G^T} for the 3x3 filter at {@code w[w0 ..]}, element {@code (i, j)} to {@code u[4 * i + j][u0]}.
     * In double, so the weights add no rounding of their own.
     */
    static void filter(float[] w, int w0, float[][] u, int u0) {
        double g00 = w[w0];
        double g01 = w[w0 + 1];
        double g02 = w[w0 + 2];
        double g10 = w[w0 + 3];
        double g11 = w[w0 + 4];
        double g12 = w[w0 + 5];
        double g20 = w[w0 + 6];
        double g21 = w[w0 + 7];
        double g22 = w[w0 + 8];
        // t = G g, row by row
        filterRow(g00, g01, g02, u, 0, u0);
        filterRow((g00 + g10 + g20) * 0.5, (g01 + g11 + g21) * 0.5, (g02 + g12 + g22) * 0.5, u, 4, u0);
        filterRow((g00 - g10 + g20) * 0.5, (g01 - g11 + g21) * 0.5, (g02 - g12 + g22) * 0.5, u, 8, u0);
        filterRow(g20, g21, g22, u, 12, u0);
    }

    /** Row {@code (t0, t1, t2)} of {@code G g} times {@code G^T}: elements {@code u[row .. row + 3][u0]}. */
    private static void filterRow(double t0, double t1, double t2, float[][] u, int row, int u0) {
        u[row][u0] = (float) t0;
        u[row + 1][u0] = (float) ((t0 + t1 + t2) * 0.5);
        u[row + 2][u0] = (float) ((t0 - t1 + t2) * 0.5);
        u[row + 3][u0] = (float) t2;
    }

    /**
     * {@code V = B^T d B} for {@code LANES} gathered tiles ({@code patch}, 16 vectors); element {@code (i, j)} to
     * {@code v[v0 + (4 * i + j) * xiStride]} as one vector.
     */
    static void input(float[] patch, float[] v, int v0, int xiStride) {
        for (int j = 0; j < T; j++) { // B^T along each column of d, then B^T along the rows below
            FloatVector d0 = FloatVector.fromArray(F, patch, j * LANES);
            FloatVector d1 = FloatVector.fromArray(F, patch, (4 + j) * LANES);
            FloatVector d2 = FloatVector.fromArray(F, patch, (8 + j) * LANES);
            FloatVector d3 = FloatVector.fromArray(F, patch, (12 + j) * LANES);
            d0.sub(d2).intoArray(patch, j * LANES);
            d1.add(d2).intoArray(patch, (4 + j) * LANES);
            d2.sub(d1).intoArray(patch, (8 + j) * LANES);
            d1.sub(d3).intoArray(patch, (12 + j) * LANES);
        }
        for (int i = 0; i < T; i++) {
            FloatVector e0 = FloatVector.fromArray(F, patch, 4 * i * LANES);
            FloatVector e1 = FloatVector.fromArray(F, patch, (4 * i + 1) * LANES);
            FloatVector e2 = FloatVector.fromArray(F, patch, (4 * i + 2) * LANES);
            FloatVector e3 = FloatVector.fromArray(F, patch, (4 * i + 3) * LANES);
            int at = v0 + 4 * i * xiStride;
            e0.sub(e2).intoArray(v, at);
            e1.add(e2).intoArray(v, at + xiStride);
            e2.sub(e1).intoArray(v, at + 2 * xiStride);
            e1.sub(e3).intoArray(v, at + 3 * xiStride);
        }
    }

    /**
     * {@code Y = A^T m A + bias} for {@code LANES} adjacent tiles: element {@code (i, j)} of the transformed products
     * at {@code m[m0 + (4 * i + j) * xiStride]}; output {@code (r, c)} of the tiles to {@code y[(2 * r + c) * LANES]}.
     */
    static void output(float[] m, int m0, int xiStride, float bias, float[] y) {
        FloatVector r0 = rowSum(m, m0, xiStride);
        FloatVector r1 = rowSum(m, m0 + 4 * xiStride, xiStride);
        FloatVector r2 = rowSum(m, m0 + 8 * xiStride, xiStride);
        FloatVector r3 = rowSum(m, m0 + 12 * xiStride, xiStride);
        r0.add(r1).add(r2).add(bias).intoArray(y, 0);
        r1.sub(r2).sub(r3).add(bias).intoArray(y, 2 * LANES);
        FloatVector d0 = rowDifference(m, m0, xiStride);
        FloatVector d1 = rowDifference(m, m0 + 4 * xiStride, xiStride);
        FloatVector d2 = rowDifference(m, m0 + 8 * xiStride, xiStride);
        FloatVector d3 = rowDifference(m, m0 + 12 * xiStride, xiStride);
        d0.add(d1).add(d2).add(bias).intoArray(y, LANES);
        d1.sub(d2).sub(d3).add(bias).intoArray(y, 3 * LANES);
    }

    /** Row 0 of {@code A^T} on the row at {@code m[at]}: {@code m_0 + m_1 + m_2}. */
    private static FloatVector rowSum(float[] m, int at, int xiStride) {
        return FloatVector.fromArray(F, m, at).add(FloatVector.fromArray(F, m, at + xiStride))
                .add(FloatVector.fromArray(F, m, at + 2 * xiStride));
    }

    /** Row 1 of {@code A^T} on the row at {@code m[at]}: {@code m_1 - m_2 - m_3}. */
    private static FloatVector rowDifference(float[] m, int at, int xiStride) {
        return FloatVector.fromArray(F, m, at + xiStride).sub(FloatVector.fromArray(F, m, at + 2 * xiStride))
                .sub(FloatVector.fromArray(F, m, at + 3 * xiStride));
    }
}
