package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanLease;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code cpu} plans' ReLU post-op equals {@code relu(cpu-reference)} on fresh random inputs, on every kernel
 * path: fused into the GEMM output stores with packed and in-place weights, full tiles and ragged tails, partial
 * channel blocks, 1x1 direct input, strided copies and the gathered im2col plan; as a pass after both depthwise
 * plans; on one thread and on the pool; and in the plain-Java fallback plan.
 */
class FusedReluTest {

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of(new int[] {2, 3, 28, 28}, new int[] {32, 3, 3, 3}, ConvParams.defaults().withPadding(1)),
                Arguments.of(new int[] {1, 16, 7, 7}, new int[] {20, 16, 3, 3}, ConvParams.defaults()),
                // a stem: where vectors are narrow, StemPlan
                Arguments.of(new int[] {1, 3, 30, 30}, new int[] {20, 3, 7, 7},
                        ConvParams.defaults().withStride(2).withPadding(3)),
                Arguments.of(new int[] {2, 8, 9, 11}, new int[] {5, 8, 1, 1}, ConvParams.defaults()),
                // full tiles stored by the kernels straight into the output (VectorStores.Sink#direct), then clamped
                Arguments.of(new int[] {1, 24, 28, 28}, new int[] {37, 24, 1, 1}, ConvParams.defaults()),
                // and where they lie inside rows of a layout with discarded columns (a stem like MobileNet's)
                Arguments.of(new int[] {1, 3, 60, 120}, new int[] {16, 3, 3, 3},
                        ConvParams.defaults().withStride(2).withPadding(1)),
                Arguments.of(new int[] {1, 6, 15, 13}, new int[] {10, 3, 3, 2},
                        ConvParams.defaults().withGroups(2).withStride(2, 1).withPadding(Padding.of(1, 2))
                                .withPaddingMode(PaddingMode.REFLECT)),
                Arguments.of(new int[] {2, 12, 20, 20}, new int[] {12, 1, 3, 3}, ConvParams.defaults().withGroups(12)
                        .withPadding(1)),
                Arguments.of(new int[] {1, 32, 6, 6}, new int[] {32, 1, 3, 3}, ConvParams.defaults().withGroups(32)
                        .withStride(2).withPadding(1)),
                Arguments.of(new int[] {1, 4, 19, 23}, new int[] {8, 1, 5, 5}, ConvParams.defaults().withGroups(4)
                        .withPadding(Padding.SAME).withDilation(2)),
                // 65x65 stride phases, beyond the stride-phase layout: the gathered im2col plan
                Arguments.of(new int[] {1, 2, 600, 600}, new int[] {4, 2, 3, 3}, ConvParams.defaults().withStride(65)));
    }

    @ParameterizedTest
    @MethodSource("layers")
    void fusedReluEqualsReluOfTheReference(int[] input, int[] weight, ConvParams params) {
        for (CpuBackend cpu : new CpuBackend[] {new CpuBackend(1), new CpuBackend(2, 0)}) {
            for (int packMin : new int[] {0, Integer.MAX_VALUE}) {
                CpuBackend backend = new CpuBackend(cpu.threads(), 0, packMin);
                ConvGeometry g = dev.jconv.ConvValidator.checkForward(input, weight, new int[] {weight[0]}, params);
                float[] in = Tensor.uniform(11, -1f, 1f, input).data();
                float[] w = Tensor.uniform(12, -1f, 1f, weight).data();
                float[] b = Tensor.uniform(13, -1f, 1f, weight[0]).data();
                float[] ref = new float[(int) Arrays.stream(g.outputShape()).asLongStream().reduce(1, (x, y) -> x * y)];
                AgainstReference.REFERENCE.plan(g).forward(in, w, b, ref);
                int negatives = 0;
                for (int i = 0; i < ref.length; i++) {
                    negatives += ref[i] < 0 ? 1 : 0;
                    ref[i] = Math.max(ref[i], 0f);
                }
                assertTrue(negatives > ref.length / 10, "the case must have negative outputs for ReLU to clamp");
                PlanLease lease = backend.lease(g, PostOp.RELU);
                ConvPlan fused = lease.plan();
                // GEMM plans fuse it into their stores; depthwise and Winograd plans run it as a pass afterwards
                assertTrue(fused.describe().contains(g.isDepthwise() ? "then RELU as a separate pass" : "ReLU fused"),
                        fused.describe());
                assertTrue(params.strideH() < 65 || fused.describe().startsWith("gathered im2col"), fused.describe());
                // the plain-Java fallback (JVMs without the Vector API) applies it before its stores too
                ConvPlan plain = new PlainJavaPlan(g, WorkerPool.of(cpu.threads()), PostOp.RELU);
                // and the channel-vectorized GEMM, in its store
                ConvPlan channels = ChannelGemmPlan.eligible(g)
                        ? new ChannelGemmPlan(g, WorkerPool.of(cpu.threads()), PostOp.RELU) : plain;
                assertTrue(channels == plain || channels.describe().contains("ReLU fused"), channels.describe());
                // and the stem plan, in its store
                ConvPlan stem = StemPlan.eligible(g)
                        ? new StemPlan(g, WorkerPool.of(cpu.threads()), PostOp.RELU) : plain;
                assertTrue(stem == plain || stem.describe().contains("ReLU fused"), stem.describe());
                for (ConvPlan plan : new ConvPlan[] {fused, plain, channels, stem}) {
                    float[] out = new float[ref.length];
                    Arrays.fill(out, Float.NaN);
                    plan.forward(in, w, b, out);
                    AgainstReference.assertClose(ref, out, Arrays.toString(input) + " " + plan.describe());
                }
                lease.close();
            }
        }
    }

    @Test
    void plansAreCachedPerGeometryAndPostOp() {
        CpuBackend cpu = new CpuBackend(1);
        ConvGeometry g = dev.jconv.ConvValidator.checkForward(new int[] {1, 2, 5, 5}, new int[] {3, 2, 3, 3}, null,
                ConvParams.defaults());
        try (PlanLease relu = cpu.lease(g, PostOp.RELU); PlanLease relu2 = cpu.lease(g, PostOp.RELU);
             PlanLease none = cpu.lease(g, PostOp.NONE); PlanLease plain = cpu.lease(g)) {
            assertSame(relu.plan(), relu2.plan());
            assertSame(plain.plan(), none.plan());
            assertNotSame(plain.plan(), relu.plan());
        }
    }

    /** torch.relu(NaN) is NaN: the fused ReLU must not turn a NaN into 0 (fmaxf-style max would). */
    @Test
    void nanStaysNan() {
        CpuBackend cpu = new CpuBackend(1);
        for (int[] weight : new int[][] {{4, 2, 1, 1}, {2, 1, 3, 3}}) {
            ConvParams p = weight[1] == 1 ? ConvParams.defaults().withGroups(2).withPadding(1) : ConvParams.defaults();
            ConvGeometry g = dev.jconv.ConvValidator.checkForward(new int[] {1, 2, 4, 4}, weight, null, p);
            float[] in = Tensor.uniform(1, -1f, 1f, 1, 2, 4, 4).data();
            in[5] = Float.NaN;
            float[] w = Tensor.uniform(2, 0.5f, 1f, weight).data();
            float[] out = new float[g.outChannels() * 16];
            try (PlanLease lease = cpu.lease(g, PostOp.RELU)) {
                lease.plan().forward(in, w, null, out);
            }
            assertTrue(Float.isNaN(out[5]), "NaN input at a 1x1 or in the window stays NaN: " + out[5]);
            long nan = 0;
            for (float v : out) {
                nan += Float.isNaN(v) ? 1 : 0;
                assertTrue(Float.isNaN(v) || v >= 0f);
            }
            assertTrue(nan > 0);
        }
    }

    @Test
    void reluModuleKeepsNanAndClampsNegatives() {
        Tensor t = Tensor.of(new float[] {-1f, Float.NaN, 2f, -0f}, 4);
        Tensor y = new dev.jconv.nn.ReLU().forward(t);
        assertEquals(0f, y.data()[0]);
        assertTrue(Float.isNaN(y.data()[1]));
        assertEquals(2f, y.data()[2]);
        assertEquals(-1f, t.data()[0], "not in place by default");
    }
}
