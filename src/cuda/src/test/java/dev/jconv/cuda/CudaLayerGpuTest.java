package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream_flags;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA layer itself: memory, transfers, streams, modules, errors, closing. */
@Tag(GpuTestSupport.GPU_TAG)
class CudaLayerGpuTest {
    private static CudaDevice device;

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        device = GpuTestSupport.requireCudaDevice();
    }

    @Test
    void deviceDescribesItself() {
        assertTrue(device.computeCapability() >= 75, device.describe());
        assertTrue(device.multiprocessorCount() > 0 && device.totalMemory() > 0, device.describe());
        String prefix = (device.isEmulated() ? "EMULATED " : "") + "device " + device.ordinal() + ": ";
        assertTrue(device.describe().startsWith(prefix), device.describe());
        assertTrue(Cuda.driverVersion() >= 13000, "driver CUDA " + Cuda.versionString(Cuda.driverVersion()));
    }

    @Test
    void tensorsRoundTripThroughDeviceMemory() {
        Tensor t = Tensor.randn(5, 3, 7, 11);
        try (DeviceTensor d = DeviceTensor.upload(device, t)) {
            assertEquals(t, d.download());
            d.fill(Float.NaN);
            for (float v : d.download().data()) {
                assertTrue(Float.isNaN(v));
            }
        }
    }

    @Test
    void buffersCopyAtOffsetsAndRejectRangesOutside() {
        try (DeviceBuffer b = device.allocate(64)) {
            b.copyFrom(new float[] {1, 2, 3, 4, 5}, 1, 8, 3);  // floats 2,3,4 at bytes 8..20
            float[] back = new float[3];
            b.copyTo(8, back, 0, 3);
            assertArrayEquals(new float[] {2, 3, 4}, back);
            assertThrows(IndexOutOfBoundsException.class, () -> b.copyFrom(new float[20], 0, 0, 20));
            assertThrows(IndexOutOfBoundsException.class, () -> b.copyTo(60, new float[2], 0, 2));
        }
    }

    @Test
    void pinnedStagingMovesDataAsynchronously() {
        try (CudaStream s = device.createStream(); DeviceBuffer d = device.allocate(16)) {
            PinnedHostBuffer staging = s.staging(16);
            staging.put(0, new float[] {1.5f, -2f, 3f, 0.25f});
            d.copyFromAsync(staging, 0, 0, 16, s);
            d.copyToAsync(0, staging, 0, 16, s);
            s.synchronize();
            float[] back = new float[4];
            staging.get(0, back);
            assertArrayEquals(new float[] {1.5f, -2f, 3f, 0.25f}, back);
        }
    }

    @Test
    void closingTwiceIsHarmlessAndUseAfterCloseSaysWhatWasClosed() {
        DeviceTensor t = DeviceTensor.allocate(device, 2, 3);
        t.close();
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::download);
        assertEquals("DeviceTensor([2, 3] on device " + device.ordinal() + ") is closed and cannot be used any more",
                e.getMessage());
        CudaStream s = device.createStream();
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, s::synchronize);
    }

    @Test
    void outOfMemoryNamesTheSizesAndLeavesTheDeviceUsable() {
        long tooMuch = device.totalMemory() * 2;
        CudaException e = assertThrows(CudaException.class, () -> device.allocate(tooMuch));
        assertEquals(CUresult.CUDA_ERROR_OUT_OF_MEMORY, e.result());
        assertTrue(e.getMessage().startsWith("cuMemAlloc(") && e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY")
                && e.getMessage().contains(" free of "), e.getMessage());
        try (DeviceBuffer small = device.allocate(1024)) {
            small.fill(1f);
        }
    }

    @Test
    void unknownKernelNameIsAnErrorNamingIt() {
        try (PtxModule m = device.loadModule(LaunchPlanner.DIRECT_PTX)) {
            assertEquals("conv2d_direct", m.kernel("conv2d_direct").name());
            assertTrue(m.kernel("conv2d_direct").registersPerThread() > 0);
            CudaException e = assertThrows(CudaException.class, () -> m.kernel("conv2d_nope"));
            assertTrue(e.getMessage().contains("conv2d_nope"), e.getMessage());
        }
    }

    @Test
    void streamPoolLendsAndTakesBack() {
        StreamPool pool = device.streams();
        int leasedBefore = pool.leasedCount();
        try (StreamPool.Lease a = pool.lease(); StreamPool.Lease b = pool.lease()) {
            assertTrue(a.stream() != b.stream());
            assertEquals(leasedBefore + 2, pool.leasedCount());
        }
        assertEquals(leasedBefore, pool.leasedCount());
    }

    @Test
    void eventsTimeWorkOnAStream() {
        try (CudaStream s = device.createStream(); CudaEvent start = new CudaEvent(device);
             CudaEvent end = new CudaEvent(device); DeviceBuffer b = device.allocate(1 << 20)) {
            start.record(s);
            b.fillAsync(2f, s);
            end.record(s);
            end.synchronize();
            assertTrue(end.millisSince(start) >= 0);
        }
    }

    /** The emulated driver never passes for a GPU: the driver's and cuda-ptx's availability lines say EMULATED. */
    @Test
    void theEmulatedDriverIsNamedAsAnEmulation() {
        Assumptions.assumeTrue(device.isEmulated(), "a real GPU: " + device.describe());
        assertTrue(Cuda.isEmulated());
        assertTrue(Cuda.availability().reason().startsWith("EMULATED CUDA driver"), Cuda.availability().reason());
        String ptx = new PtxBackend().availability().reason();
        assertTrue(ptx.startsWith("EMULATED device 0: jconv emulated driver (CPU) - not a GPU"), ptx);
    }

    @Test
    void streamsAreNonBlockingSoTheyNeverSerialiseOnTheLegacyStream() {
        try (CudaStream s = device.createStream()) {
            assertEquals(CUstream_flags.CU_STREAM_NON_BLOCKING, s.flags());
        }
    }

    @Test
    void copiesLargerThanOneStagingPieceArriveWhole() {
        int n = DeviceBuffer.STAGING_PIECE_BYTES / 4 + 1000;  // two pieces each way
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = i * 0.5f + 1;
        }
        float[] back = new float[n];
        try (DeviceBuffer b = device.allocate(4L * n)) {
            b.copyFrom(data, 0, 0, n);
            b.copyTo(0, back, 0, n);
        }
        assertArrayEquals(data, back);
    }
}
