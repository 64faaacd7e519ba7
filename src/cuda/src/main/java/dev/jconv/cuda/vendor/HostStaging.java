package dev.jconv.cuda.vendor;

import dev.jconv.ConvGeometry;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaStream;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.PinnedHostBuffer;
import dev.jconv.cuda.StreamPool;

/**
 * {@code ConvPlan.forward} on host arrays for a plan that works on device pointers: borrows a stream,
 * uploads input, weight and bias in one pinned copy into the stream's scratch memory (laid out by
 * {@link ScratchLayout}), runs the plan's device work there, downloads the output and waits. Arrays
 * too large to stage at once (over 2 GiB together) are copied piece by piece through the stream's
 * pinned buffer instead ({@link DeviceBuffer#copyFrom(float[], int, long, int, CudaStream)}).
 * The one host-array path of every CUDA backend (cuda-ptx, cudnn, cublas).
 */
public final class HostStaging {
    private static final long MAX_STAGING_BYTES = Integer.MAX_VALUE;

    /**
     * The device part of one forward call, operands as raw device addresses: {@code bias} is 0 for none; {@code temp}
     * is {@code tempBytes} of scratch.
     */
    @FunctionalInterface
    public interface DeviceWork {
        void run(long input, long weight, long bias, long output, long temp, CudaStream stream);
    }

    private HostStaging() {}

    /** Checks the array lengths against {@code g}, then runs {@code work} as described above. */
    public static void forward(String backend, ConvGeometry g, CudaDevice device, float[] input, float[] weight,
                               float[] bias, float[] output, long tempBytes, String tempRole, DeviceWork work) {
        checkLength("input", input.length, (long) g.batch() * g.inChannels() * g.inHeight() * g.inWidth());
        checkLength("weight", weight.length, (long) g.outChannels() * g.inChannelsPerGroup() * g.kernelH() * g.kernelW());
        if (bias != null) {
            checkLength("bias", bias.length, g.outChannels());
        }
        checkLength("output", output.length, (long) g.batch() * g.outChannels() * g.outHeight() * g.outWidth());
        if (output.length == 0) {
            return;
        }
        int biasLength = bias == null ? 0 : bias.length;
        ScratchLayout at = ScratchLayout.of(input.length, weight.length, biasLength, output.length, tempBytes);
        try (StreamPool.Lease lease = device.streams().lease()) {
            CudaStream stream = lease.stream();
            DeviceBuffer scratch;
            PinnedHostBuffer staging = null;
            try {
                scratch = stream.scratch(at.totalBytes());
                if (at.stagedBytes() <= MAX_STAGING_BYTES) {
                    staging = stream.staging(at.stagedBytes());
                }
            } catch (RuntimeException e) {
                if (DeviceMemory.isOutOfMemory(e)) {
                    throw DeviceMemory.outOfMemory(backend + " forward for input " + dims(g.inputShape()) + " (device scratch)",
                            at.totalBytes(), at.breakdown(input.length, weight.length, biasLength, output.length, tempRole),
                            device);
                }
                throw e;
            }
            long biasAddress = bias == null ? 0 : scratch.address(at.bias());
            if (staging != null) {
                staging.put(at.input() / 4, input);
                staging.put(at.weight() / 4, weight);
                if (bias != null) {
                    staging.put(at.bias() / 4, bias);
                }
                scratch.copyFromAsync(staging, 0, 0, at.output(), stream);
                work.run(scratch.address(at.input()), scratch.address(at.weight()), biasAddress,
                        scratch.address(at.output()), scratch.address(at.temp()), stream);
                scratch.copyToAsync(at.output(), staging, at.output(), 4L * output.length, stream);
                stream.synchronize();
                staging.get(at.output() / 4, output);
            } else {
                scratch.copyFrom(input, 0, at.input(), input.length, stream);
                scratch.copyFrom(weight, 0, at.weight(), weight.length, stream);
                if (bias != null) {
                    scratch.copyFrom(bias, 0, at.bias(), bias.length, stream);
                }
                work.run(scratch.address(at.input()), scratch.address(at.weight()), biasAddress,
                        scratch.address(at.output()), scratch.address(at.temp()), stream);
                scratch.copyTo(at.output(), output, 0, output.length, stream);
            }
        }
    }

    /**
     * The device address of temporary space for a call on device tensors (0 for none): the stream's scratch, with a
     * sized error when it cannot grow.
     */
    public static long temp(String backend, ConvGeometry g, CudaDevice device, CudaStream stream, long tempBytes,
                                   String tempRole) {
        if (tempBytes == 0) {
            return 0;
        }
        try {
            return stream.scratch(tempBytes).address();
        } catch (RuntimeException e) {
            if (DeviceMemory.isOutOfMemory(e)) {
                throw DeviceMemory.outOfMemory(backend + " forward for input " + dims(g.inputShape()) + " (" + tempRole + ")",
                        tempBytes, null, device);
            }
            throw e;
        }
    }

    private static String dims(int[] shape) {
        return java.util.Arrays.toString(shape);
    }

    private static void checkLength(String role, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(role + " array has " + actual + " elements, the plan's geometry needs " + expected);
        }
    }
}
