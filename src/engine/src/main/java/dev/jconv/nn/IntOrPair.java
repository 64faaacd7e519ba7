package dev.jconv.nn;

import dev.jconv.Shapes;

/**
 * A pooling argument as PyTorch keeps it: an int or a (height, width) pair, printed the way it was given
 * ({@code 2} or {@code (2, 3)}), as {@code nn.MaxPool2d}'s repr does.
 */
record IntOrPair(int height, int width, boolean pair) {

    static IntOrPair of(int both) {
        return new IntOrPair(both, both, false);
    }

    static IntOrPair of(int height, int width) {
        return new IntOrPair(height, width, true);
    }

    int[] values() {
        return new int[] {height, width};
    }

    @Override
    public String toString() {
        return pair ? Shapes.tuple(height, width) : Integer.toString(height);
    }
}
