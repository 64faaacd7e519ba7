package dev.jconv.cuda.cudnn;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.PostOp;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaKernel;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;
import dev.jconv.cuda.FusedPostOpView;
import dev.jconv.cuda.Pad2dKernel;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.internal.RawHandles;
import dev.jconv.cuda.vendor.HostStaging;
import dev.jconv.cuda.vendor.WorkspacePool;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnMathType;

/**
 * A {@code cudnn} plan for one geometry: descriptors, the chosen algorithm and math type, its workspace,
 * and the pad pass when cuDNN cannot pad the way PyTorch does. Made once per geometry by
 * {@link CudnnBackend}; forward calls make no decisions and allocate nothing after the first call on a
 * stream. Bias: with {@code IMPLICIT_PRECOMP_GEMM} (the only algorithm cuDNN allows with the identity
 * activation) the bias is fused into {@code cudnnConvolutionBiasActivationForward}; with any other
 * algorithm it is added by {@code cudnnAddTensor} afterwards. Restricting every shape to the fusable
 * algorithm would give up Winograd, FFT and the tensor-core kernels to save one pass over the output,
 * so the algorithm choice comes first and the bias follows it.
 *
 * <p>With the ReLU post-op ({@link #withPostOp}) bias and ReLU go through
 * {@code cudnnConvolutionBiasActivationForward} with a RELU activation, which cuDNN allows with every algorithm;
 * without a bias the API has nothing to add, so the convolution is followed by {@code cudnnActivationForward}
 * in place.
 */
final class CudnnPlan implements DeviceConvPlan {
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});

    private final ConvGeometry geometry;
    private final CudaDevice device;
    private final CudnnHandles handles;
    private final CudnnConvShape shape;
    private final Pad2dKernel padPass;   // null when cuDNN pads (or there is no padding)
    private final CudaKernel padKernel;  // null with padPass
    private final CudnnDescriptors descriptors;
    private final Candidate algorithm;
    private final WorkspacePool workspace;
    private final String how;
    private final AtomicBoolean closed = new AtomicBoolean();

    CudnnPlan(ConvGeometry geometry, CudaDevice device, CudnnHandles handles, CudnnConvShape shape, Pad2dKernel padPass,
              CudaKernel padKernel, CudnnDescriptors descriptors, Candidate algorithm, WorkspacePool workspace, String how) {
        this.geometry = geometry;
        this.device = device;
        this.handles = handles;
        this.shape = shape;
        this.padPass = padPass;
        this.padKernel = padKernel;
        this.descriptors = descriptors;
        this.algorithm = algorithm;
        this.workspace = workspace;
        this.how = how;
    }

    @Override
    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public CudaDevice device() {
        return device;
    }

    /** The chosen algorithm as cuDNN ranked it (for tests and {@code --explain}). */
    Candidate algorithm() {
        return algorithm;
    }

    CudnnConvShape shape() {
        return shape;
    }

    boolean fusesBias() {
        return algorithm.algo() == cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    }

    long workspaceBytes() {
        return workspace.bytes();
    }

    int workspaceBuffers() {
        return workspace.bufferCount();
    }

    @Override
    public String describe() {
        return "cuDNN " + Cudnn.versionString(Cudnn.version()) + " " + algorithm.algoName() + " ("
                + how + "), math " + cudnnMathType.stringFor(algorithm.mathType())
                + ", bias " + (fusesBias() ? "fused (cudnnConvolutionBiasActivationForward, identity)" : "by cudnnAddTensor")
                + ", " + (padPass == null ? "padding by cuDNN" : "pad pass (pad2d, " + geometry.paddingMode().pytorchName()
                + ") to " + shape.h() + "x" + shape.w()) + "; " + shape.describe() + " on " + device.describe();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        forward(input, weight, bias, output, PostOp.NONE);
    }

    private void forward(float[] input, float[] weight, float[] bias, float[] output, PostOp postOp) {
        ensureOpen();
        HostStaging.forward(CudnnBackend.NAME, geometry, device, input, weight, bias, output, padBytes(), "padded input",
                (i, w, b, o, t, s) -> run(i, w, b, o, t, s, postOp));
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        forwardAsync(input, weight, bias, output, stream, PostOp.NONE);
    }

    private void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                              CudaStream stream, PostOp postOp) {
        ensureOpen();
        ConvGeometry g = geometry;
        if (!DeviceConvPlan.checkOperands(g, device, input, weight, bias, output, stream)) {
            return;
        }
        long temp = HostStaging.temp(CudnnBackend.NAME, g, device, stream, padBytes(), "padded input");
        run(input.address(), weight.address(), bias == null ? 0 : bias.address(), output.address(), temp, stream, postOp);
    }

    /**
     * This plan with {@code postOp} applied by cuDNN as it writes the output: a view sharing the descriptors,
     * algorithm and workspace (closing it closes nothing; the backend's lease owns the plan).
     */
    DeviceConvPlan withPostOp(PostOp postOp) {
        if (postOp == PostOp.NONE) {
            return this;
        }
        return new FusedPostOpView(this, (in, w, b, out) -> forward(in, w, b, out, postOp),
                (in, w, b, out, stream) -> forwardAsync(in, w, b, out, stream, postOp),
                "ReLU fused (cudnnConvolutionBiasActivationForward, RELU; without bias cudnnActivationForward in place)");
    }

    private long padBytes() {
        return padPass == null ? 0 : padPass.outputBytes();
    }

    /**
     * Queues the pad pass (if any), the convolution, the bias and the post-op on {@code stream}; operands are raw
     * device addresses, {@code bias} 0 for none. JCuda pointers are made here, for the cuDNN calls only.
     */
    private void run(long input, long weight, long bias, long output, long temp, CudaStream stream, PostOp postOp) {
        ConvolutionInterruptedException.throwIfInterrupted(); // before the first launch, and between launches below
        long padded = input;
        if (padPass != null) {
            padPass.launch(padKernel, input, temp, stream);
            padded = temp;
            ConvolutionInterruptedException.throwIfInterrupted(); // between launches
        }
        Pointer x = RawHandles.pointer(padded);
        Pointer w = RawHandles.pointer(weight);
        Pointer y = RawHandles.pointer(output);
        Pointer b = RawHandles.pointer(bias);
        CudnnDescriptors d = descriptors;
        int algo = algorithm.algo();
        try (var h = handles.lease(stream); WorkspacePool.Lease ws = workspace.lease(stream)) {
            device.makeCurrent();
            Pointer workspaceMemory = RawHandles.pointer(ws.address());
            if (postOp == PostOp.RELU && bias != 0) {
                Cudnn.check(JCudnn.cudnnConvolutionBiasActivationForward(h.handle(), ONE, d.x, x, d.w, w, d.conv, algo,
                        workspaceMemory, ws.bytes(), ZERO, d.y, y, d.bias, b, d.relu, d.y, y),
                        "cudnnConvolutionBiasActivationForward(" + algorithm.algoName() + ", RELU, " + shape.describe() + ")");
            } else if (postOp == PostOp.RELU) {
                Cudnn.check(JCudnn.cudnnConvolutionForward(h.handle(), ONE, d.x, x, d.w, w, d.conv, algo,
                        workspaceMemory, ws.bytes(), ZERO, d.y, y),
                        "cudnnConvolutionForward(" + algorithm.algoName() + ", " + shape.describe() + ")");
                Cudnn.check(JCudnn.cudnnActivationForward(h.handle(), d.relu, ONE, d.y, y, ZERO, d.y, y),
                        "cudnnActivationForward(RELU, in place)");
            } else if (bias != 0 && fusesBias()) {
                Cudnn.check(JCudnn.cudnnConvolutionBiasActivationForward(h.handle(), ONE, d.x, x, d.w, w, d.conv, algo,
                        workspaceMemory, ws.bytes(), ZERO, d.y, y, d.bias, b, d.identity, d.y, y),
                        "cudnnConvolutionBiasActivationForward(" + algorithm.algoName() + ", " + shape.describe() + ")");
            } else {
                Cudnn.check(JCudnn.cudnnConvolutionForward(h.handle(), ONE, d.x, x, d.w, w, d.conv, algo,
                        workspaceMemory, ws.bytes(), ZERO, d.y, y),
                        "cudnnConvolutionForward(" + algorithm.algoName() + ", " + shape.describe() + ")");
                if (bias != 0) {
                    Cudnn.check(JCudnn.cudnnAddTensor(h.handle(), ONE, d.bias, b, ONE, d.y, y),
                            "cudnnAddTensor(bias [1, " + shape.k() + ", 1, 1] to y)");
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("cudnn plan for " + geometry + " is closed and cannot be used any more");
        }
    }

    /** The workspace buffers (one per stream that has used this plan). */
    @Override
    public long retainedBytes() {
        return workspace.bytes() * workspace.bufferCount();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                workspace.close();
            } finally {
                descriptors.close();
            }
        }
    }
}
