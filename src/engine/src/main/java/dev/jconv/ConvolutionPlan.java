package dev.jconv;

import dev.jconv.backend.Backends;
import dev.jconv.backend.Backends.Selection;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.DevicePlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.backend.PlanLease;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One convolution prepared for one set of shapes, as oneDNN's primitive descriptor and primitive in one: made once
 * from the input shape, the weight shape, the {@link ConvParams}, whether there is a bias, and {@link Options};
 * says what it will do ({@link #describe()}); then runs forward as often as wanted into the caller's output,
 * making no decision and allocating nothing per call.
 *
 * <pre>{@code
 * try (ConvolutionPlan plan = ConvolutionPlan.create(new int[] {8, 64, 56, 56}, new int[] {64, 64, 3, 3}, true,
 *         ConvParams.defaults().withPadding(1), Options.defaults().withThreads(4))) {
 *     Tensor y = Tensor.zeros(plan.outputShape());       // [8, 64, 56, 56]
 *     plan.forward(x, w, b, y);                           // as often as needed
 * }
 * }</pre>
 *
 * <p>Shapes: input {@code (N, C, H, W)} or unbatched {@code (C, H, W)}; weight {@code (K, C / groups, kH, kW)};
 * bias {@code (K)}; output {@code (N, K, Hout, Wout)} ({@code (K, Hout, Wout)} for unbatched input) with, per
 * axis, {@code Hout = floor((H + padTop + padBottom - dilation * (kH - 1) - 1) / stride) + 1} ({@link ConvGeometry}
 * has the element formula). {@link #create} checks everything PyTorch checks, with PyTorch's messages
 * ({@link ConvValidator}); {@link #forward} checks that each tensor has exactly the planned shape.
 *
 * <p>Backend: {@link Options#backend()}, or with {@code auto} the first available backend that runs the shape
 * ({@link Backends}); {@link #backend()} and {@link #selectionReason()} say which and why. The backend's prepared
 * plan comes from its {@link PlanCache} (shared with every other caller of the same shape and options) and is held
 * by this object until {@link #close()}: the cache may drop it meanwhile to stay in budget, but it is not freed
 * while this object is open.
 *
 * <p>Thread safety: {@link #forward} may run on many threads at once; each call needs its own output. Closing
 * is idempotent and waits for nothing: calls already running finish normally and the plan is given back when
 * the last ends; calls after close throw {@link IllegalStateException}.
 *
 * <p>Cancellation: interrupting a thread inside {@link #forward} makes it stop at the backend's next task
 * boundary and throw {@link ConvolutionInterruptedException} (a {@link java.util.concurrent.CancellationException})
 * with the interrupt flag still set; the output then holds partial results.
 */
public final class ConvolutionPlan implements AutoCloseable {
    /** Staging sets kept for tensors that are not whole arrays (see {@link Tensor}). */
    private static final int MAX_IDLE_STAGING = 2;

    private final ConvGeometry geometry;
    private final int[] inputShape;
    private final int[] weightShape;
    private final int[] outputShape;
    private final boolean hasBias;
    private final Options options;
    private final Selection selection;
    private final PlanLease lease;   // null when the output is empty: nothing to plan
    /** 1 for this object while open, plus one per running call; the lease goes back when it reaches 0. */
    private final AtomicInteger holders = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConcurrentLinkedQueue<float[][]> staging = new ConcurrentLinkedQueue<>();

    private ConvolutionPlan(ConvGeometry geometry, int[] inputShape, boolean hasBias, Options options,
                            Selection selection, PostOp postOp) {
        this.geometry = geometry;
        this.inputShape = inputShape.clone();
        this.weightShape = geometry.weightShape();
        this.outputShape = inputShape.length == 3 ? Arrays.copyOfRange(geometry.outputShape(), 1, 4)
                : geometry.outputShape();
        this.hasBias = hasBias;
        this.options = options;
        this.selection = selection;
        this.lease = outputElements() == 0 ? null : selection.backend().lease(geometry, postOp);
    }

    /**
     * Checks the shapes and parameters, picks the backend and prepares (or finds cached) its plan.
     *
     * @throws IllegalArgumentException for shapes or parameters PyTorch rejects, with PyTorch's message
     * @throws dev.jconv.backend.BackendUnavailableException when the requested backend cannot run here, or none can
     */
    public static ConvolutionPlan create(int[] inputShape, int[] weightShape, boolean hasBias, ConvParams params,
                                         Options options) {
        int[] biasShape = hasBias ? new int[] {weightShape.length > 0 ? weightShape[0] : 0} : null;
        return create(inputShape, weightShape, biasShape, params, options);
    }

    /** {@link #create} with {@link Options#defaults()}. */
    public static ConvolutionPlan create(int[] inputShape, int[] weightShape, boolean hasBias, ConvParams params) {
        return create(inputShape, weightShape, hasBias, params, Options.defaults());
    }

    /**
     * {@link #create} for a bias of {@code biasShape} (null for none), which is checked as PyTorch checks it: the
     * form for callers that hold the bias already.
     */
    public static ConvolutionPlan create(int[] inputShape, int[] weightShape, int[] biasShape, ConvParams params,
                                         Options options) {
        return create(inputShape, weightShape, biasShape, params, options, g -> Backends.select(options, g));
    }

    /** {@link #create(int[], int[], int[], ConvParams, Options)} with the backend chosen by {@code selector} (tools, tests). */
    public static ConvolutionPlan create(int[] inputShape, int[] weightShape, int[] biasShape, ConvParams params,
                                         Options options, Function<ConvGeometry, Selection> selector) {
        ConvGeometry g = ConvValidator.checkForward(inputShape, weightShape, biasShape, params);
        ConvValidator.checkOutputFits(g);
        return new ConvolutionPlan(g, inputShape, biasShape != null, options, selector.apply(g), PostOp.NONE);
    }

    /**
     * {@link #create(int[], int[], int[], ConvParams, Options)} followed by {@code postOp} on every output element
     * ({@code relu(conv2d(...))}), fused into the pass that writes the output where the backend can, as a separate
     * pass otherwise; {@link #describe()} says which.
     */
    public static ConvolutionPlan create(int[] inputShape, int[] weightShape, int[] biasShape, ConvParams params,
                                         Options options, PostOp postOp) {
        ConvGeometry g = ConvValidator.checkForward(inputShape, weightShape, biasShape, params);
        ConvValidator.checkOutputFits(g);
        return new ConvolutionPlan(g, inputShape, biasShape != null, options, Backends.select(options, g), postOp);
    }

    /**
     * Computes {@code output = conv2d(input, weight, bias)} into {@code output}, which must have
     * {@link #outputShape()}; {@code bias} must be null exactly when the plan was made without one. Every output
     * element is written. Tensors that are whole arrays are used in place; views are copied through staging
     * arrays this plan keeps ({@link Tensor}). A weight that is a whole array with a version ({@link Tensor}) is
     * passed with it, so that plans preparing weights once per version reuse them without comparing.
     */
    public void forward(Tensor input, Tensor weight, Tensor bias, Tensor output) {
        checkOperands(input.shape(), weight.shape(), bias == null ? null : bias.shape(), output.shape());
        hold();
        try {
            if (lease == null) {
                return;
            }
            ConvPlan plan = lease.plan();
            if (input.isWholeArray() && weight.isWholeArray() && (bias == null || bias.isWholeArray())
                    && output.isWholeArray()) {
                plan.forward(input.inPlace(), weight.inPlace(), weight.version(),
                        bias == null ? null : bias.inPlace(), output.inPlace());
                output.wrote();
                return;
            }
            float[][] s = takeStaging();
            try {
                float[] in = stage(input, s, 0);
                float[] w = stage(weight, s, 1);
                float[] b = bias == null ? null : stage(bias, s, 2);
                float[] out = output.isWholeArray() ? output.inPlace() : slot(s, 3, output.numel());
                plan.forward(in, w, b, out);
                if (output.isWholeArray()) {
                    output.wrote();
                } else {
                    output.copyFrom(out, 0);
                }
            } finally {
                giveStaging(s);
            }
        } finally {
            release();
        }
    }

    /** {@link #forward(Tensor, Tensor, Tensor, Tensor)} into a new output tensor. */
    public Tensor forward(Tensor input, Tensor weight, Tensor bias) {
        Tensor out = Tensor.zeros(outputShape);
        forward(input, weight, bias, out);
        return out;
    }

    /**
     * Runs on device memory (GPU backends only: {@link #runsOnDevice()}), with batched shapes as planned
     * (an unbatched plan takes {@code (1, C, H, W)}). With a stream, queues the work on it and returns at once;
     * with {@code stream == null}, runs on a stream of jconv's and returns when the output is written. Every tensor
     * and the stream must be on the plan's device.
     */
    public void forward(DeviceTensorRef input, DeviceTensorRef weight, DeviceTensorRef bias, DeviceTensorRef output,
                        StreamRef stream) {
        ConvValidator.checkShape("input", geometry.inputShape(), input.shape());
        ConvValidator.checkShape("weight", weightShape, weight.shape());
        checkBias(bias == null ? null : bias.shape());
        ConvValidator.checkShape("output", geometry.outputShape(), output.shape());
        hold();
        try {
            if (lease == null) {
                return;
            }
            if (!(lease.plan() instanceof DevicePlan device)) {
                throw new UnsupportedOperationException("backend " + backend() + " runs on host memory only; "
                        + "device tensors need a GPU backend (cudnn, cuda-ptx or cublas)");
            }
            device.forward(input, weight, bias, output, stream);
        } finally {
            release();
        }
    }

    /** Whether this plan's backend runs on device memory ({@link #forward(DeviceTensorRef, DeviceTensorRef, DeviceTensorRef, DeviceTensorRef, StreamRef)}). */
    public boolean runsOnDevice() {
        return lease != null && lease.plan() instanceof DevicePlan;
    }

    /** The input shape planned for, as given (3-D for unbatched). */
    public int[] inputShape() {
        return inputShape.clone();
    }

    public int[] weightShape() {
        return weightShape.clone();
    }

    /** The output shape: {@code (N, K, Hout, Wout)}, or {@code (K, Hout, Wout)} for unbatched input. */
    public int[] outputShape() {
        return outputShape.clone();
    }

    public boolean hasBias() {
        return hasBias;
    }

    /** Everything resolved: batch-first sizes, the padding applied on each side, the output size. */
    public ConvGeometry geometry() {
        return geometry;
    }

    public Options options() {
        return options;
    }

    /** The backend that runs, e.g. {@code cpu}. */
    public String backend() {
        return selection.backend().name();
    }

    /** Why that backend: requested by name, or which ones {@code auto} passed over and why. */
    public String selectionReason() {
        return selection.reason();
    }

    /** How it computes (the algorithm chosen for these shapes), one line; for an empty output, says so. */
    public String describe() {
        return lease == null ? "none, the output is empty" : lease.plan().describe();
    }

    /** Bytes this plan keeps between calls: the backend plan's ({@link ConvPlan#retainedBytes()}) and staging. */
    public long retainedBytes() {
        long bytes = lease == null ? 0 : lease.plan().retainedBytes();
        for (float[][] s : staging) {
            for (float[] a : s) {
                bytes += a == null ? 0 : (long) a.length * Float.BYTES;
            }
        }
        return bytes;
    }

    /** Gives the backend plan back to its cache (when calls still running end); idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    @Override
    public String toString() {
        return "ConvolutionPlan(input " + Shapes.format(inputShape) + " * weight " + Shapes.format(weightShape)
                + (hasBias ? " + bias" : "") + " -> " + Shapes.format(outputShape) + " on " + backend() + ": "
                + describe() + ")";
    }

    private long outputElements() {
        long n = 1;
        for (int s : geometry.outputShape()) {
            n *= s;
        }
        return n;
    }

    private void checkOperands(int[] input, int[] weight, int[] bias, int[] output) {
        ConvValidator.checkShape("input", inputShape, input);
        ConvValidator.checkShape("weight", weightShape, weight);
        checkBias(bias);
        ConvValidator.checkShape("output", outputShape, output);
    }

    private void checkBias(int[] bias) {
        if (hasBias && bias == null) {
            throw new IllegalArgumentException("this plan was made with a bias of size "
                    + Shapes.format(geometry.outChannels()) + ", but none was given");
        }
        if (!hasBias && bias != null) {
            throw new IllegalArgumentException("this plan was made without bias, but got a bias of size "
                    + Shapes.format(bias));
        }
        if (bias != null) {
            ConvValidator.checkShape("bias", new int[] {geometry.outChannels()}, bias);
        }
    }

    private void hold() {
        for (int h = holders.get(); ; h = holders.get()) {
            if (h == 0 || closed.get()) {
                throw new IllegalStateException(this + " is closed");
            }
            if (holders.compareAndSet(h, h + 1)) {
                return;
            }
        }
    }

    private void release() {
        if (holders.decrementAndGet() == 0 && lease != null) {
            lease.close();
        }
    }

    private float[][] takeStaging() {
        float[][] s = staging.poll();
        return s != null ? s : new float[4][];
    }

    private void giveStaging(float[][] s) {
        if (staging.size() < MAX_IDLE_STAGING) {
            staging.offer(s);
        }
    }

    /** {@code t}'s elements as a whole array: itself if it is one, else copied into staging slot {@code slot}. */
    private static float[] stage(Tensor t, float[][] s, int slot) {
        if (t.isWholeArray()) {
            return t.inPlace(); // read only
        }
        float[] a = slot(s, slot, t.numel());
        t.copyTo(a, 0);
        return a;
    }

    private static float[] slot(float[][] s, int slot, long length) {
        if (s[slot] == null || s[slot].length != length) {
            s[slot] = new float[(int) length];
        }
        return s[slot];
    }
}
