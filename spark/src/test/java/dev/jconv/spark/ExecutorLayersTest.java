package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jconv.ConvParams;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.io.Npy;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutorLayersTest {
    private final long seed = System.nanoTime();

    @Test
    void aLayerIsPreparedOncePerJvmAndItsPlansAreReusedAndBounded() {
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults().withPadding(1), true);
        long broadcastId = -100 - (seed & 0xffff);
        ExecutorLayers.Layer prepared = (ExecutorLayers.Layer) ExecutorLayers.get(broadcastId, () -> layer);
        assertEquals(prepared, ExecutorLayers.get(broadcastId, () -> {
            throw new AssertionError("prepared twice");
        }));
        DeviceChoice cpu = DeviceChoice.forResources(Map.of(), Backends.AUTO);
        int shapes = ExecutorLayers.MAX_PLANS_PER_LAYER + 6;
        for (int i = 0; i < shapes; i++) {
            Tensor x = Tensor.uniform(seed + i, -1, 1, 1, 3, 3 + i % 9, 3 + i / 9);
            Tensor y = prepared.forward(x, cpu);
            SparkTests.assertMatches(SparkTests.reference(x, layer), y.shape(), y.data(), "shape " + i + " (seed " + seed + ")");
        }
        assertEquals(ExecutorLayers.MAX_PLANS_PER_LAYER, prepared.planCount());
        Tensor again = Tensor.uniform(seed, -1, 1, 1, 3, 3 + (shapes - 1) % 9, 3 + (shapes - 1) / 9);
        Tensor y = prepared.forward(again, cpu);
        SparkTests.assertMatches(SparkTests.reference(again, layer), y.shape(), y.data(), "a cached shape again");
        assertEquals(ExecutorLayers.MAX_PLANS_PER_LAYER, prepared.planCount());
    }

    @Test
    void aNetworkIsBuiltOncePerJvmAndBackendAndBounded() throws Exception {
        Path fixture = Path.of("src", "engine", "src", "test", "resources", "networks", "conv_bn_relu_pool");
        ConvNetwork network = ConvNetwork.read(fixture.resolve("spec.txt"), fixture.resolve("weights.npz"));
        long broadcastId = -200 - (seed & 0xffff);
        ExecutorLayers.Network prepared = (ExecutorLayers.Network) ExecutorLayers.get(broadcastId, () -> network);
        assertEquals(prepared, ExecutorLayers.get(broadcastId, () -> {
            throw new AssertionError("prepared twice");
        }));
        Tensor x = Npy.read(fixture.resolve("input.npy"));
        Tensor torch = Npy.read(fixture.resolve("output.npy"));
        for (String backend : new String[] {CpuBackend.NAME, ReferenceBackend.NAME, CpuBackend.NAME}) {
            Tensor y = prepared.forward(x, DeviceChoice.forResources(Map.of(), backend));
            SparkTests.assertMatches(torch, y.shape(), y.data(), "PyTorch's output on " + backend);
        }
        assertEquals(2, prepared.backendCount());
    }
}
