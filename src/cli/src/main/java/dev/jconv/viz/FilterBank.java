package dev.jconv.viz;

import dev.jconv.Tensor;
import java.util.List;

/**
 * The classic 3x3 image filters a newcomer can recognise at a glance, as one convolution weight.
 *
 * <p>Every filter reads all input channels at once, as any Conv2d filter does: its kernel is the classic
 * 3x3 kernel times a weight per input channel, the Rec. 601 luma weights (0.299, 0.587, 0.114) for an RGB
 * input and 1/C each otherwise. Convolution is linear, so this is exactly the classic filter applied to the
 * grayscale luminance of the picture, computed by the same Conv2d the rest of jconv runs. The kernels are
 * written for PyTorch's cross-correlation (no flip): Sobel x is positive where the image gets brighter to
 * the right, so it lights up vertical edges; Sobel y lights up horizontal ones.
 */
public final class FilterBank {

    /** One classic filter: a short name, the title drawn over its map, and its 3x3 kernel (row-major). */
    public record Filter(String name, String title, float[] kernel) {}

    /** Horizontal gradient: responds to vertical edges. */
    public static final Filter SOBEL_X = new Filter("sobel-x", "Sobel x (vertical edges)",
            new float[] {-1, 0, 1, -2, 0, 2, -1, 0, 1});
    /** Vertical gradient: responds to horizontal edges. */
    public static final Filter SOBEL_Y = new Filter("sobel-y", "Sobel y (horizontal edges)",
            new float[] {-1, -2, -1, 0, 0, 0, 1, 2, 1});
    public static final Filter LAPLACIAN = new Filter("laplacian", "Laplacian (all edges)",
            new float[] {0, 1, 0, 1, -4, 1, 0, 1, 0});
    public static final Filter BOX_BLUR = new Filter("box-blur", "Box blur",
            new float[] {1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f});
    public static final Filter SHARPEN = new Filter("sharpen", "Sharpen",
            new float[] {0, -1, 0, -1, 5, -1, 0, -1, 0});

    /** The bank, in output-channel order. */
    public static final List<Filter> CLASSIC = List.of(SOBEL_X, SOBEL_Y, LAPLACIAN, BOX_BLUR, SHARPEN);

    private static final float[] LUMA = {0.299f, 0.587f, 0.114f};

    private FilterBank() {}

    /** The weight {@code (5, inChannels, 3, 3)} applying {@link #CLASSIC} to the luminance of the input. */
    public static Tensor weight(int inChannels) {
        if (inChannels < 1) {
            throw new IllegalArgumentException("the built-in filters need an input with at least one channel, got "
                    + inChannels);
        }
        Tensor w = Tensor.zeros(CLASSIC.size(), inChannels, 3, 3);
        float[] d = w.data();
        for (int k = 0; k < CLASSIC.size(); k++) {
            float[] kernel = CLASSIC.get(k).kernel();
            for (int c = 0; c < inChannels; c++) {
                float share = inChannels == 3 ? LUMA[c] : 1f / inChannels;
                for (int i = 0; i < 9; i++) {
                    d[(k * inChannels + c) * 9 + i] = share * kernel[i];
                }
            }
        }
        return w;
    }

    /** The titles of the bank's maps, in output-channel order. */
    public static List<String> titles() {
        return CLASSIC.stream().map(Filter::title).toList();
    }
}
