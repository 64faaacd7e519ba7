package dev.jconv.benchmarks;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;
import dev.jconv.bench.LayerSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One forward pass of one layer on one backend, through the host API ({@link ConvPlan#forward} on Java
 * arrays): what a user of {@code Functional.conv2d} waits for. For a GPU backend this is the end-to-end time,
 * copies to and from the device included.
 *
 * <p>The plan is made once per trial (as {@code conv2d} would find it in its cache); weights are fixed and the
 * input rotates over several buffers (up to {@value #ROTATION_BYTES} bytes together) so that consecutive calls
 * do not find their input already in cache. Inputs are uniform random in [-1, 1), never zeros. One JMH thread
 * calls the backend, which uses its own threads. Forks, warm-up and iterations suit a 2-core machine shared
 * with other work: one fork, 3 x 1 s warm-up, 5 x 1 s measured; JMH's command-line options override them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@Threads(1)
public class HostConvBenchmark {
    static final long ROTATION_BYTES = 64L << 20;
    static final int MAX_INPUTS = 8;

    /** {@code N,C,H,W,K,R,S,P,D,G}; {@link BenchmarkMain} fills it in (from --layer or --suites). */
    @Param({"1,64,56,56,64,3,1,1,1,1"})
    public String layer;

    @Param({"cpu"})
    public String backend;

    /** {@code suite} keeps the layer's N; a number replaces it. */
    @Param({BenchLayers.SUITE_BATCH})
    public String batch;

    /** Only {@code fp32} exists: jconv computes in float32. */
    @Param({BenchLayers.FP32})
    public String dtype;

    private ConvPlan plan;
    private float[][] inputs;
    private float[] weight;
    private float[] output;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        LayerSpec spec = BenchLayers.resolve(layer, batch, dtype);
        ConvGeometry g = spec.geometry();
        plan = Backends.select(backend, g).backend().plan(g);
        long inputBytes = 4L * g.batch() * g.inChannels() * g.inHeight() * g.inWidth();
        int copies = (int) Math.max(1, Math.min(MAX_INPUTS, ROTATION_BYTES / Math.max(1, inputBytes)));
        inputs = new float[copies][];
        for (int i = 0; i < copies; i++) {
            inputs[i] = Tensor.uniform(1000 + i, -1, 1, g.inputShape()).data();
        }
        weight = Tensor.uniform(7, -1, 1, g.weightShape()).data();
        output = new float[Math.toIntExact((long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth())];
    }

    @Benchmark
    public float[] forward() {
        float[] in = inputs[next];
        next = next + 1 == inputs.length ? 0 : next + 1;
        plan.forward(in, weight, null, output);
        return output;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (plan != null) {
            plan.close();
        }
    }
}
