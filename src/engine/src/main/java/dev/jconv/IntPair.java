package dev.jconv;

/** PyTorch's "int or pair of ints" arguments, written {@code 2} or {@code 2,1} on the command line. */
public final class IntPair {
    private IntPair() {}

    /** Parses {@code "2"} as {@code [2, 2]} and {@code "2,1"} as {@code [2, 1]}. */
    public static int[] parse(String text, String what) {
        String[] parts = text.trim().split("\\s*,\\s*");
        try {
            if (parts.length == 1) {
                int v = Integer.parseInt(parts[0]);
                return new int[] {v, v};
            }
            if (parts.length == 2) {
                return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(what + " must be an integer or a pair of integers like 2,1, but got '" + text + "'");
    }
}
