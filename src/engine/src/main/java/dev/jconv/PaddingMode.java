package dev.jconv;

import java.util.Locale;

/**
 * How a convolution reads outside the input: PyTorch's {@code padding_mode}. Every non-zero mode
 * is an index mapping from a padded coordinate back into the input, which is how every backend
 * implements it (see {@link #sourceIndex}).
 */
public enum PaddingMode {
    ZEROS, REFLECT, REPLICATE, CIRCULAR;

    /** The name PyTorch uses, e.g. {@code "reflect"}. */
    public String pytorchName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses PyTorch's name, rejecting others with PyTorch's message. */
    public static PaddingMode parse(String name) {
        for (PaddingMode m : values()) {
            if (m.pytorchName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(ConvValidator.invalidPaddingMode(name));
    }

    /**
     * Maps coordinate {@code i} of the padded axis (which may lie in {@code [-pad, size + pad)}) to
     * the input coordinate it reads, or -1 where the value is zero. Reflect mirrors without repeating
     * the edge ({@code -1 -> 1}), replicate clamps, circular wraps. The coordinate is 64-bit because
     * {@code y * stride + r * dilation} can pass 2^31; the validator keeps reflect and circular padding below
     * the input size, so their results always lie in the input.
     */
    public int sourceIndex(long i, int size) {
        if (i >= 0 && i < size) {
            return (int) i;
        }
        switch (this) {
            case ZEROS:
                return -1;
            case REFLECT:
                return (int) (i < 0 ? -i : 2L * (size - 1) - i);
            case REPLICATE:
                return i < 0 ? 0 : size - 1;
            case CIRCULAR:
                return (int) Math.floorMod(i, (long) size);
            default:
                throw new AssertionError(this);
        }
    }
}
