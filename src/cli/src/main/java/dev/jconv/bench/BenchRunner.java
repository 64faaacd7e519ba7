package dev.jconv.bench;

import dev.jconv.ConvGeometry;
import dev.jconv.Options;
import dev.jconv.Tensor;
import dev.jconv.backend.Availability;
import dev.jconv.backend.BackendUnavailableException;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.cpu.ReferenceBackend;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Times forward passes of layers on backends. Each (layer, backend) pair gets fresh uniform random inputs and
 * weights in [-1, 1) (never zeros, which some hardware computes faster), a warm-up (plan creation, caches, JIT
 * compilation), then {@code iterations} timed passes; the median is the reported time. The weight goes with a
 * fixed version ({@link #WEIGHT_VERSION}): it never changes, as a {@code Conv2d}'s own weight between calls, so
 * plans that prepare weights once per version reuse them without comparing the array each call (PyTorch's peer
 * route with its weight reordered once is the same case, {@code benchmarks/pytorch_side_by_side.py}).
 *
 * <p>Warm-up: at least {@code warmup} passes and {@link #MIN_WARMUP_NANOS} ({@link #FIRST_WARMUP_NANOS} for a
 * backend's first layer, while the JIT compiles its shared code), then more until the JIT has settled,
 * i.e. until the median of the last {@value #WINDOW} passes is no longer 5% faster than that of the
 * {@value #WINDOW} before and the JIT has finished no compilation for {@link #JIT_QUIET_NANOS} (where the JVM
 * reports compilation time), for at most {@link #MAX_WARMUP_NANOS}. The second test catches a plan that runs plain
 * code while its vector kernel is not compiled yet (the depthwise kernels' cold phase): steady for a second, then
 * several times faster. A fixed count is not enough on the JVM: the vector kernels run orders of magnitude slower
 * before C2 compiles them, which takes seconds in a fresh JVM and happens again when a new layer changes a kernel's
 * profile. {@code --warmup 0} skips warm-up entirely.
 * Every pair is resolved before anything runs, so an unavailable backend fails the run before any output.
 */
public final class BenchRunner {
    static final long MIN_WARMUP_NANOS = 1_000_000_000L;
    static final long FIRST_WARMUP_NANOS = 3_000_000_000L;
    static final long MAX_WARMUP_NANOS = 20_000_000_000L;
    static final int WINDOW = 5;
    static final long JIT_QUIET_NANOS = 300_000_000L;
    /** The version every pass gives its unchanging weight (see {@link ConvPlan}'s versioned forward). */
    static final long WEIGHT_VERSION = 0;

    private final int warmup;
    private final int iterations;
    private final int threads;
    private final Consumer<String> progress;
    private final CpuBackend cpu;
    /** Backends that have had their first, longer warm-up ({@link #FIRST_WARMUP_NANOS}) in this runner. */
    private final Set<ConvBackend> warmed = new HashSet<>();

    /**
     * @param threads  the thread count for the {@code cpu} backend
     * @param progress receives one line per pair before it runs (the CLI prints them on stderr)
     */
    public BenchRunner(int warmup, int iterations, int threads, Consumer<String> progress) {
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must be 0 or more, got " + warmup);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations must be at least 1, got " + iterations);
        }
        Options.checkThreads(threads, "--threads");
        this.warmup = warmup;
        this.iterations = iterations;
        this.threads = threads;
        this.progress = progress;
        this.cpu = new CpuBackend(threads);
    }

    /**
     * Runs every layer on every backend (layers outer), and returns the results in that order. A runner may run
     * several times (one layer at a time for {@code bench --serve}); only a backend's first layer in the runner gets
     * the longer first warm-up.
     */
    public BenchRun run(List<LayerSpec> layers, List<String> backendNames) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("nothing to run: give at least one --layer or --suite");
        }
        if (backendNames.isEmpty()) {
            throw new IllegalArgumentException("no backend given");
        }
        record Pair(LayerSpec layer, ConvBackend backend) {}
        List<Pair> pairs = new ArrayList<>();
        for (LayerSpec layer : layers) {
            for (String name : backendNames) {
                pairs.add(new Pair(layer, resolve(name, layer.geometry())));
            }
        }
        List<BenchResult> results = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            progress.accept(String.format(Locale.ROOT, "bench [%d/%d] %s on %s", i + 1, pairs.size(),
                    p.layer().text(), p.backend().name()));
            long minWarmup = warmed.add(p.backend()) ? FIRST_WARMUP_NANOS : MIN_WARMUP_NANOS;
            results.add(measure(p.layer(), p.backend(), 1000L * i, minWarmup));
        }
        return new BenchRun(OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), cpuModel(),
                Runtime.getRuntime().availableProcessors(), warmup, iterations, results);
    }

    /** The backend for a name; {@code cpu} (asked for by name or picked by {@code auto}) runs on our thread count. */
    private ConvBackend resolve(String name, ConvGeometry g) {
        if (name.equals(CpuBackend.NAME)) {
            Availability a = cpu.availability();
            if (!a.available()) {
                throw new BackendUnavailableException("backend cpu is unavailable: " + a.reason());
            }
            return cpu;
        }
        ConvBackend b = Backends.select(name, g).backend();
        return b.name().equals(CpuBackend.NAME) ? cpu : b;
    }

    private BenchResult measure(LayerSpec layer, ConvBackend backend, long seed, long minWarmup) {
        ConvGeometry g = layer.geometry();
        float[] input = Tensor.uniform(seed, -1f, 1f, layer.inputShape()).data();
        float[] weight = Tensor.uniform(seed + 1, -1f, 1f, layer.weightShape()).data();
        float[] output = new float[g.batch() * g.outChannels() * g.outHeight() * g.outWidth()];
        ConvPlan plan = backend.plan(g);
        warmUp(plan, input, weight, output, minWarmup);
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            plan.forward(input, weight, WEIGHT_VERSION, null, output);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        double median = iterations % 2 == 1 ? ms[iterations / 2] : (ms[iterations / 2 - 1] + ms[iterations / 2]) / 2;
        double flops = g.flops();
        int backendThreads = backend == cpu ? threads : backend.name().equals(ReferenceBackend.NAME) ? 1 : 0;
        return new BenchResult(layer.text(), backend.name(), backendThreads, flops, warmup, iterations, median,
                ms[0], ms[iterations - 1], flops / (median * 1e6), plan.describe());
    }

    private void warmUp(ConvPlan plan, float[] input, float[] weight, float[] output, long minWarmup) {
        if (warmup == 0) {
            return;
        }
        long start = System.nanoTime();
        double previous = Double.POSITIVE_INFINITY;
        double[] window = new double[WINDOW];
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long compiled = jitTimed ? jit.getTotalCompilationTime() : 0;
        long compiledAt = start;
        for (int done = 0; ; ) {
            for (int i = 0; i < WINDOW; i++, done++) {
                long t0 = System.nanoTime();
                plan.forward(input, weight, WEIGHT_VERSION, null, output);
                window[i] = System.nanoTime() - t0;
            }
            Arrays.sort(window);
            double current = window[WINDOW / 2];
            long spent = System.nanoTime() - start;
            long compiledNow = jitTimed ? jit.getTotalCompilationTime() : 0;
            if (compiledNow != compiled) {
                compiled = compiledNow;
                compiledAt = System.nanoTime();
            }
            boolean settled = current > 0.95 * previous && System.nanoTime() - compiledAt >= JIT_QUIET_NANOS;
            if (spent >= MAX_WARMUP_NANOS || (done >= warmup && spent >= minWarmup && settled)) {
                return;
            }
            previous = current;
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch");
    }
}
