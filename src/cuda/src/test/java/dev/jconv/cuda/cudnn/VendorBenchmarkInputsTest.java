package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.cuda.GpuBenchmarkKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the GPU kit's vendor benchmark reads: the layer list (every layer fits cuDNN) and the peers' CSVs. */
class VendorBenchmarkInputsTest {
    @TempDir
    Path dir;

    @Test
    void everyBenchmarkLayerIsACudnnProblemWithoutPadPass() throws IOException {
        List<GpuBenchmarkKit.Layer> layers = GpuBenchmarkKit.readLayers(Path.of("benchmarks/gpu-kit/layers.csv"));
        assertTrue(layers.size() >= 30, layers.toString());
        for (GpuBenchmarkKit.Layer l : layers) {
            var g = ConvValidator.checkForward(new int[] {32, l.in(), l.h(), l.w()},
                    new int[] {l.out(), l.in() / l.groups(), l.kernel(), l.kernel()}, null,
                    ConvParams.defaults().withStride(l.stride()).withPadding(l.padding()).withGroups(l.groups()));
            assertEquals(null, CudnnConvShape.of(g).unsupportedReason(), l.name());
            assertEquals(false, CudnnConvShape.needsPadPass(g), l.name() + ": PyTorch's zero symmetric padding");
        }
    }

    @Test
    void peerAndCudaPtxTimesAreReadByLayerAndBatch() throws IOException {
        Path torch = dir.resolve("torch.csv");
        Files.writeString(torch, "suite,name,batch,torch_ms_median,torch_tflops\nresnet50,conv1,1,0.12345,1.0\n"
                + "resnet50,conv1,32,1.50000,3.0\n");
        Path ptx = dir.resolve("ptx.csv");
        Files.writeString(ptx, "suite,name,batch,kernel,ptx_ms_median,ptx_tflops,torch_ms_median,check\n"
                + "mobilenetv2,features.1.dw32,1,conv2d_direct,0.01000,0.5,,ok (err 1e-7; tol 1e-4)\n");
        assertEquals(Map.of("conv1@1", 0.12345, "conv1@32", 1.5), VendorBenchmark.readTimes(torch.toString(), 3));
        assertEquals(Map.of("features.1.dw32@1", 0.01), VendorBenchmark.readTimes(ptx.toString(), 4));
        assertEquals(Map.of(), VendorBenchmark.readTimes(dir.resolve("missing.csv").toString(), 3));
        assertEquals(Map.of(), VendorBenchmark.readTimes(null, 3));
    }
}
