package dev.jconv.cpu;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the JVM has the Vector API ({@code jdk.incubator.vector}, an incubator module on Java 17 that a class-path
 * application gets only with {@code --add-modules jdk.incubator.vector}), and the one warning when it has not.
 *
 * <p>Without it {@code cpu} does not vanish: it runs {@link PlainJavaPlan}, and the first plan it makes logs one
 * {@link System.Logger.Level#WARNING} on logger {@value #LOGGER} naming the flag and the cost, so a service that
 * forgot the flag finds out from its log rather than from its latency.
 */
final class VectorModule {
    static final String NAME = "jdk.incubator.vector";
    static final String FLAG = "--add-modules " + NAME;
    static final String LOGGER = "dev.jconv.cpu";
    /**
     * The cost, measured with {@code PlainJavaPlanBenchmark} on 1x64x56x56 * 64x64x3x3 (padding 1, 2 threads, a 2-core
     * AMD EPYC with AVX-512 shared with other jobs, load average about 20): process CPU time per call 9.8-11.4 ms on
     * the plain loops against 4.1 ms on the vector kernels (253-256 ms on cpu-reference, the fallback before); best
     * wall times 11.3 ms against 2.4 ms. CPU time is the steadier measure on a loaded machine.
     */
    static final String WARNING = "the JVM was started without " + FLAG + ": the cpu backend runs plain Java loops,"
            + " measured about 3x slower than its vector kernels (1x64x56x56 * 64x64x3x3: 10 ms of CPU time per call"
            + " against 4); add " + FLAG + " to the java command (on the module path, requiring module dev.jconv adds it)";

    private static final boolean PRESENT = ModuleLayer.boot().findModule(NAME).isPresent();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private VectorModule() {}

    static boolean present() {
        return PRESENT;
    }

    /** Logs {@link #WARNING} the first time it is called in this JVM; later calls do nothing. */
    static void warnOnce() {
        if (WARNED.compareAndSet(false, true)) {
            System.getLogger(LOGGER).log(System.Logger.Level.WARNING, WARNING);
        }
    }
}
