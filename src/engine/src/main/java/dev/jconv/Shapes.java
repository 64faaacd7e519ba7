package dev.jconv;

import java.util.StringJoiner;

/** Shape formatting in PyTorch's notation. */
public final class Shapes {
    private Shapes() {}

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
        StringJoiner j = new StringJoiner(", ", "(", values.length == 1 ? ",)" : ")");
        for (int s : values) {
            j.add(Integer.toString(s));
        }
        return j.toString();
    }
}
