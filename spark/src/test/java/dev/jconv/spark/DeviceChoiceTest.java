package dev.jconv.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvParams;
import dev.jconv.Options;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.cpu.ReferenceBackend;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {
    private static Map<String, ResourceInformation> gpus(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @Test
    void aTaskWithAGpuRunsAutoOnThatDevice() {
        DeviceChoice choice = DeviceChoice.forResources(gpus("1"), Backends.AUTO);
        assertEquals(Backends.AUTO, choice.backend());
        assertEquals(1, choice.gpuOrdinal());
        assertEquals("the task was assigned GPU 1: GPU backends first, the CPU if none can load", choice.reason());
        assertEquals(0, DeviceChoice.forResources(gpus("0", "3"), Backends.AUTO).gpuOrdinal());
    }

    @Test
    void aTaskWithoutAGpuRunsOnTheCpu() {
        String cpu = Backends.byName(CpuBackend.NAME).availability().available() ? CpuBackend.NAME : ReferenceBackend.NAME;
        for (Map<String, ResourceInformation> resources : java.util.List.of(Map.<String, ResourceInformation>of(), gpus(),
                Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"})))) {
            DeviceChoice choice = DeviceChoice.forResources(resources, Backends.AUTO);
            assertEquals(cpu, choice.backend(), resources::toString);
            assertEquals(-1, choice.gpuOrdinal());
        }
    }

    @Test
    void aBackendNamedByTheUserIsKeptAndUnknownNamesAreRejected() {
        assertEquals(ReferenceBackend.NAME, DeviceChoice.forResources(gpus("0"), ReferenceBackend.NAME).backend());
        assertThrows(IllegalArgumentException.class, () -> DeviceChoice.forResources(Map.of(), "tpu"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceChoice.forResources(gpus("GPU-5a1b"), Backends.AUTO));
        assertTrue(e.getMessage().startsWith("Spark assigned GPU address 'GPU-5a1b', which is not a CUDA device number"));
    }

    @Test
    void theOptionsCarryTheBackendAndTheTasksDevice() {
        Options gpu = DeviceChoice.forResources(gpus("3"), Backends.AUTO).options();
        assertEquals(Backends.AUTO, gpu.backend());
        assertEquals(3, gpu.deviceIndex());
        Options cpu = DeviceChoice.forResources(Map.of(), Backends.AUTO).options();
        assertEquals(Options.defaults().deviceIndex(), cpu.deviceIndex());
        assertTrue(cpu.backend().startsWith("cpu"), cpu::toString);
    }

    /** This machine has no GPU: a task that was given one still runs, on the CPU, with the library's result. */
    @Test
    void aGpuTaskWhereNoGpuBackendLoadsFallsBackToTheCpu() {
        DeviceChoice gpu = DeviceChoice.forResources(gpus("0"), Backends.AUTO);
        ConvLayer layer = SparkTests.randomLayer(System.nanoTime(), 4, 3, 3, ConvParams.defaults(), true);
        Tensor x = Tensor.uniform(System.nanoTime(), -1, 1, 2, 3, 8, 8);
        Tensor y = ExecutorLayers.get(-1, () -> layer).forward(x, gpu);
        SparkTests.assertMatches(SparkTests.reference(x, layer), y.shape(), y.data(), "auto with a GPU assigned");
    }
}
