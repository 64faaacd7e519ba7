package dev.jconv.cuda.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.cuda.cublas.GemmPlan.Call;
import dev.jconv.cuda.cublas.GemmPlan.Operand;
import dev.jconv.cuda.vendor.RandomConvolutions;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cublas backend's GEMM arithmetic without a GPU: every call {@link GemmPlan} issues is executed by a
 * model of {@code cublasSgemmStridedBatched} (column-major, no transposes, strict bounds) on the im2col
 * layout that {@code native-kernels/im2col.cu} documents (and that native-kernels/emulate-vendor-kernels.sh
 * checks the kernel against), and the result must match cpu-reference. So m/n/k, leading dimensions,
 * offsets, batch strides, chunking, the pointwise path and the bias epilogue are all pinned here.
 */
class GemmPlanTest {

    @Test
    void randomConvolutionsThroughTheGemmCallsMatchTheReference() {
        int checked = 0;
        for (RandomConvolutions.Case c : RandomConvolutions.draw(20261122L, 250)) {
            ConvGeometry g = c.geometry();
            // small budgets force several chunks, including one image per chunk
            long budget = (1 + checked % 3) * GemmPlan.columnBytesPerImage(g);
            GemmPlan plan = GemmPlan.of(g, budget);
            float[] out = runModel(plan, c.input(), c.weight(), c.bias());
            String why = RandomConvolutions.mismatch(c.reference(), out);
            assertNull(why, () -> g + " via " + plan.describe() + ": " + why);
            checked++;
        }
        assertEquals(250, checked);
    }

    @Test
    void resnet3x3LayerIsOneBatchedGemmPerChunkWithTheExpectedDimensions() {
        ConvGeometry g = geometry(32, 64, 56, 56, 64, 3, 3, ConvParams.defaults().withPadding(1));
        GemmPlan plan = GemmPlan.of(g);
        assertFalse(plan.pointwise());
        long perImage = 4L * 64 * 9 * 56 * 56;
        assertEquals(perImage, GemmPlan.columnBytesPerImage(g));
        assertEquals(37, GemmPlan.COLUMN_BUDGET_BYTES / perImage);
        assertEquals(32, plan.imagesPerChunk(), "the whole batch fits the column budget: one chunk");
        List<Call> calls = plan.calls(0, plan.imagesPerChunk(), false);
        assertEquals(1, calls.size());
        Call call = calls.get(0);
        assertEquals(new Call(3136, 64, 576, Operand.COLUMNS, 0, 3136, 576L * 3136, Operand.WEIGHT, 0, 576, 0,
                0f, 0, 3136, 64L * 3136, plan.imagesPerChunk()), call);
    }

    @Test
    void pointwiseConvolutionReadsTheInputDirectlyInOneCall() {
        ConvGeometry g = geometry(8, 256, 14, 14, 1024, 1, 1, ConvParams.defaults());
        GemmPlan plan = GemmPlan.of(g);
        assertTrue(plan.pointwise());
        assertEquals(0, plan.columnBytes());
        assertEquals(8, plan.imagesPerChunk());
        assertEquals(List.of(new Call(196, 1024, 256, Operand.INPUT, 0, 196, 256L * 196, Operand.WEIGHT, 0, 256, 0,
                0f, 0, 196, 1024L * 196, 8)), plan.calls(0, 8, false));
        assertTrue(plan.describe().contains("no im2col"), plan.describe());
    }

    @Test
    void strided1x1WithPaddingStillNeedsIm2col() {
        assertFalse(GemmPlan.of(geometry(1, 8, 9, 9, 8, 1, 1, ConvParams.defaults().withStride(2))).pointwise());
        assertFalse(GemmPlan.of(geometry(1, 8, 9, 9, 8, 1, 1, ConvParams.defaults().withPadding(1))).pointwise());
    }

    @Test
    void depthwiseWithOneImageBatchesOverTheGroups() {
        ConvGeometry g = geometry(1, 32, 112, 112, 32, 3, 3, ConvParams.defaults().withPadding(1).withGroups(32));
        List<Call> calls = GemmPlan.of(g).calls(0, 1, false);
        assertEquals(1, calls.size());
        Call c = calls.get(0);
        int p = 112 * 112;
        assertEquals(new Call(p, 1, 9, Operand.COLUMNS, 0, p, 9L * p, Operand.WEIGHT, 0, 9, 9, 0f, 0, p, p, 32), c);
    }

    @Test
    void groupedWithManyImagesBatchesOverTheImagesOncePerGroup() {
        ConvGeometry g = geometry(16, 8, 10, 10, 12, 3, 3, ConvParams.defaults().withGroups(4));
        List<Call> calls = GemmPlan.of(g).calls(0, 16, false);
        assertEquals(4, calls.size());
        for (int gi = 0; gi < 4; gi++) {
            Call c = calls.get(gi);
            assertEquals(16, c.batch());
            assertEquals(0, c.strideB(), "the group's weights are shared by every image");
            assertEquals((long) gi * 3 * 18, c.bOffset());
            assertEquals((long) gi * 18 * 64, c.aOffset(), "group gi's rows of the column matrix");
            assertEquals((long) gi * 3 * 64, c.cOffset());
        }
    }

    @Test
    void biasIsARankOneProductBeforeTheMainOnesWhichAccumulate() {
        ConvGeometry g = geometry(2, 4, 6, 6, 5, 3, 3, ConvParams.defaults());
        List<Call> calls = GemmPlan.of(g).calls(0, 2, true);
        Call bias = calls.get(0);
        assertEquals(new Call(16, 5, 1, Operand.ONES, 0, 16, 0, Operand.BIAS, 0, 1, 0, 0f, 0, 16, 80, 2), bias);
        assertTrue(calls.subList(1, calls.size()).stream().allMatch(c -> c.beta() == 1f));
        assertTrue(GemmPlan.of(g).calls(0, 2, false).stream().allMatch(c -> c.beta() == 0f));
    }

    @Test
    void chunksCoverEveryImageOnce() {
        ConvGeometry g = geometry(10, 3, 8, 8, 4, 3, 3, ConvParams.defaults());
        GemmPlan plan = GemmPlan.of(g, 3 * GemmPlan.columnBytesPerImage(g) + 1);
        assertEquals(3, plan.imagesPerChunk());
        assertEquals(List.of(0, 3, 6, 9), plan.chunkStarts());
        assertEquals(3 * GemmPlan.columnBytesPerImage(g), plan.columnBytes());
        GemmPlan tiny = GemmPlan.of(g, 1);
        assertEquals(1, tiny.imagesPerChunk(), "at least one image per chunk, however small the budget");
    }

    @Test
    void hugeBatchesAreSplitUnderTheBatchLimit() {
        ConvGeometry g = geometry(70000, 1, 1, 1, 1, 1, 1, ConvParams.defaults());
        List<Call> calls = GemmPlan.of(g).calls(0, 70000, true);
        assertEquals(4, calls.size());
        assertEquals(List.of(GemmPlan.MAX_BATCH, 70000 - GemmPlan.MAX_BATCH, GemmPlan.MAX_BATCH, 70000 - GemmPlan.MAX_BATCH),
                calls.stream().map(Call::batch).toList());
        assertEquals((long) GemmPlan.MAX_BATCH, calls.get(3).cOffset());
    }

    @Test
    void reflectSameAsymmetricCaseMatchesTheReference() {
        ConvParams p = ConvParams.defaults().withPadding(Padding.SAME).withPaddingMode(PaddingMode.REFLECT).withDilation(1, 2);
        RandomConvolutions.Case c = new RandomConvolutions.Case(geometry(2, 3, 7, 9, 4, 4, 2, p),
                dev.jconv.Tensor.randn(1, 2, 3, 7, 9).data(), dev.jconv.Tensor.randn(2, 4, 3, 4, 2).data(), null);
        assertEquals(1, c.geometry().padTop());
        assertEquals(2, c.geometry().padBottom());
        assertNull(RandomConvolutions.mismatch(c.reference(), runModel(GemmPlan.of(c.geometry()), c.input(), c.weight(), null)));
    }

    static ConvGeometry geometry(int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        return ConvValidator.checkForward(new int[] {n, c, h, w}, new int[] {k, c / p.groups(), kh, kw}, null, p);
    }

    /** What CublasPlan does on the GPU, with im2col and cuBLAS replaced by their documented semantics. */
    static float[] runModel(GemmPlan plan, float[] input, float[] weight, float[] bias) {
        ConvGeometry g = plan.geometry();
        float[] out = new float[Math.toIntExact((long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth())];
        Arrays.fill(out, Float.NaN);
        float[] ones = new float[plan.pixels()];
        Arrays.fill(ones, 1f);
        for (int n0 : plan.chunkStarts()) {
            int images = Math.min(plan.imagesPerChunk(), g.batch() - n0);
            Map<Operand, float[]> operands = new EnumMap<>(Operand.class);
            operands.put(Operand.INPUT, input);
            operands.put(Operand.WEIGHT, weight);
            operands.put(Operand.OUTPUT, out);
            operands.put(Operand.ONES, ones);
            if (bias != null) {
                operands.put(Operand.BIAS, bias);
            }
            if (!plan.pointwise()) {
                operands.put(Operand.COLUMNS, im2col(g, input, n0, images));
            }
            for (Call c : plan.calls(n0, images, bias != null)) {
                sgemmStridedBatched(c, operands.get(c.a()), operands.get(c.b()), out);
            }
        }
        return out;
    }

    /** im2col.cu's layout: col[i][q = (c*R + r)*S + s][p = y*Wout + x]; unwritten entries stay NaN. */
    static float[] im2col(ConvGeometry g, float[] input, int firstImage, int images) {
        int rs = g.kernelH() * g.kernelW();
        int p = g.outHeight() * g.outWidth();
        float[] col = new float[Math.toIntExact((long) images * g.inChannels() * rs * p)];
        Arrays.fill(col, Float.NaN);
        for (int i = 0; i < images; i++) {
            for (int c = 0; c < g.inChannels(); c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++) {
                        for (int y = 0; y < g.outHeight(); y++) {
                            int iy = g.paddingMode().sourceIndex(y * g.strideH() - g.padTop() + r * g.dilationH(), g.inHeight());
                            for (int x = 0; x < g.outWidth(); x++) {
                                int ix = g.paddingMode().sourceIndex(x * g.strideW() - g.padLeft() + s * g.dilationW(), g.inWidth());
                                float v = iy < 0 || ix < 0 ? 0f : input[(((firstImage + i) * g.inChannels() + c) * g.inHeight() + iy)
                                        * g.inWidth() + ix];
                                col[(((i * g.inChannels() + c) * rs) + r * g.kernelW() + s) * p + y * g.outWidth() + x] = v;
                            }
                        }
                    }
                }
            }
        }
        return col;
    }

    /** cuBLAS's contract for {@code cublasSgemmStridedBatched(N, N, ...)} with alpha 1, column-major, bounds checked. */
    static void sgemmStridedBatched(Call c, float[] a, float[] b, float[] out) {
        assertTrue(c.m() >= 1 && c.n() >= 1 && c.k() >= 1 && c.batch() >= 1, c.toString());
        assertTrue(c.lda() >= c.m() && c.ldb() >= c.k() && c.ldc() >= c.m(), "leading dimensions " + c);
        for (int batch = 0; batch < c.batch(); batch++) {
            long aBase = c.aOffset() + batch * c.strideA();
            long bBase = c.bOffset() + batch * c.strideB();
            long cBase = c.cOffset() + batch * c.strideC();
            for (int j = 0; j < c.n(); j++) {
                for (int i = 0; i < c.m(); i++) {
                    double sum = 0;
                    for (int l = 0; l < c.k(); l++) {
                        sum += (double) a[Math.toIntExact(aBase + (long) l * c.lda() + i)] * b[Math.toIntExact(bBase + (long) j * c.ldb() + l)];
                    }
                    int at = Math.toIntExact(cBase + (long) j * c.ldc() + i);
                    // beta 0: C is not read (BLAS), so a NaN-poisoned output does not leak through
                    out[at] = (float) (c.beta() == 0f ? sum : sum + c.beta() * out[at]);
                }
            }
        }
    }
}
