package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The PTX shipped on the class path, and the driver requirement derived from it. */
class PtxResourcesTest {

    @Test
    void ptxResourcesAreOnTheClassPathWithTheExpectedKernels() {
        assertEquals(List.of("conv2d_direct"), PtxModule.entries(PtxModule.readResource(LaunchPlanner.DIRECT_PTX)));
        List<String> gemm = PtxModule.entries(PtxModule.readResource(LaunchPlanner.IMPLICIT_GEMM_PTX));
        assertTrue(gemm.containsAll(List.of("conv2d_igemm_64x64", "conv2d_igemm_128x128")), gemm.toString());
        assertEquals(2, gemm.size(), gemm.toString());
    }

    @Test
    void ptxTargetsTuringWithTheCuda13Isa() {
        for (String resource : PtxBackend.PTX_RESOURCES) {
            String ptx = PtxModule.readResource(resource);
            assertTrue(ptx.contains("\n.target sm_75\n"), resource + " targets sm_75 (JIT to any newer GPU)");
            assertTrue(ptx.contains("\n.address_size 64\n"), resource);
            assertEquals(new PtxIsa(9, 0), PtxIsa.of(ptx), resource);
        }
    }

    @Test
    void missingResourceSaysHowItIsBuilt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PtxModule.readResource("dev/jconv/cuda/nope.ptx"));
        assertTrue(e.getMessage().contains("build-ptx.sh"), e.getMessage());
    }

    @Test
    void isa90NeedsACuda13Driver() {
        PtxIsa isa = new PtxIsa(9, 0);
        assertEquals(13000, isa.requiredCudaVersion());
        assertEquals("r580", isa.minimumLinuxDriver());
        assertNull(isa.unsupportedReason(13000));
        assertNull(isa.unsupportedReason(13010));
        String reason = isa.unsupportedReason(12040);
        assertNotNull(reason);
        assertTrue(reason.contains("CUDA 12.4") && reason.contains("CUDA 13.0") && reason.contains("r580"), reason);
    }

    @Test
    void unknownIsaIsLeftToTheDriver() {
        PtxIsa future = PtxIsa.of("//\n.version 10.3\n.target sm_100\n");
        assertEquals(new PtxIsa(10, 3), future);
        assertNull(future.unsupportedReason(13000));
        assertThrows(IllegalArgumentException.class, () -> PtxIsa.of("not ptx"));
    }
}
