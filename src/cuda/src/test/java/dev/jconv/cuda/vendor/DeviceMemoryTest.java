package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.CudaException;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

class DeviceMemoryTest {

    @Test
    void outOfMemoryErrorsNameTheSizesAndStayRecognisable() {
        CudaException e = DeviceMemory.outOfMemory("cudnn forward for input [64, 3, 1024, 1024] (device scratch)",
                3L << 30, "input 768.0 MiB, padded input 2.2 GiB", null);
        assertTrue(DeviceMemory.isOutOfMemory(e));
        assertEquals(CUresult.CUDA_ERROR_OUT_OF_MEMORY, e.result());
        assertTrue(e.getMessage().startsWith("cudnn forward for input [64, 3, 1024, 1024] (device scratch) failed: "
                + "CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
        assertTrue(e.getMessage().contains("needs 3.0 GiB (input 768.0 MiB, padded input 2.2 GiB)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("nothing was kept for this call, the backend stays usable"), e.getMessage());
        assertTrue(DeviceMemory.isOutOfMemory(new RuntimeException("wrapped", e)));
        assertFalse(DeviceMemory.isOutOfMemory(new CudaException("cuLaunchKernel", CUresult.CUDA_ERROR_INVALID_VALUE)));
    }

    @Test
    void bytesAreHumanSized() {
        assertEquals("12 bytes", DeviceMemory.bytes(12));
        assertEquals("1.5 KiB", DeviceMemory.bytes(1536));
        assertEquals("2.0 GiB", DeviceMemory.bytes(2L << 30));
    }
}
