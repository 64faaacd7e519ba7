package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Conv2d;
import dev.jconv.DeviceTensorRef;
import dev.jconv.Tensor;
import dev.jconv.backend.DeviceWorkspace;
import dev.jconv.nn.BatchNorm2d;
import dev.jconv.nn.MaxPool2d;
import dev.jconv.nn.ModelSpec;
import dev.jconv.nn.ReLU;
import dev.jconv.nn.Sequential;
import dev.jconv.testkit.NetworkFixtures;
import dev.jconv.testkit.OutputComparison;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole networks on {@code cuda-ptx} stay on the device: one upload of the input, one download of the output,
 * every layer between on device memory (convolutions through the plans' device path, standalone BatchNorm as a
 * depthwise 1x1 convolution, ReLU and MaxPool2d through relu.cu and max_pool2d.cu). Each result equals the same
 * network on {@code cpu-reference} for fresh random inputs within 1e-4 * max(1, max|ref|).
 */
@Tag(GpuTestSupport.GPU_TAG)
class NetworkOnDeviceGpuTest {
    private static final SplittableRandom SEEDS = new SplittableRandom();

    @BeforeEach
    void requireGpu() {
        GpuTestSupport.requireCudaDevice();
        GpuTestSupport.requireBackend(new PtxBackend());
    }

    @Test
    void simpleCnnRunsOnTheDeviceAndEqualsTheReference() throws IOException {
        Sequential model = ModelSpec.read(NetworkFixtures.path("simple_cnn/spec.txt"));
        model.loadStateDict(NetworkFixtures.path("simple_cnn/weights.safetensors"));
        checkOnDevice("SimpleCNN", model, 2, 3, 28, 28);
    }

    /** Fused (BatchNorm folded, ReLU in the epilogue) and unfused (BatchNorm, ReLU and pool as their own kernels). */
    @ParameterizedTest(name = "fusion {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void convBatchNormReluPoolBlockEqualsTheReference(boolean fusion) {
        BatchNorm2d bn = new BatchNorm2d(8);
        randomize(bn.parameters().values().stream().toList(), -1f, 1f);
        randomize(List.of(bn.buffers().get("running_mean")), -0.5f, 0.5f);
        randomize(List.of(bn.buffers().get("running_var")), 0.2f, 2f);
        Sequential block = new Sequential("ConvBlock")
                .add("conv", Conv2d.builder(3, 8, 3).padding(1).build())
                .add("bn", bn)
                .add("relu", new ReLU())
                .add("pool", MaxPool2d.builder(3).stride(2).padding(1).ceilMode(true).build())
                .fusion(fusion);
        List<String> plan = checkOnDevice("block", block, 2, 3, 11, 13);
        if (!fusion) {
            assertTrue(plan.stream().anyMatch(s -> s.startsWith("bn ->") && s.contains("depthwise 1x1")), plan.toString());
            assertTrue(plan.stream().anyMatch(s -> s.startsWith("relu ->") && s.contains("relu kernel")), plan.toString());
        }
    }

    @Test
    void aForwardCopiesTheInputUpOnceAndTheOutputDownOnce() throws IOException {
        Sequential model = ModelSpec.read(NetworkFixtures.path("simple_cnn/spec.txt"));
        model.setBackend(PtxBackend.NAME);
        Tensor x = Tensor.uniform(SEEDS.nextLong(), -1f, 1f, 4, 3, 28, 28);
        model.forward(x);  // the first forward also uploads the weights and tap tables once
        for (int run = 0; run < 3; run++) {
            long up = DeviceBuffer.hostToDeviceCopies();
            long down = DeviceBuffer.deviceToHostCopies();
            model.forward(Tensor.uniform(SEEDS.nextLong(), -1f, 1f, 4, 3, 28, 28));
            assertEquals(1, DeviceBuffer.hostToDeviceCopies() - up, "host-to-device copies in one forward");
            assertEquals(1, DeviceBuffer.deviceToHostCopies() - down, "device-to-host copies in one forward");
        }
        model.releaseDevice();
    }

    @Test
    void aLayerWithoutADeviceKernelFailsByNameInsteadOfCopying() {
        Sequential model = new Sequential()
                .add("conv", Conv2d.builder(3, 4, 3).build())
                .add("relu", new ReLU())
                .add("bn", new BatchNorm2d(4, 1e-5, 0.1, true, false));  // batch statistics: no device kernel
        model.setBackend(PtxBackend.NAME);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> model.forward(Tensor.uniform(SEEDS.nextLong(), -1f, 1f, 1, 3, 8, 8)));
        assertTrue(e.getMessage().startsWith("bn: BatchNorm2d(4, eps=1e-05"), e.getMessage());
    }

    @Test
    void newShapesAndReleaseGiveTheDeviceMemoryBack() throws IOException {
        CudaDevice device = GpuTestSupport.requireCudaDevice();
        Sequential model = ModelSpec.read(NetworkFixtures.path("simple_cnn/spec.txt"));
        model.setBackend(PtxBackend.NAME);
        forwardEachBatch(model);  // the backend's cached conv plans (tap tables) for each shape, kept on purpose
        model.releaseDevice();
        device.streams().trim();
        long before = device.memoryInfo().used();
        forwardEachBatch(model);  // each new shape replaces the device plan of the last
        forwardEachBatch(model);
        model.releaseDevice();
        device.streams().trim();
        assertEquals(before, device.memoryInfo().used(), "device memory in use after releaseDevice");
    }

    private static void forwardEachBatch(Sequential model) {
        for (int batch = 1; batch <= 3; batch++) {
            model.forward(Tensor.uniform(SEEDS.nextLong(), -1f, 1f, batch, 3, 28, 28));
        }
    }

    static Stream<Arguments> pools() {
        return Stream.of(
                Arguments.of(MaxPool2d.builder(2).build(), new int[] {2, 3, 8, 8}),
                Arguments.of(MaxPool2d.builder(3).stride(2).build(), new int[] {1, 4, 9, 10}),
                Arguments.of(MaxPool2d.builder(3).stride(2).ceilMode(true).build(), new int[] {1, 4, 10, 10}),
                Arguments.of(MaxPool2d.builder(3).stride(1).padding(1).build(), new int[] {2, 2, 7, 5}),
                Arguments.of(MaxPool2d.builder(2, 3).stride(2, 1).padding(1, 1).dilation(2, 1).build(),
                        new int[] {1, 3, 9, 8}),
                Arguments.of(MaxPool2d.builder(3).stride(3).padding(1).dilation(2).ceilMode(true).build(),
                        new int[] {1, 2, 12, 11}),
                Arguments.of(MaxPool2d.builder(2).build(), new int[] {3, 7, 7}));
    }

    /** The max_pool2d kernel against MaxPool2d on the host, with NaN planted and all-negative windows. */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("pools")
    void maxPoolKernelEqualsTheHostModule(MaxPool2d pool, int[] shape) {
        Tensor x = Tensor.uniform(SEEDS.nextLong(), -3f, -0.5f, shape);  // all negative: padding must not read as 0
        x.data()[x.data().length / 3] = Float.NaN;
        Tensor expected = pool.forward(x);
        Sequential net = new Sequential().add("pool", pool).add("conv", Conv2d.builder(shape[shape.length - 3],
                shape[shape.length - 3], 1).groups(shape[shape.length - 3]).bias(false).build());
        Tensor w = net.parameters().get("conv.weight");
        java.util.Arrays.fill(w.data(), 1f);  // identity depthwise 1x1: the network is the pool
        net.setBackend(PtxBackend.NAME);
        Tensor actual = net.forward(x);
        assertTrue(net.explain(shape).get(0).startsWith("on device: 1 upload, 1 download"));
        assertBitEqual(pool.toString(), expected, actual);
        net.releaseDevice();
    }

    /** The relu kernel against ReLU on the host (PyTorch's), bit for bit: NaN propagates, -0.0 stays -0.0. */
    @Test
    void reluKernelEqualsTheHostModule() {
        Tensor x = Tensor.uniform(SEEDS.nextLong(), -1f, 1f, 2, 3, 5, 7);
        x.data()[4] = Float.NaN;
        x.data()[9] = -0.0f;
        x.data()[11] = Float.NEGATIVE_INFINITY;
        Tensor expected = new ReLU().forward(x);
        Tensor actual = Tensor.zeros(x.shape());
        try (PtxBackend backend = new PtxBackend(); DeviceWorkspace workspace = backend.openDeviceWorkspace()) {
            DeviceTensorRef in = workspace.allocate(x.shape());
            DeviceTensorRef out = workspace.allocate(x.shape());
            workspace.upload(x, in);
            workspace.relu(in, out);
            workspace.download(out, actual);
            assertBitEqual("relu", expected, actual);
            workspace.relu(in, in);  // in place
            workspace.download(in, actual);
            assertBitEqual("relu in place", expected, actual);
        }
    }

    private static void assertBitEqual(String what, Tensor expected, Tensor actual) {
        float[] e = expected.data();
        float[] a = actual.data();
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(a[i]),
                    what + " output " + OutputComparison.where(i, expected.shape()) + ": " + e[i] + " vs " + a[i]);
        }
    }

    /** Runs {@code model} on cpu-reference and on cuda-ptx (on the device) and compares; returns the device plan. */
    private static List<String> checkOnDevice(String what, Sequential model, int... shape) {
        Tensor x = Tensor.uniform(SEEDS.nextLong(), -1f, 1f, shape);
        model.setBackend("cpu-reference");
        Tensor reference = model.forward(x);
        model.setBackend(PtxBackend.NAME);
        List<String> plan = model.explain(shape);
        assertTrue(plan.get(0).startsWith("on device: 1 upload, 1 download"), plan.toString());
        OutputComparison.assertClose(what + " on cuda-ptx (on the device)", reference, model.forward(x));
        model.releaseDevice();
        return plan;
    }

    private static void randomize(List<Tensor> tensors, float low, float high) {
        for (Tensor t : tensors) {
            float[] r = Tensor.uniform(SEEDS.nextLong(), low, high, t.shape()).data();
            System.arraycopy(r, 0, t.data(), 0, r.length);
        }
    }
}
