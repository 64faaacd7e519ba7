package dev.jconv.viz;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Functional;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import java.util.ArrayList;
import java.util.List;

/**
 * The output of one convolution of one image, ready to draw: the maps {@code (C, H, W)}, a title per
 * channel and a one-line caption saying what produced them.
 */
public record FeatureMaps(Tensor maps, List<String> titles, String caption) {

    public FeatureMaps {
        if (maps.dim() != 3) {
            throw new IllegalArgumentException("feature maps must be (C, H, W), got size " + Shapes.format(maps.shape()));
        }
        if (titles.size() != maps.size(0)) {
            throw new IllegalArgumentException(titles.size() + " titles for " + maps.size(0) + " maps");
        }
        titles = List.copyOf(titles);
    }

    public int channels() {
        return maps.size(0);
    }

    public int height() {
        return maps.size(1);
    }

    public int width() {
        return maps.size(2);
    }

    /**
     * Convolves a {@code (1, C, H, W)} input with {@code weight} (or, when it is null, with the
     * {@link FilterBank#CLASSIC classic filters}) on the named backend.
     *
     * @param inputName how the caption names the input, e.g. its file name
     */
    public static FeatureMaps convolve(Tensor input, Tensor weight, Tensor bias, ConvParams params, String backend,
                                       String inputName) {
        boolean builtIn = weight == null;
        if (builtIn) {
            if (bias != null) {
                throw new IllegalArgumentException("--bias needs --weight: the built-in filters have no bias");
            }
            if (params.groups() != 1) {
                throw new IllegalArgumentException("--groups " + params.groups() + " needs --weight: the built-in "
                        + "filters read every input channel (groups=1)");
            }
            weight = FilterBank.weight(input.size(1));
        }
        ConvGeometry g = ConvValidator.checkForward(input.shape(), weight.shape(),
                bias == null ? null : bias.shape(), params);
        String backendName = Backends.select(backend, g).backend().name();
        Tensor out = Functional.conv2d(input, weight, bias, params, backendName);
        Tensor maps = out.reshape(g.outChannels(), g.outHeight(), g.outWidth());
        List<String> titles = new ArrayList<>();
        for (int c = 0; c < g.outChannels(); c++) {
            titles.add(builtIn ? FilterBank.CLASSIC.get(c).title() : "channel " + c);
        }
        String caption = inputName + " " + Shapes.format(input.shape()) + "  \u2192  conv2d("
                + (builtIn ? "built-in filters on luminance" : "weight " + Shapes.format(weight.shape()))
                + describe(params) + (bias != null ? ", bias" : "") + ") on " + backendName
                + "  \u2192  " + Shapes.format(g.outChannels(), g.outHeight(), g.outWidth());
        return new FeatureMaps(maps, titles, caption);
    }

    /** The non-default parameters, PyTorch-style, each preceded by ", ". */
    private static String describe(ConvParams p) {
        StringBuilder s = new StringBuilder();
        if (p.isStrided()) {
            s.append(", stride=").append(Shapes.tuple(p.strideH(), p.strideW()));
        }
        if (!p.padding().equals(Padding.of(0))) {
            s.append(", padding=").append(p.padding());
        }
        if (p.isDilated()) {
            s.append(", dilation=").append(Shapes.tuple(p.dilationH(), p.dilationW()));
        }
        if (p.groups() != 1) {
            s.append(", groups=").append(p.groups());
        }
        if (p.paddingMode() != PaddingMode.ZEROS) {
            s.append(", padding_mode=").append(p.paddingMode().pytorchName());
        }
        return s.toString();
    }
}
