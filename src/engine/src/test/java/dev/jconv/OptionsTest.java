package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Options: one value, defaults from properties over environment over built-ins, read in one place. */
class OptionsTest {
    private static final Map<String, String> NONE = Map.of();

    @Test
    void builtInDefaults() {
        Options o = Options.from(NONE::get, NONE::get);
        assertEquals("auto", o.backend());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.threads());
        assertEquals(0, o.deviceIndex());
        assertFalse(o.cudnnBenchmark() || o.cudnnDeterministic() || o.cudnnTf32() || o.cublasTf32());
    }

    @Test
    void thePropertyWinsOverTheEnvironment() {
        Map<String, String> env = Map.of("JCONV_BACKEND", "cpu-reference", "JCONV_THREADS", "3",
                "JCONV_CUDA_DEVICE", "1", "JCONV_CUDNN_BENCHMARK", "1", "JCONV_CUDNN_TF32", "yes",
                "JCONV_CUBLAS_TF32", "on", "JCONV_CUDNN_DETERMINISTIC", "true");
        Options fromEnv = Options.from(NONE::get, env::get);
        assertEquals("cpu-reference", fromEnv.backend());
        assertEquals(3, fromEnv.threads());
        assertEquals(1, fromEnv.deviceIndex());
        assertTrue(fromEnv.cudnnBenchmark() && fromEnv.cudnnDeterministic() && fromEnv.cudnnTf32() && fromEnv.cublasTf32());

        Map<String, String> props = Map.of("jconv.threads", "5", "jconv.cudnn.benchmark", "false");
        Options both = Options.from(props::get, env::get);
        assertEquals(5, both.threads());
        assertFalse(both.cudnnBenchmark());
        assertTrue(both.cudnnTf32(), "unset properties fall through to the environment");
    }

    @Test
    void badValuesNameWhereTheyCameFrom() {
        IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
                () -> Options.from(Map.of("jconv.threads", "zero")::get, NONE::get));
        assertEquals("system property jconv.threads must be a thread count from 1 to 1024, got 'zero'",
                threads.getMessage());
        IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> Options.from(NONE::get, Map.of("JCONV_THREADS", "0")::get));
        assertEquals("environment variable JCONV_THREADS must be from 1 to 1024, got 0", env.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> Options.from(NONE::get, Map.of("JCONV_THREADS", "40000")::get));
        assertEquals("environment variable JCONV_THREADS must be from 1 to 1024, got 40000", many.getMessage());
        IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
                () -> Options.from(NONE::get, Map.of("JCONV_CUDNN_BENCHMARK", "fast")::get));
        assertEquals("JCONV_CUDNN_BENCHMARK='fast' is not a valid setting for cuDNN benchmark mode: use 1 or 0 "
                + "(true/false)", flag.getMessage());
        IllegalArgumentException device = assertThrows(IllegalArgumentException.class,
                () -> Options.from(Map.of("jconv.cuda.device", "gpu0")::get, NONE::get));
        assertEquals("-Djconv.cuda.device='gpu0' is not a device number", device.getMessage());
    }

    @Test
    void withersCopyAndCheck() {
        Options base = Options.from(NONE::get, NONE::get);
        Options changed = base.withBackend("cpu").withThreads(7).withDeviceIndex(2).withCudnnBenchmark(true)
                .withCudnnDeterministic(true).withCudnnTf32(true).withCublasTf32(true).withSingleCall(true);
        assertEquals("Options(backend=cpu, threads=7, device=2, cudnnBenchmark=true, cudnnDeterministic=true, "
                + "cudnnTf32=true, cublasTf32=true, singleCall=true)", changed.toString());
        assertEquals("auto", base.backend(), "the original is unchanged");
        assertEquals(changed, base.withBackend("cpu").withThreads(7).withDeviceIndex(2).withCudnnBenchmark(true)
                .withCudnnDeterministic(true).withCudnnTf32(true).withCublasTf32(true).withSingleCall(true));
        assertNotEquals(changed, changed.withSingleCall(false));
        assertEquals(changed.hashCode(), base.withBackend("cpu").withThreads(7).withDeviceIndex(2)
                .withCudnnBenchmark(true).withCudnnDeterministic(true).withCudnnTf32(true).withCublasTf32(true)
                .withSingleCall(true).hashCode());
        assertNotEquals(base, changed);
        assertEquals("the thread count must be from 1 to 1024, got 0",
                assertThrows(IllegalArgumentException.class, () -> base.withThreads(0)).getMessage());
        assertEquals("the thread count must be from 1 to 1024, got 100000",
                assertThrows(IllegalArgumentException.class, () -> base.withThreads(100000)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> base.withDeviceIndex(-1));
    }

    @Test
    void planCacheBudgetDefaultsToAnEighthOfTheHeap() {
        String old = System.getProperty("jconv.planCacheBytes");
        try {
            System.clearProperty("jconv.planCacheBytes");
            if (System.getenv("JCONV_PLAN_CACHE_BYTES") == null) {
                assertEquals(Runtime.getRuntime().maxMemory() / 8, Options.planCacheBytes());
            }
            System.setProperty("jconv.planCacheBytes", "12345");
            assertEquals(12345, Options.planCacheBytes());
            System.setProperty("jconv.planCacheBytes", "lots");
            assertEquals("-Djconv.planCacheBytes='lots' is not a byte count (a non-negative integer)",
                    assertThrows(IllegalArgumentException.class, Options::planCacheBytes).getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("jconv.planCacheBytes");
            } else {
                System.setProperty("jconv.planCacheBytes", old);
            }
        }
    }
}
