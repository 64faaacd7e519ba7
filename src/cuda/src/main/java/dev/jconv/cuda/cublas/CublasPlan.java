package dev.jconv.cuda.cublas;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvolutionInterruptedException;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaKernel;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.DeviceTensor;
import dev.jconv.cuda.Im2colKernel;
import dev.jconv.cuda.cublas.GemmPlan.Call;
import dev.jconv.cuda.internal.RawHandles;
import dev.jconv.cuda.vendor.HostStaging;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;

/**
 * A {@code cublas} plan for one geometry: the {@link GemmPlan} (chunks, GEMM calls), the im2col kernel
 * (none for 1x1 stride-1 unpadded convolutions) and a device vector of ones for the bias epilogue.
 * The column matrix of a chunk lives in the calling stream's scratch memory, so concurrent calls on
 * different streams never share it.
 */
final class CublasPlan implements DeviceConvPlan {
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});

    private final ConvGeometry geometry;
    private final CudaDevice device;
    private final CublasHandles handles;
    private final CublasSettings settings;
    private final GemmPlan gemm;
    private final Im2colKernel im2col;     // null for pointwise
    private final CudaKernel im2colKernel; // null for pointwise
    private final DeviceBuffer ones;       // pixels() floats of 1.0
    private final AtomicBoolean closed = new AtomicBoolean();

    CublasPlan(ConvGeometry geometry, CudaDevice device, CublasHandles handles, CublasSettings settings, GemmPlan gemm,
               CudaKernel im2colKernel, DeviceBuffer ones) {
        this.geometry = geometry;
        this.device = device;
        this.handles = handles;
        this.settings = settings;
        this.gemm = gemm;
        this.im2col = gemm.pointwise() ? null : new Im2colKernel(geometry);
        this.im2colKernel = im2colKernel;
        this.ones = ones;
    }

    @Override
    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public CudaDevice device() {
        return device;
    }

    GemmPlan gemm() {
        return gemm;
    }

    @Override
    public String describe() {
        return "cuBLAS " + gemm.describe() + ", bias as a rank-1 GEMM the main GEMM accumulates onto, "
                + settings.describe() + " on " + device.describe();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        ensureOpen();
        HostStaging.forward(CublasBackend.NAME, geometry, device, input, weight, bias, output, gemm.columnBytes(),
                "im2col column matrix", this::run);
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        ensureOpen();
        ConvGeometry g = geometry;
        if (!DeviceConvPlan.checkOperands(g, device, input, weight, bias, output, stream)) {
            return;
        }
        long columns = HostStaging.temp(CublasBackend.NAME, g, device, stream, gemm.columnBytes(), "im2col column matrix");
        run(input.address(), weight.address(), bias == null ? 0 : bias.address(), output.address(), columns, stream);
    }

    /**
     * Queues, chunk by chunk, im2col (unless pointwise) and the GEMM calls on {@code stream}; operands are raw device
     * addresses, {@code bias} and {@code columns} 0 for none.
     */
    private void run(long input, long weight, long bias, long output, long columns, CudaStream stream) {
        ConvGeometry g = geometry;
        long imageFloats = (long) g.inChannels() * g.inHeight() * g.inWidth();
        Map<GemmPlan.Operand, Long> operands = new EnumMap<>(GemmPlan.Operand.class);
        operands.put(GemmPlan.Operand.INPUT, input);
        operands.put(GemmPlan.Operand.WEIGHT, weight);
        operands.put(GemmPlan.Operand.OUTPUT, output);
        operands.put(GemmPlan.Operand.ONES, ones.address());
        if (bias != 0) {
            operands.put(GemmPlan.Operand.BIAS, bias);
        }
        if (columns != 0) {
            operands.put(GemmPlan.Operand.COLUMNS, columns);
        }
        int mathMode = settings.allowTf32() ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH;
        try (var h = handles.lease(stream, mathMode)) {
            for (int n0 : gemm.chunkStarts()) {
                ConvolutionInterruptedException.throwIfInterrupted(); // between chunks of launches
                int images = Math.min(gemm.imagesPerChunk(), g.batch() - n0);
                if (im2col != null) {
                    im2col.launch(im2colKernel, input + 4 * n0 * imageFloats, columns, images, stream);
                }
                List<Call> calls = gemm.calls(n0, images, bias != 0);
                device.makeCurrent();
                for (Call c : calls) {
                    Cublas.check(JCublas2.cublasSgemmStridedBatched(h.handle(),
                            cublasOperation.CUBLAS_OP_N, cublasOperation.CUBLAS_OP_N, c.m(), c.n(), c.k(), ONE,
                            RawHandles.pointer(operands.get(c.a()) + 4 * c.aOffset()), c.lda(), c.strideA(),
                            RawHandles.pointer(operands.get(c.b()) + 4 * c.bOffset()), c.ldb(), c.strideB(),
                            c.beta() == 0f ? ZERO : ONE,
                            RawHandles.pointer(output + 4 * c.cOffset()), c.ldc(), c.strideC(), c.batch()),
                            "cublasSgemmStridedBatched(m=" + c.m() + ", n=" + c.n() + ", k=" + c.k() + ", batch=" + c.batch()
                                    + ", A=" + c.a() + ", B=" + c.b() + ")");
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("cublas plan for " + geometry + " is closed and cannot be used any more");
        }
    }

    /** The column of ones the bias GEMM reads (the im2col columns live in the stream's scratch). */
    @Override
    public long retainedBytes() {
        return ones.byteSize();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            ones.close();
        }
    }
}
