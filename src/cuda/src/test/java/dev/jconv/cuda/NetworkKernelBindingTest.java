package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** relu and max_pool2d (networks on the device): arguments against the .cu signatures and the committed PTX, launch sizes. */
class NetworkKernelBindingTest {

    @Test
    void reluArgumentsMatchItsSourceAndPtx() throws IOException {
        ReluKernel k = ReluKernel.forShape(3, 5, 7, 11);
        KernelArgs args = k.arguments(0, 0);
        assertEquals(VendorKernelBindingTest.signature("relu.cu", "relu"), args.names());
        assertEquals(VendorKernelBindingTest.ptxTypes(ReluKernel.PTX, ReluKernel.NAME), args.kinds().stream().map(KernelArgs.Kind::ptxType).toList());
        assertEquals(3, args.intValue("planes"));
        assertEquals(5 * 7 * 11, args.intValue("plane_size"));
        assertEquals(LaunchConfig.of1d((int) LaunchPlanner.ceilDiv(3L * 5 * 7 * 11, 256), 256, 0), k.config());
        assertEquals(1L << 32, ReluKernel.forShape(1 << 16, 1 << 16).elements());  // more than an int counts
    }

    @Test
    void maxPool2dArgumentsMatchItsSourceAndPtx() throws IOException {
        MaxPool2dKernel k = new MaxPool2dKernel(6, 9, 10, 5, 4, 3, 2, 2, 3, 1, 0, 1, 2);
        KernelArgs args = k.arguments(0, 0);
        assertEquals(VendorKernelBindingTest.signature("max_pool2d.cu", "max_pool2d"), args.names());
        assertEquals(VendorKernelBindingTest.ptxTypes(MaxPool2dKernel.PTX, MaxPool2dKernel.NAME),
                args.kinds().stream().map(KernelArgs.Kind::ptxType).toList());
        assertEquals(3, args.intValue("kernel_h"));
        assertEquals(3, args.intValue("stride_w"));
        assertEquals(2, args.intValue("dilation_w"));
        assertEquals(LaunchConfig.of1d((int) LaunchPlanner.ceilDiv(6L * 5 * 4, 256), 256, 0), k.config());
        assertThrows(IllegalArgumentException.class, () -> new MaxPool2dKernel(1, 4, 4, 2, 2, 2, 2, 0, 2, 0, 0, 1, 1));
    }

    @Test
    void theKernelsBlockSizesMatchTheirSources() throws IOException {
        assertTrue(Files.readString(Path.of("native-kernels/relu.cu")).contains("#define RELU_BLOCK " + ReluKernel.BLOCK + "\n"));
        assertTrue(Files.readString(Path.of("native-kernels/max_pool2d.cu"))
                .contains("#define MAX_POOL2D_BLOCK " + MaxPool2dKernel.BLOCK + "\n"));
    }

    @Test
    void ptxIsShippedForTuringWithTheCuda13Isa() {
        for (String resource : List.of(ReluKernel.PTX, MaxPool2dKernel.PTX)) {
            String ptx = PtxModule.readResource(resource);
            assertTrue(ptx.contains("\n.target sm_75\n"), resource);
            assertEquals(new PtxIsa(9, 0), PtxIsa.of(ptx), resource);
        }
        assertEquals(List.of("relu"), PtxModule.entries(PtxModule.readResource(ReluKernel.PTX)));
        assertEquals(List.of("max_pool2d"), PtxModule.entries(PtxModule.readResource(MaxPool2dKernel.PTX)));
    }
}
