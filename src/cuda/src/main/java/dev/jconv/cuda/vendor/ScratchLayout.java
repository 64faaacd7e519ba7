package dev.jconv.cuda.vendor;

/**
 * Where a forward call on host arrays puts its operands in one device scratch allocation (and the
 * same offsets in its pinned staging buffer): input, weight, bias, output, then the call's temporary
 * region (padded input, column matrix), each start aligned to {@value #ALIGN} bytes for coalesced and
 * vector access. Pure arithmetic.
 */
public record ScratchLayout(long input, long weight, long bias, long output, long temp, long stagedBytes, long totalBytes) {
    public static final long ALIGN = 256;

    /** Offsets for operands of these sizes (in floats; {@code biasFloats} 0 for none) and {@code tempBytes} of temporary space. */
    public static ScratchLayout of(long inputFloats, long weightFloats, long biasFloats, long outputFloats, long tempBytes) {
        long input = 0;
        long weight = align(input + 4 * inputFloats);
        long bias = align(weight + 4 * weightFloats);
        long output = align(bias + 4 * biasFloats);
        long staged = output + 4 * outputFloats;
        long temp = align(staged);
        return new ScratchLayout(input, weight, bias, output, temp, staged, temp + tempBytes);
    }

    public static long align(long offset) {
        return (offset + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** In words, for out-of-memory messages. */
    public String breakdown(long inputFloats, long weightFloats, long biasFloats, long outputFloats, String tempRole) {
        return "input " + DeviceMemory.bytes(4 * inputFloats) + ", weight " + DeviceMemory.bytes(4 * weightFloats)
                + (biasFloats > 0 ? ", bias " + DeviceMemory.bytes(4 * biasFloats) : "")
                + ", output " + DeviceMemory.bytes(4 * outputFloats)
                + (totalBytes > temp ? ", " + tempRole + " " + DeviceMemory.bytes(totalBytes - temp) : "");
    }
}
