package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark layer list is well-formed: every layer is a valid convolution and cuda-ptx supports it. */
class PtxBenchmarkLayersTest {

    @Test
    void everyBenchmarkLayerIsValidAndSupportedAtBatch32() throws IOException {
        List<GpuBenchmarkKit.Layer> layers = GpuBenchmarkKit.readLayers(Path.of("benchmarks/gpu-kit/layers.csv"));
        assertEquals(23, layers.stream().filter(l -> l.suite().equals("resnet50")).count());
        assertTrue(layers.stream().anyMatch(l -> l.suite().equals("mobilenetv2")));
        for (GpuBenchmarkKit.Layer l : layers) {
            var g = ConvValidator.checkForward(new int[] {32, l.in(), l.h(), l.w()},
                    new int[] {l.out(), l.in() / l.groups(), l.kernel(), l.kernel()}, null,
                    ConvParams.defaults().withStride(l.stride()).withPadding(l.padding()).withGroups(l.groups()));
            assertEquals(null, LaunchPlanner.unsupportedReason(g), l.name());
            if (l.suite().equals("mobilenetv2")) {
                assertEquals("conv2d_direct", LaunchPlanner.plan(g, 132).kernelName(), l.name());
            }
        }
    }
}
