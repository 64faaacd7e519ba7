package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;

/**
 * A {@code cuda-ptx} plan for one geometry: the kernel and launch configuration chosen once by
 * {@link LaunchPlanner}, and the device tap table the implicit GEMM reads. Forward calls make no
 * decisions and allocate nothing after the first call on a stream; any number of threads may call
 * them at once (each borrows its own stream).
 */
final class PtxPlan implements DeviceConvPlan {
    /** Offsets inside the per-stream scratch are aligned for float4 loads and coalescing. */
    private static final long ALIGN = 256;
    /** Largest pinned staging buffer; beyond it, host arrays are copied synchronously instead. */
    private static final long MAX_STAGING_BYTES = Integer.MAX_VALUE;

    private final ConvGeometry geometry;
    private final CudaDevice device;
    private final ConvLaunch launch;  // null when the output is empty
    private final CudaKernel kernel;
    private final DeviceBuffer taps;   // null when the kernel needs none
    private final AtomicBoolean closed = new AtomicBoolean();

    PtxPlan(ConvGeometry geometry, CudaDevice device, ConvLaunch launch, CudaKernel kernel, DeviceBuffer taps) {
        this.geometry = geometry;
        this.device = device;
        this.launch = launch;
        this.kernel = kernel;
        this.taps = taps;
    }

    @Override
    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public CudaDevice device() {
        return device;
    }

    /** The chosen launch, or null for an empty output. */
    ConvLaunch launch() {
        return launch;
    }

    @Override
    public String describe() {
        return launch == null ? "empty output, nothing to launch" : launch.describe() + " on " + device.describe();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        forward(input, weight, bias, output, false);
    }

    /** Host arrays in, host array out, with ReLU in the kernels' epilogue when {@code fuseRelu}. */
    private void forward(float[] input, float[] weight, float[] bias, float[] output, boolean fuseRelu) {
        ensureOpen();
        ConvGeometry g = geometry;
        checkLength("input", input.length, (long) g.batch() * g.inChannels() * g.inHeight() * g.inWidth());
        checkLength("weight", weight.length, (long) g.outChannels() * g.inChannelsPerGroup() * g.kernelH() * g.kernelW());
        if (bias != null) {
            checkLength("bias", bias.length, g.outChannels());
        }
        checkLength("output", output.length, LaunchPlanner.outputElements(g));
        if (launch == null) {
            return;
        }
        long inOffset = 0;
        long weightOffset = align(inOffset + bytes(input));
        long biasOffset = align(weightOffset + bytes(weight));
        long outOffset = align(biasOffset + (bias == null ? 0 : bytes(bias)));
        long total = outOffset + bytes(output);
        try (StreamPool.Lease lease = device.streams().lease()) {
            CudaStream stream = lease.stream();
            DeviceBuffer scratch = stream.scratch(total);
            if (total <= MAX_STAGING_BYTES) {
                // one pinned upload of input, weight and bias; one pinned download of the output
                PinnedHostBuffer staging = stream.staging(total);
                staging.put(inOffset / Sizeof.FLOAT, input);
                staging.put(weightOffset / Sizeof.FLOAT, weight);
                if (bias != null) {
                    staging.put(biasOffset / Sizeof.FLOAT, bias);
                }
                scratch.copyFromAsync(staging, 0, 0, outOffset, stream);
                launch(scratch, inOffset, weightOffset, bias == null ? -1 : biasOffset, outOffset, stream, fuseRelu);
                scratch.copyToAsync(outOffset, staging, outOffset, bytes(output), stream);
                stream.synchronize();
                staging.get(outOffset / Sizeof.FLOAT, output);
            } else {
                // too big to stage: synchronous copies, ordered by the legacy default stream
                scratch.copyFrom(input, 0, inOffset, input.length);
                scratch.copyFrom(weight, 0, weightOffset, weight.length);
                if (bias != null) {
                    scratch.copyFrom(bias, 0, biasOffset, bias.length);
                }
                launch(scratch, inOffset, weightOffset, bias == null ? -1 : biasOffset, outOffset, stream, fuseRelu);
                stream.synchronize();
                scratch.copyTo(outOffset, output, 0, output.length);
            }
        }
    }

    private void launch(DeviceBuffer scratch, long in, long weight, long bias, long out, CudaStream stream,
                        boolean fuseRelu) {
        run(scratch.pointer(in), scratch.pointer(weight), bias < 0 ? null : scratch.pointer(bias), scratch.pointer(out),
                stream, fuseRelu);
    }

    /**
     * This plan with {@code postOp} in the kernels' epilogue (their {@code fuse_relu} flag): a view sharing the
     * launch and tap table; closing it closes nothing (the backend's cache owns the plan).
     */
    DeviceConvPlan withPostOp(PostOp postOp) {
        if (postOp == PostOp.NONE) {
            return this;
        }
        PtxPlan plan = this;
        return new DeviceConvPlan() {
            @Override
            public CudaDevice device() {
                return device;
            }

            @Override
            public ConvGeometry geometry() {
                return geometry;
            }

            @Override
            public void forward(float[] input, float[] weight, float[] bias, float[] output) {
                plan.forward(input, weight, bias, output, true);
            }

            @Override
            public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                                     CudaStream stream) {
                plan.forwardAsync(input, weight, bias, output, stream, true);
            }

            @Override
            public String describe() {
                return plan.describe() + ", ReLU fused into the kernel's epilogue";
            }

            @Override
            public void close() {
                // the backend's cached plan owns the tap table
            }
        };
    }

    @Override
    public void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output) {
        forward(input, weight, bias, output, false);
    }

    /** {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor)} with ReLU fused after the bias. */
    public void forward(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, boolean fuseRelu) {
        try (StreamPool.Lease lease = device.streams().lease()) {
            forwardAsync(input, weight, bias, output, lease.stream(), fuseRelu);
            lease.stream().synchronize();
        }
    }

    @Override
    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream) {
        forwardAsync(input, weight, bias, output, stream, false);
    }

    public void forwardAsync(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
                             CudaStream stream, boolean fuseRelu) {
        ensureOpen();
        if (!DeviceConvPlan.checkOperands(geometry, device, input, weight, bias, output, stream)) {
            return;  // empty output: no launch was planned
        }
        run(input.pointer(), weight.pointer(), bias == null ? null : bias.pointer(), output.pointer(), stream, fuseRelu);
    }

    private void run(CUdeviceptr in, CUdeviceptr weight, CUdeviceptr bias, CUdeviceptr out, CudaStream stream,
                     boolean fuseRelu) {
        kernel.launch(launch.config(), stream,
                launch.arguments(in, weight, bias, out, taps == null ? null : taps.pointer(), fuseRelu));
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("cuda-ptx plan for " + geometry + " is closed and cannot be used any more");
        }
    }

    private static void checkLength(String role, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(role + " array has " + actual + " elements, the plan's geometry needs "
                    + expected);
        }
    }

    private static long bytes(float[] a) {
        return (long) a.length * Sizeof.FLOAT;
    }

    private static long align(long offset) {
        return (offset + ALIGN - 1) / ALIGN * ALIGN;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && taps != null) {
            taps.close();
        }
    }
}
