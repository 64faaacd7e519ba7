package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.backend.PlanCache;
import dev.jconv.testkit.ForkedJvm;
import dev.jconv.testkit.OutputComparison;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The public plan: made once from shapes and options, says what it does, runs into the caller's output. */
class ConvolutionPlanTest {
    private static final int[] INPUT = {2, 8, 13, 11};
    private static final int[] WEIGHT = {12, 4, 3, 3};
    private static final ConvParams PARAMS = ConvParams.defaults().withPadding(1).withStride(2, 1).withGroups(2);

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cpu-reference"})
    void forwardWritesEveryOutputElementAndMatchesTheReference(String backend) {
        Options options = Options.defaults().withBackend(backend).withThreads(2);
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, true, PARAMS, options)) {
            assertEquals(backend, plan.backend());
            assertEquals("requested by name", plan.selectionReason());
            assertArrayEquals(new int[] {2, 12, 7, 11}, plan.outputShape());
            assertFalse(plan.describe().isEmpty());
            for (int round = 0; round < 3; round++) { // fresh inputs each time, one plan
                Tensor x = Tensor.randn(100 + round, INPUT);
                Tensor w = Tensor.randn(200 + round, WEIGHT);
                Tensor b = Tensor.randn(300 + round, 12);
                Tensor y = Tensor.of(OutputComparison.poisoned(2 * 12 * 7 * 11), plan.outputShape());
                plan.forward(x, w, b, y);
                OutputComparison.assertClose(backend + " round " + round, reference(x, w, b, PARAMS), y);
            }
        }
    }

    @Test
    void describesWhatItWillDo() {
        Options options = Options.defaults().withBackend("cpu").withThreads(2);
        try (ConvolutionPlan plan = ConvolutionPlan.create(new int[] {1, 64, 56, 56}, new int[] {64, 64, 3, 3}, false,
                ConvParams.defaults().withPadding(1), options)) {
            assertTrue(plan.describe().startsWith("Winograd F(4x4,3x3) on the input padded (zeros)"), plan.describe());
            assertTrue(plan.describe().endsWith(", 2 threads"), plan.describe());
            assertTrue(plan.toString().startsWith("ConvolutionPlan(input [1, 64, 56, 56] * weight [64, 64, 3, 3] -> "
                    + "[1, 64, 56, 56] on cpu: Winograd F(4x4,3x3)"), plan.toString());
        }
        try (ConvolutionPlan one = ConvolutionPlan.create(new int[] {1, 64, 56, 56}, new int[] {64, 64, 3, 3}, false,
                ConvParams.defaults().withPadding(1), options.withThreads(1))) {
            assertTrue(one.describe().endsWith(", 1 thread"), "options choose the thread count: " + one.describe());
        }
    }

    @Test
    void unbatchedInputGivesUnbatchedOutput() {
        Tensor x = Tensor.randn(1, 8, 13, 11);
        Tensor w = Tensor.randn(2, WEIGHT);
        try (ConvolutionPlan plan = ConvolutionPlan.create(x.shape(), w.shape(), false, PARAMS,
                Options.defaults().withBackend("cpu"))) {
            Tensor y = plan.forward(x, w, null);
            assertArrayEquals(new int[] {12, 7, 11}, y.shape());
            OutputComparison.assertClose("unbatched", reference(x.reshape(1, 8, 13, 11), w, null, PARAMS)
                    .reshape(12, 7, 11), y);
        }
    }

    @Test
    void operandsMustHaveThePlannedShapes() {
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, true, PARAMS, Options.defaults())) {
            Tensor x = Tensor.randn(1, INPUT);
            Tensor w = Tensor.randn(2, WEIGHT);
            Tensor b = Tensor.randn(3, 12);
            Tensor y = Tensor.zeros(plan.outputShape());
            assertEquals("expected input of size [2, 8, 13, 11], but got input of size [1, 8, 13, 11]",
                    assertThrows(IllegalArgumentException.class,
                            () -> plan.forward(Tensor.zeros(1, 8, 13, 11), w, b, y)).getMessage());
            assertEquals("expected output of size [2, 12, 7, 11], but got output of size [2, 12, 7, 10]",
                    assertThrows(IllegalArgumentException.class,
                            () -> plan.forward(x, w, b, Tensor.zeros(2, 12, 7, 10))).getMessage());
            assertEquals("this plan was made with a bias of size [12], but none was given",
                    assertThrows(IllegalArgumentException.class, () -> plan.forward(x, w, null, y)).getMessage());
        }
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, false, PARAMS, Options.defaults())) {
            assertEquals("this plan was made without bias, but got a bias of size [12]",
                    assertThrows(IllegalArgumentException.class, () -> plan.forward(Tensor.zeros(INPUT),
                            Tensor.zeros(WEIGHT), Tensor.zeros(12), Tensor.zeros(plan.outputShape()))).getMessage());
        }
    }

    @Test
    void creationChecksAsPyTorchDoes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvolutionPlan.create(
                new int[] {1, 3, 8, 8}, new int[] {4, 2, 3, 3}, false, ConvParams.defaults(), Options.defaults()));
        assertTrue(e.getMessage().startsWith("Given groups=1, weight of size [4, 2, 3, 3], expected input[1, 3, 8, 8] "
                + "to have 2 channels, but got 3 channels instead"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvolutionPlan.create(new int[] {1, 2, 8, 8},
                new int[] {4, 2, 3, 3}, false, ConvParams.defaults(), Options.defaults().withBackend("no-such")));
    }

    @Test
    void aClosedPlanRefusesWorkAndClosingTwiceIsHarmless() {
        ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, false, PARAMS, Options.defaults());
        plan.close();
        plan.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> plan.forward(Tensor.zeros(INPUT),
                Tensor.zeros(WEIGHT), null, Tensor.zeros(plan.outputShape())));
        assertTrue(e.getMessage().endsWith(" is closed"), e.getMessage());
    }

    @Test
    void anOpenPlanKeepsItsBackendPlanEvenWhenTheCacheDropsIt() {
        long saved = PlanCache.budgetBytes();
        Options options = Options.defaults().withBackend("cpu").withThreads(2);
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, false, PARAMS, options)) {
            PlanCache.setBudgetBytes(0); // drops every cached plan; this one is leased
            Tensor x = Tensor.randn(4, INPUT);
            Tensor w = Tensor.randn(5, WEIGHT);
            OutputComparison.assertClose("after the cache dropped it", reference(x, w, null, PARAMS),
                    plan.forward(x, w, null));
        } finally {
            PlanCache.setBudgetBytes(saved);
        }
    }

    @Test
    void viewsAreStagedAndGiveTheSameResult() {
        Tensor x = Tensor.randn(6, INPUT);
        Tensor w = Tensor.randn(7, WEIGHT);
        Tensor b = Tensor.randn(8, 12);
        Tensor expected = reference(x, w, b, PARAMS);
        float[] arena = new float[3 + (int) x.numel()];
        Tensor xView = Tensor.wrap(arena, 3, INPUT);
        xView.copyFrom(x.data(), 0);
        FloatBuffer directOut = ByteBuffer.allocateDirect(4 * (int) expected.numel()).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        Tensor yView = Tensor.wrap(directOut, expected.shape());
        FloatBuffer heapWeight = FloatBuffer.wrap(new float[1 + (int) w.numel()]);
        heapWeight.position(1);
        Tensor wView = Tensor.wrap(heapWeight, WEIGHT);
        wView.copyFrom(w.data(), 0);
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, true, PARAMS,
                Options.defaults().withBackend("cpu"))) {
            for (int round = 0; round < 2; round++) {
                plan.forward(xView, wView, b, yView);
                OutputComparison.assertClose("views, round " + round, expected, yView.copy());
            }
            assertTrue(plan.retainedBytes() >= 4 * (x.numel() + w.numel() + expected.numel()),
                    "the staging arrays are kept for the next call: " + plan.retainedBytes());
        }
    }

    @Test
    void hostBackendsDoNotRunOnDeviceMemory() {
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, false, PARAMS,
                Options.defaults().withBackend("cpu-reference"))) {
            assertFalse(plan.runsOnDevice());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> plan.forward(
                    DeviceTensorRef.of(0x1000, 0, INPUT), DeviceTensorRef.of(0x2000, 0, WEIGHT), null,
                    DeviceTensorRef.of(0x3000, 0, 2, 12, 7, 11), new StreamRef(0, 0)));
            assertTrue(e.getMessage().startsWith("backend cpu-reference runs on host memory only"), e.getMessage());
        }
    }

    /** Warm forward calls allocate nothing like an output or a scratch buffer (a few small objects at most). */
    @ParameterizedTest
    @CsvSource({"cpu, 100", "cpu-reference, 3"}) // cpu: until the JIT has compiled its vector kernels
    void aWarmForwardAllocatesNoBuffers(String backend, String rounds) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(WarmAllocationMain.class, List.of(), 300, backend, rounds);
        assertEquals(0, r.exitCode(), r.err());
        String[] numbers = r.out().strip().split(" ");
        long perCall = Long.parseLong(numbers[0]);
        long outputBytes = Long.parseLong(numbers[1]);
        assertTrue(perCall < outputBytes / 20, backend + " allocated " + perCall + " bytes per warm call; the output is "
                + outputBytes + " bytes");
    }

    private static Tensor reference(Tensor x, Tensor w, Tensor b, ConvParams p) {
        return Functional.conv2d(x, w, b, p, "cpu-reference");
    }

    @Test
    void functionalAndTheModuleGoThroughTheSamePlans() {
        Tensor x = Tensor.randn(11, INPUT);
        Tensor w = Tensor.randn(12, WEIGHT);
        Tensor viaFunctional = Functional.conv2d(x, w, null, PARAMS, Options.defaults().withBackend("cpu"));
        try (ConvolutionPlan plan = ConvolutionPlan.create(INPUT, WEIGHT, false, PARAMS,
                Options.defaults().withBackend("cpu"))) {
            assertArrayEquals(viaFunctional.data(), plan.forward(x, w, null).data(), "same plan, same bits");
        }
        Conv2d conv = Conv2d.builder(8, 12, 3).padding(1).stride(2, 1).groups(2).bias(false)
                .options(Options.defaults().withThreads(1)).backend("cpu").build();
        assertEquals("cpu", conv.backend());
        assertEquals(1, conv.options().threads());
        conv.setWeight(w);
        assertTrue(Arrays.equals(viaFunctional.data(), conv.forward(x).data()));
    }
}
