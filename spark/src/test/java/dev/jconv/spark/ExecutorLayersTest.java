package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jconv.ConvParams;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutorLayersTest {
    private final long seed = System.nanoTime();

    @Test
    void aLayerIsPreparedOncePerJvmAndItsPlansAreReusedAndBounded() {
        ConvLayer layer = SparkTests.randomLayer(seed, 2, 3, 3, ConvParams.defaults().withPadding(1), true);
        long broadcastId = -100 - (seed & 0xffff);
        ExecutorLayers.Layer prepared = ExecutorLayers.get(broadcastId, () -> layer);
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
}
