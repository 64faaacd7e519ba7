package dev.jconv.benchmarks;

import dev.jconv.ConvGeometry;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;
import dev.jconv.bench.LayerSpec;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A GPU backend on one layer, timed two ways, because users pay both:
 * <ul>
 *   <li>{@link #device}: the convolution alone, on data already resident on the device. Each invocation
 *       queues {@value #QUEUED} forward passes back to back on one stream, each on the next of several input
 *       tensors (rotated so that the GPU's L2 cache, 60+ MB on current parts, cannot hold them all), then waits
 *       for the stream. The synchronisation closes the timed region, so no work escapes it; with the queue
 *       kept full the launch latency hides behind the previous kernel, and the time per operation is the
 *       device time per convolution.</li>
 *   <li>{@link #endToEnd}: the host API ({@link ConvPlan#forward} on Java arrays), which copies the input and
 *       weights to the device and the output back: what {@code Functional.conv2d} costs.</li>
 * </ul>
 * Plans, device buffers and the stream are made once per trial, and JMH's warm-up iterations run before any
 * measurement (JIT, module loading, the kernels' first launch). Only {@code fp32} exists.
 *
 * <p>Not run by default ({@link BenchmarkMain} runs {@code HostConvBenchmark}); ask for it with
 * {@code DeviceConvBenchmark -p backend=cuda-ptx}. Without a usable GPU the trial fails in set-up with the
 * backend's reason.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
@Threads(1)
public class DeviceConvBenchmark {
    static final int QUEUED = 8;
    /** Inputs rotate over at least this many bytes (or {@value #MAX_INPUTS} tensors): several times L2. */
    static final long ROTATION_BYTES = 256L << 20;
    static final int MAX_INPUTS = 16;

    /** {@code N,C,H,W,K,R,S,P,D,G}; {@link BenchmarkMain} fills it in (from --layer or --suites). */
    @Param({"1,64,56,56,64,3,1,1,1,1"})
    public String layer;

    @Param({"cuda-ptx"})
    public String backend;

    @Param({BenchLayers.SUITE_BATCH})
    public String batch;

    @Param({BenchLayers.FP32})
    public String dtype;

    private DeviceConvPlan plan;
    private CudaStream stream;
    private DeviceTensor[] inputs;
    private DeviceTensor weight;
    private DeviceTensor output;
    private float[][] hostInputs;
    private float[] hostWeight;
    private float[] hostOutput;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        LayerSpec spec = BenchLayers.resolve(layer, batch, dtype);
        ConvGeometry g = spec.geometry();
        ConvPlan p = Backends.select(backend, g).backend().plan(g);
        if (!(p instanceof DeviceConvPlan devicePlan)) {
            p.close();
            throw new IllegalArgumentException("backend " + backend + " does not run on device tensors; "
                    + "time it with HostConvBenchmark");
        }
        plan = devicePlan;
        CudaDevice device = plan.device();
        stream = device.createStream();
        long inputBytes = 4L * g.batch() * g.inChannels() * g.inHeight() * g.inWidth();
        int copies = (int) Math.max(2, Math.min(MAX_INPUTS, ROTATION_BYTES / Math.max(1, inputBytes)));
        inputs = new DeviceTensor[copies];
        hostInputs = new float[copies][];
        for (int i = 0; i < copies; i++) {
            Tensor x = Tensor.uniform(1000 + i, -1, 1, g.inputShape());
            hostInputs[i] = x.data();
            inputs[i] = DeviceTensor.upload(device, x);
        }
        Tensor w = Tensor.uniform(7, -1, 1, g.weightShape());
        hostWeight = w.data();
        weight = DeviceTensor.upload(device, w);
        output = DeviceTensor.allocate(device, g.outputShape());
        hostOutput = new float[Math.toIntExact(output.numel())];
    }

    @Benchmark
    @OperationsPerInvocation(QUEUED)
    public void device() {
        for (int i = 0; i < QUEUED; i++) {
            plan.forwardAsync(inputs[next], weight, null, output, stream);
            next = next + 1 == inputs.length ? 0 : next + 1;
        }
        stream.synchronize();
    }

    @Benchmark
    public float[] endToEnd() {
        plan.forward(hostInputs[next], hostWeight, null, hostOutput);
        next = next + 1 == hostInputs.length ? 0 : next + 1;
        return hostOutput;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (inputs != null) {
            for (DeviceTensor t : inputs) {
                if (t != null) {
                    t.close();
                }
            }
        }
        for (AutoCloseable c : new AutoCloseable[] {weight, output, stream, plan}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + c + " failed", e);
                }
            }
        }
    }
}
