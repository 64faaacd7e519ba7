package dev.jconv;

import java.util.StringJoiner;

/** Shape formatting in PyTorch's notation. */
public final class Shapes {
    /** The most elements a tensor holds: the largest Java array every JVM allocates. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Shapes() {}

    /**
     * Elements of a tensor of this (non-negative) shape, in 64 bits, saturating at {@link Long#MAX_VALUE}; 0 if a
     * dimension is 0, however large the others.
     */
    public static long elements(long... shape) {
        long n = 1;
        for (long s : shape) {
            if (s == 0) {
                return 0;
            }
        }
        for (long s : shape) {
            if (n > Long.MAX_VALUE / s) {
                return Long.MAX_VALUE; // saturates: larger than any array anyway
            }
            n *= s;
        }
        return n;
    }

    /** {@link #elements(long...)} of an int shape. */
    public static long elements(int... shape) {
        return elements(java.util.Arrays.stream(shape).asLongStream().toArray());
    }

    /** {@code [2, 3, 32, 32]}, as PyTorch prints {@code tensor.shape} inside its error messages. */
    public static String format(int... shape) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int s : shape) {
            j.add(Integer.toString(s));
        }
        return j.toString();
    }

    /** {@code (3, 3)}, as PyTorch prints a tuple. */
    public static String tuple(int... values) {
        return tuple(java.util.Arrays.stream(values).asLongStream().toArray());
    }

    /** {@link #tuple(int...)} of 64-bit values. */
    public static String tuple(long... values) {
        StringJoiner j = new StringJoiner(", ", "(", values.length == 1 ? ",)" : ")");
        for (long s : values) {
            j.add(Long.toString(s));
        }
        return j.toString();
    }
}
