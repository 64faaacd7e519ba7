package dev.jconv;

/**
 * PyTorch's {@code padding} argument: explicit sizes per side of each spatial axis, or the strings
 * {@code "same"} and {@code "valid"}. Explicit padding is symmetric, like PyTorch's integer pair.
 */
public record Padding(Kind kind, int height, int width) {

    public enum Kind { EXPLICIT, SAME, VALID }

    public static final Padding SAME = new Padding(Kind.SAME, 0, 0);
    public static final Padding VALID = new Padding(Kind.VALID, 0, 0);

    public static Padding of(int both) {
        return new Padding(Kind.EXPLICIT, both, both);
    }

    public static Padding of(int height, int width) {
        return new Padding(Kind.EXPLICIT, height, width);
    }

    /** Parses {@code "same"}, {@code "valid"}, {@code "1"} or {@code "1,2"} (height, width). */
    public static Padding parse(String text) {
        String t = text.trim();
        if (t.equals("same")) {
            return SAME;
        }
        if (t.equals("valid")) {
            return VALID;
        }
        if (!t.matches("-?\\d+(\\s*,\\s*-?\\d+)?")) {
            throw new IllegalArgumentException(ConvValidator.invalidPaddingString(t));
        }
        int[] v = IntPair.parse(t, "padding");
        return of(v[0], v[1]);
    }

    /** PyTorch's repr: {@code (1, 1)}, {@code same} or {@code valid}. */
    @Override
    public String toString() {
        return switch (kind) {
            case SAME -> "same";
            case VALID -> "valid";
            case EXPLICIT -> Shapes.tuple(height, width);
        };
    }

    /** Whether PyTorch's repr shows this padding (it hides explicit zero padding). */
    boolean isDefault() {
        return kind == Kind.EXPLICIT && height == 0 && width == 0;
    }
}
