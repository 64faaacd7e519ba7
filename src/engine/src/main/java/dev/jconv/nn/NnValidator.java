package dev.jconv.nn;

import dev.jconv.Shapes;
import java.util.List;

/**
 * The checks of the {@code dev.jconv.nn} modules other than convolution ({@link dev.jconv.ConvValidator} owns
 * those) and the messages users see about them, in PyTorch 1.13's words (checked against {@code torch} 1.13's own
 * errors by the fixture generator's cases), in PyTorch's order. Every check runs before any work.
 */
public final class NnValidator {
    private NnValidator() {}

    /** {@code torch.empty(shape)}'s check, which {@code nn.Linear} and {@code nn.BatchNorm2d} meet at construction. */
    static void nonNegativeShape(int... shape) {
        for (int s : shape) {
            if (s < 0) {
                throw bad("Trying to create tensor with negative dimension " + s + ": " + Shapes.format(shape));
            }
        }
    }

    // ---- max_pool2d ----

    /**
     * {@code max_pool2d}'s checks for an input shape (3-D or 4-D) and the output height and width; {@code k, s,
     * p, d} are (height, width) pairs. The order is {@code max_pool2d_with_indices}': rank, then each axis's
     * {@code pooling_output_shape} (height first), then {@code pool2d_shape_check}.
     */
    static int[] checkMaxPool2d(int[] input, int[] k, int[] s, int[] p, int[] d, boolean ceilMode) {
        if (input.length != 3 && input.length != 4) {
            throw bad("non-empty 3D or 4D (batch mode) tensor expected for input");
        }
        int rank = input.length;
        int channels = input[rank - 3];
        int height = input[rank - 2];
        int width = input[rank - 1];
        long outH = poolingOutputSize(height, k[0], p[0], s[0], d[0], ceilMode);
        long outW = poolingOutputSize(width, k[1], p[1], s[1], d[1], ceilMode);
        if (k[0] <= 0 || k[1] <= 0) {
            throw bad("kernel size should be greater than zero, but got kH: " + k[0] + " kW: " + k[1]);
        }
        if (s[0] <= 0 || s[1] <= 0) {
            throw bad("stride should be greater than zero, but got dH: " + s[0] + " dW: " + s[1]);
        }
        if (d[0] <= 0 || d[1] <= 0) {
            throw bad("dilation should be greater than zero, but got dilationH: " + d[0] + " dilationW: " + d[1]);
        }
        if (channels == 0 || height == 0 || width == 0) {  // only the batch may be empty
            throw bad("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
                    + Shapes.format(input));
        }
        if (outH < 1 || outW < 1) {
            throw bad("Given input size: (" + channels + "x" + height + "x" + width + "). Calculated output size: ("
                    + channels + "x" + outH + "x" + outW + "). Output size is too small");
        }
        int[] out = input.clone();
        out[rank - 2] = (int) outH;
        out[rank - 1] = (int) outW;
        return out;
    }

    /**
     * PyTorch's {@code pooling_output_shape}: {@code floor((in + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s) + 1},
     * less one in ceil mode when the last window would start in the right padding.
     */
    private static long poolingOutputSize(long in, long k, long p, long s, long d, boolean ceilMode) {
        if (s == 0) {
            throw bad("stride should not be zero");
        }
        if (p < 0) {
            throw bad("pad must be non-negative, but got pad: " + p);
        }
        if (p > k / 2) {
            throw bad("pad should be at most half of kernel size, but got pad=" + p + " and kernel_size=" + k);
        }
        long out = Math.floorDiv(in + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0), s) + 1;
        if (ceilMode && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** The argument-count check of {@code max_pool2d}, for arguments written as tuples (spec files). */
    static void checkPoolArgumentArity(String name, int count) {
        switch (name) {
            case "kernel_size" -> {
                if (count != 1 && count != 2) {
                    throw bad("max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
                }
            }
            case "stride" -> {
                if (count > 2) {
                    throw bad("max_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
                }
            }
            case "padding" -> {
                if (count != 1 && count != 2) {
                    throw bad("max_pool2d: padding must be either be a single int, or a tuple of two ints");
                }
            }
            case "dilation" -> {
                if (count != 1 && count != 2) {
                    throw bad("max_pool2d: dilation must be either a single int, or a tuple of two ints");
                }
            }
            default -> throw new AssertionError(name);
        }
    }

    // ---- linear, flatten, batch_norm ----

    /** {@code F.linear}: the last dimension of the input must be {@code in_features}. */
    static void checkLinear(int[] input, int inFeatures, int outFeatures) {
        if (input.length == 0) {
            throw bad("both arguments to matmul need to be at least 1D, but they are 0D and 2D");
        }
        int last = input[input.length - 1];
        if (last != inFeatures) {
            long rows = 1;
            for (int i = 0; i < input.length - 1; i++) {
                rows *= input[i];
            }
            throw bad("mat1 and mat2 shapes cannot be multiplied (" + rows + "x" + last + " and " + inFeatures + "x"
                    + outFeatures + ")");
        }
    }

    /** {@code torch.flatten}'s dimension checks; returns the wrapped (start, end). */
    static int[] checkFlatten(int rank, int startDim, int endDim) {
        int start = wrapDim(startDim, rank);
        int end = wrapDim(endDim, rank);
        if (start > end) {
            throw bad("flatten() has invalid args: start_dim cannot come after end_dim");
        }
        return new int[] {start, end};
    }

    /** PyTorch's {@code maybe_wrap_dim}: a 0-d tensor counts as 1-d. */
    private static int wrapDim(int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IndexOutOfBoundsException("Dimension out of range (expected to be in range of [" + (-r) + ", "
                    + (r - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** {@code nn.BatchNorm2d}'s input check and {@code batch_norm}'s channel check. */
    static void checkBatchNorm2d(int[] input, int numFeatures, String perChannelTensor) {
        if (input.length != 4) {
            throw bad("expected 4D input (got " + input.length + "D input)");
        }
        if (perChannelTensor != null && input[1] != numFeatures) {
            throw bad(perChannelTensor + " should contain " + input[1] + " elements not " + numFeatures);
        }
    }

    // ---- load_state_dict(strict=True) ----

    /**
     * PyTorch's strict-load error: {@code Error(s) in loading state_dict for NAME:} then, each on a tab-indented
     * line, the missing keys, the unexpected keys and each size mismatch (that order, as PyTorch builds it).
     * Null when everything matched.
     */
    static String loadErrors(String modelName, List<String> missing, List<String> unexpected, List<String> mismatches) {
        if (missing.isEmpty() && unexpected.isEmpty() && mismatches.isEmpty()) {
            return null;
        }
        StringBuilder s = new StringBuilder("Error(s) in loading state_dict for ").append(modelName).append(':');
        if (!missing.isEmpty()) {
            s.append("\n\tMissing key(s) in state_dict: ").append(quoted(missing)).append(". ");
        }
        if (!unexpected.isEmpty()) {
            s.append("\n\tUnexpected key(s) in state_dict: ").append(quoted(unexpected)).append(". ");
        }
        for (String m : mismatches) {
            s.append("\n\t").append(m);
        }
        return s.toString();
    }

    static String sizeMismatch(String key, int[] checkpoint, int[] model) {
        return "size mismatch for " + key + ": copying a param with shape torch.Size(" + Shapes.format(checkpoint)
                + ") from checkpoint, the shape in current model is torch.Size(" + Shapes.format(model) + ").";
    }

    private static String quoted(List<String> keys) {
        StringBuilder s = new StringBuilder();
        for (String k : keys) {
            s.append(s.length() == 0 ? "" : ", ").append('"').append(k).append('"');
        }
        return s.toString();
    }

    private static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }
}
