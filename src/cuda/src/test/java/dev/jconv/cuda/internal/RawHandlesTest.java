package dev.jconv.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

/**
 * Raw device addresses and stream handles round-trip through JCuda's objects, so memory and streams of other
 * libraries reach the driver unchanged. Needs no GPU: JCuda's handle classes are plain Java.
 */
class RawHandlesTest {

    @Test
    void aDeviceAddressSurvivesTheTripThroughAJCudaPointer() {
        long address = 0x7f12_3456_7800L;
        assertEquals(address, RawHandles.address(RawHandles.pointer(address)));
        assertEquals(address + 256, RawHandles.address(RawHandles.pointer(address).withByteOffset(256)),
                "offsets jconv adds to a wrapped pointer are kept");
    }

    @Test
    void aStreamHandleSurvivesTheTripThroughAJCudaStream() {
        long handle = 0x5555_aaaa_0000L;
        assertEquals(handle, RawHandles.handle(RawHandles.stream(handle)));
        assertEquals(0, RawHandles.handle(RawHandles.stream(0)), "0 is the legacy default stream");
    }

    @Test
    void theRuntimeStreamCuDnnAndCuBlasTakeIsTheSameHandle() {
        long handle = 0x5555_aaaa_0000L;
        assertEquals(handle, RawHandles.handle(new CUstream(RawHandles.runtimeStream(handle))));
    }

    @Test
    void addressZeroIsTheNullPointer() {
        assertEquals(0, RawHandles.address(RawHandles.pointer(0)), "0 passes no bias, no workspace");
    }
}
