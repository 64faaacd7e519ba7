package dev.jconv.bench;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;

/**
 * One benchmark layer, {@code N,C,H,W,K,R,S,P,D,G}: batch, in channels, height, width, out channels, square
 * kernel, stride, padding, dilation, groups (zeros padding, no bias). {@link #text} is the spec exactly as the
 * user wrote it, which reports repeat verbatim.
 */
public record LayerSpec(String text, int batch, int inChannels, int height, int width, int outChannels, int kernel,
                        int stride, int padding, int dilation, int groups) {

    static final String FORMAT = "N,C,H,W,K,R,S,P,D,G";
    private static final String[] NAMES = {"N", "C", "H", "W", "K", "R", "S", "P", "D", "G"};

    /**
     * Parses a spec; a malformed one, or one that is not a valid convolution, is an
     * {@link IllegalArgumentException} whose message quotes the spec (and, for invalid convolutions, PyTorch's
     * own wording from {@link ConvValidator}).
     */
    public static LayerSpec parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != NAMES.length) {
            throw new IllegalArgumentException("layer '" + text + "' must be " + NAMES.length
                    + " comma-separated integers " + FORMAT + ", got " + parts.length + " value"
                    + (parts.length == 1 ? "" : "s"));
        }
        int[] v = new int[NAMES.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("layer '" + text + "': " + NAMES[i] + " must be an integer, got '"
                        + parts[i].trim() + "'");
            }
            int least = i == 7 ? 0 : 1;
            if (v[i] < least) {
                throw new IllegalArgumentException("layer '" + text + "': " + NAMES[i] + " must be "
                        + (least == 0 ? "non-negative" : "positive") + ", got " + v[i]);
            }
        }
        LayerSpec spec = new LayerSpec(text, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
        try {
            spec.geometry();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + text + "': " + e.getMessage(), e);
        }
        return spec;
    }

    public int[] inputShape() {
        return new int[] {batch, inChannels, height, width};
    }

    public int[] weightShape() {
        return new int[] {outChannels, inChannels / groups, kernel, kernel};
    }

    public ConvParams params() {
        return new ConvParams(stride, stride, Padding.of(padding), dilation, dilation, groups, PaddingMode.ZEROS);
    }

    /** The resolved convolution; throws with PyTorch's message when the spec is not a valid one. */
    public ConvGeometry geometry() {
        return ConvValidator.checkForward(inputShape(), weightShape(), null, params());
    }

    /** {@code 2 * N * K * Hout * Wout * (C / G) * R * R}. */
    public double flops() {
        return geometry().flops();
    }

    @Override
    public String toString() {
        return text;
    }
}
