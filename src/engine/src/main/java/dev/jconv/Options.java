package dev.jconv;

import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How a convolution runs, as one immutable value: the backend, the CPU thread count, the CUDA device, and
 * cuDNN/cuBLAS math choices (PyTorch's {@code torch.backends.cudnn.benchmark / deterministic / allow_tf32}).
 * The {@code with*} methods return modified copies.
 *
 * <p>{@link #defaults()} is the one place jconv reads its environment: each value comes from a Java system
 * property, else an environment variable, else a built-in default (the property wins, so an embedding
 * application can override the environment):
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>value</th><th>property</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@link #backend()}</td><td>{@code jconv.backend}</td><td>{@code JCONV_BACKEND}</td><td>{@code auto}</td></tr>
 *   <tr><td>{@link #threads()}</td><td>{@code jconv.threads}</td><td>{@code JCONV_THREADS}</td><td>available processors</td></tr>
 *   <tr><td>{@link #deviceIndex()}</td><td>{@code jconv.cuda.device}</td><td>{@code JCONV_CUDA_DEVICE}</td><td>0</td></tr>
 *   <tr><td>{@link #cudnnBenchmark()}</td><td>{@code jconv.cudnn.benchmark}</td><td>{@code JCONV_CUDNN_BENCHMARK}</td><td>false</td></tr>
 *   <tr><td>{@link #cudnnDeterministic()}</td><td>{@code jconv.cudnn.deterministic}</td><td>{@code JCONV_CUDNN_DETERMINISTIC}</td><td>false</td></tr>
 *   <tr><td>{@link #cudnnTf32()}</td><td>{@code jconv.cudnn.tf32}</td><td>{@code JCONV_CUDNN_TF32}</td><td>false</td></tr>
 *   <tr><td>{@link #cublasTf32()}</td><td>{@code jconv.cublas.tf32}</td><td>{@code JCONV_CUBLAS_TF32}</td><td>false</td></tr>
 * </table>
 * and, read once by the plan cache, {@link #planCacheBytes()}: {@code jconv.planCacheBytes} /
 * {@code JCONV_PLAN_CACHE_BYTES}, default an eighth of the maximum heap. On/off values accept
 * {@code 1/true/yes/on} and {@code 0/false/no/off}; a value that does not parse is an
 * {@link IllegalArgumentException} naming where it came from.
 *
 * <p>Options that do not apply to the backend that runs (threads on a GPU, cuDNN settings on the CPU) are
 * ignored. Two equal {@code Options} share cached plans.
 */
public final class Options {
    public static final String AUTO = "auto";
    /** The plan cache's default budget is this fraction of the maximum heap ({@link Runtime#maxMemory()}). */
    public static final int PLAN_CACHE_HEAP_DIVISOR = 8;

    /**
     * The most threads the {@code cpu} backend takes. Far above any machine's core count today; each is a platform
     * thread of the backend's pool for that thread count, kept for the life of the JVM.
     */
    public static final int MAX_THREADS = 1024;

    /** Where {@link #defaults()} reads the backend: this system property, else {@link #BACKEND_ENVIRONMENT_VARIABLE}. */
    public static final String BACKEND_PROPERTY = "jconv.backend";
    public static final String BACKEND_ENVIRONMENT_VARIABLE = "JCONV_BACKEND";

    static final Source BACKEND = new Source(BACKEND_PROPERTY, BACKEND_ENVIRONMENT_VARIABLE);
    static final Source THREADS = new Source("jconv.threads", "JCONV_THREADS");
    static final Source DEVICE = new Source("jconv.cuda.device", "JCONV_CUDA_DEVICE");
    static final Source CUDNN_BENCHMARK = new Source("jconv.cudnn.benchmark", "JCONV_CUDNN_BENCHMARK");
    static final Source CUDNN_DETERMINISTIC = new Source("jconv.cudnn.deterministic", "JCONV_CUDNN_DETERMINISTIC");
    static final Source CUDNN_TF32 = new Source("jconv.cudnn.tf32", "JCONV_CUDNN_TF32");
    static final Source CUBLAS_TF32 = new Source("jconv.cublas.tf32", "JCONV_CUBLAS_TF32");
    static final Source PLAN_CACHE_BYTES = new Source("jconv.planCacheBytes", "JCONV_PLAN_CACHE_BYTES");

    private final String backend;
    private final int threads;
    private final int deviceIndex;
    private final boolean cudnnBenchmark;
    private final boolean cudnnDeterministic;
    private final boolean cudnnTf32;
    private final boolean cublasTf32;
    private final boolean singleCall;

    private Options(String backend, int threads, int deviceIndex, boolean cudnnBenchmark, boolean cudnnDeterministic,
                    boolean cudnnTf32, boolean cublasTf32, boolean singleCall) {
        this.backend = Objects.requireNonNull(backend, "backend");
        checkThreads(threads, "the thread count");
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("CUDA device index must not be negative, got " + deviceIndex);
        }
        this.threads = threads;
        this.deviceIndex = deviceIndex;
        this.cudnnBenchmark = cudnnBenchmark;
        this.cudnnDeterministic = cudnnDeterministic;
        this.cudnnTf32 = cudnnTf32;
        this.cublasTf32 = cublasTf32;
        this.singleCall = singleCall;
    }

    /** The values from the system properties and the environment (see the class comment), read now. */
    public static Options defaults() {
        return from(System::getProperty, System::getenv);
    }

    /** {@link #defaults()} from other lookups (tests pass maps). */
    static Options from(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String backend = BACKEND.raw(properties, environment);
        return new Options(backend == null || backend.isBlank() ? AUTO : backend.trim(),
                threads(properties, environment), deviceIndex(properties, environment),
                CUDNN_BENCHMARK.flag(properties, environment, "cuDNN benchmark mode"),
                CUDNN_DETERMINISTIC.flag(properties, environment, "deterministic cuDNN algorithms"),
                CUDNN_TF32.flag(properties, environment, "TF32 math in cuDNN"),
                CUBLAS_TF32.flag(properties, environment, "TF32 math in cuBLAS"), false);
    }

    /**
     * The {@code jconv.threads} system property, else {@code JCONV_THREADS}, else the number of available
     * processors. A value that is not a positive integer is an error naming where it came from.
     */
    public static int defaultThreads() {
        return threads(System::getProperty, System::getenv);
    }

    /** The {@code jconv.cuda.device} system property, else {@code JCONV_CUDA_DEVICE}, else 0. */
    public static int defaultDeviceIndex() {
        return deviceIndex(System::getProperty, System::getenv);
    }

    private static int threads(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String raw = THREADS.raw(properties, environment);
        if (raw == null || raw.isBlank()) {
            return Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        }
        String source = properties.apply(THREADS.property()) != null
                ? "system property " + THREADS.property() : "environment variable " + THREADS.environmentVariable();
        Integer t = parse(raw, Integer.MIN_VALUE);
        if (t == null) {
            throw new IllegalArgumentException(source + " must be a thread count from 1 to " + MAX_THREADS + ", got '"
                    + raw + "'");
        }
        return checkThreads(t, source);
    }

    /** {@code threads} if it is 1 to {@value #MAX_THREADS}; else an error naming {@code what}, the value and the limit. */
    public static int checkThreads(int threads, String what) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException(what + " must be from 1 to " + MAX_THREADS + ", got " + threads);
        }
        return threads;
    }

    private static int deviceIndex(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String raw = DEVICE.raw(properties, environment);
        if (raw == null || raw.isBlank()) {
            return 0;
        }
        Integer d = parse(raw, 0);
        if (d == null) {
            throw new IllegalArgumentException(DEVICE.origin(properties) + "='" + raw + "' is not a device number");
        }
        return d;
    }

    /** The integer in {@code raw} if it is at least {@code min}, else null. */
    private static Integer parse(String raw, int min) {
        try {
            int v = Integer.parseInt(raw.trim());
            return v >= min ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The plan cache's byte budget from {@code jconv.planCacheBytes} / {@code JCONV_PLAN_CACHE_BYTES} (a byte
     * count, 0 disables caching), else {@link Runtime#maxMemory()} / {@value #PLAN_CACHE_HEAP_DIVISOR}.
     */
    public static long planCacheBytes() {
        String raw = PLAN_CACHE_BYTES.raw(System::getProperty, System::getenv);
        if (raw == null || raw.isBlank()) {
            return Runtime.getRuntime().maxMemory() / PLAN_CACHE_HEAP_DIVISOR;
        }
        try {
            long bytes = Long.parseLong(raw.trim());
            if (bytes >= 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PLAN_CACHE_BYTES.origin(System::getProperty) + "='" + raw
                + "' is not a byte count (a non-negative integer)");
    }

    /** {@code auto} or a backend name ({@code jconv info} lists them). */
    public String backend() {
        return backend;
    }

    /** Threads the {@code cpu} backend computes on. */
    public int threads() {
        return threads;
    }

    /** The CUDA device ordinal GPU backends plan on. */
    public int deviceIndex() {
        return deviceIndex;
    }

    /** cuDNN times candidate algorithms once per shape and keeps the fastest (otherwise its heuristic picks). */
    public boolean cudnnBenchmark() {
        return cudnnBenchmark;
    }

    /** cuDNN uses only algorithms it reports as deterministic. */
    public boolean cudnnDeterministic() {
        return cudnnDeterministic;
    }

    /** cuDNN may use TF32 tensor cores (about 5e-3 relative error); off: strict fp32. */
    public boolean cudnnTf32() {
        return cudnnTf32;
    }

    /** cuBLAS may use TF32 tensor cores; off: strict fp32. */
    public boolean cublasTf32() {
        return cublasTf32;
    }

    /**
     * The plan will run once, in a process that has not run it before (a one-shot {@code jconv run}): the {@code cpu}
     * backend then takes its plain-Java loops, which are fast before the JIT has compiled anything, instead of the
     * vector kernels, which are fast only once compiled. Off by default.
     */
    public boolean singleCall() {
        return singleCall;
    }

    public Options withBackend(String name) {
        return new Options(name, threads, deviceIndex, cudnnBenchmark, cudnnDeterministic, cudnnTf32, cublasTf32,
                singleCall);
    }

    public Options withThreads(int n) {
        return new Options(backend, n, deviceIndex, cudnnBenchmark, cudnnDeterministic, cudnnTf32, cublasTf32,
                singleCall);
    }

    public Options withDeviceIndex(int ordinal) {
        return new Options(backend, threads, ordinal, cudnnBenchmark, cudnnDeterministic, cudnnTf32, cublasTf32,
                singleCall);
    }

    public Options withCudnnBenchmark(boolean on) {
        return new Options(backend, threads, deviceIndex, on, cudnnDeterministic, cudnnTf32, cublasTf32, singleCall);
    }

    public Options withCudnnDeterministic(boolean on) {
        return new Options(backend, threads, deviceIndex, cudnnBenchmark, on, cudnnTf32, cublasTf32, singleCall);
    }

    public Options withCudnnTf32(boolean on) {
        return new Options(backend, threads, deviceIndex, cudnnBenchmark, cudnnDeterministic, on, cublasTf32,
                singleCall);
    }

    public Options withCublasTf32(boolean on) {
        return new Options(backend, threads, deviceIndex, cudnnBenchmark, cudnnDeterministic, cudnnTf32, on,
                singleCall);
    }

    public Options withSingleCall(boolean on) {
        return new Options(backend, threads, deviceIndex, cudnnBenchmark, cudnnDeterministic, cudnnTf32, cublasTf32,
                on);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Options x && backend.equals(x.backend) && threads == x.threads
                && deviceIndex == x.deviceIndex && cudnnBenchmark == x.cudnnBenchmark
                && cudnnDeterministic == x.cudnnDeterministic && cudnnTf32 == x.cudnnTf32 && cublasTf32 == x.cublasTf32
                && singleCall == x.singleCall;
    }

    @Override
    public int hashCode() {
        return Objects.hash(backend, threads, deviceIndex, cudnnBenchmark, cudnnDeterministic, cudnnTf32, cublasTf32,
                singleCall);
    }

    @Override
    public String toString() {
        return "Options(backend=" + backend + ", threads=" + threads + ", device=" + deviceIndex
                + ", cudnnBenchmark=" + cudnnBenchmark + ", cudnnDeterministic=" + cudnnDeterministic
                + ", cudnnTf32=" + cudnnTf32 + ", cublasTf32=" + cublasTf32 + ", singleCall=" + singleCall + ")";
    }

    /** Where one default comes from: a system property, else an environment variable. */
    record Source(String property, String environmentVariable) {
        String raw(UnaryOperator<String> properties, UnaryOperator<String> environment) {
            String p = properties.apply(property);
            return p != null ? p : environment.apply(environmentVariable);
        }

        /** {@code -Dproperty} or the variable's name, whichever the value came from. */
        String origin(UnaryOperator<String> properties) {
            return properties.apply(property) != null ? "-D" + property : environmentVariable;
        }

        boolean flag(UnaryOperator<String> properties, UnaryOperator<String> environment, String meaning) {
            String raw = raw(properties, environment);
            if (raw == null || raw.isBlank()) {
                return false;
            }
            return switch (raw.trim().toLowerCase(Locale.ROOT)) {
                case "1", "true", "yes", "on" -> true;
                case "0", "false", "no", "off" -> false;
                default -> throw new IllegalArgumentException(origin(properties) + "='" + raw
                        + "' is not a valid setting for " + meaning + ": use 1 or 0 (true/false)");
            };
        }
    }
}
