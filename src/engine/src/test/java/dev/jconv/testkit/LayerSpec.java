package dev.jconv.testkit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.jconv.Conv2d;
import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;

/**
 * One {@code nn.Conv2d} configuration as the fixture generator recorded it, with what PyTorch said about
 * it: its repr, weight and bias shapes and parameter count.
 *
 * @param call the Python call that built the PyTorch layer, e.g. {@code nn.Conv2d(in_channels=3, ...)}
 * @param padding as PyTorch took it: {@code "same"}, {@code "valid"} or {@code "(h, w)"}
 */
public record LayerSpec(String call, int inChannels, int outChannels, int kernelH, int kernelW, ConvParams params,
                        String padding, boolean bias, String repr, int[] weightShape, int[] biasShape,
                        long parameterCount) {

    /** Reads the layer fields every fixture JSON shares. */
    public static LayerSpec fromJson(JsonObject o) {
        int[] k = Fixtures.ints(o.get("kernel_size"));
        int[] stride = Fixtures.ints(o.get("stride"));
        int[] dilation = Fixtures.ints(o.get("dilation"));
        JsonElement pad = o.get("padding");
        Padding padding = pad.isJsonPrimitive() ? Padding.parse(pad.getAsString())
                : Padding.of(Fixtures.ints(pad)[0], Fixtures.ints(pad)[1]);
        ConvParams params = new ConvParams(stride[0], stride[1], padding, dilation[0], dilation[1],
                o.get("groups").getAsInt(), PaddingMode.parse(o.get("padding_mode").getAsString()));
        return new LayerSpec(o.get("call").getAsString(), o.get("in_channels").getAsInt(),
                o.get("out_channels").getAsInt(), k[0], k[1], params, padding.toString(), o.get("bias").getAsBoolean(),
                o.get("repr").getAsString(), Fixtures.ints(o.get("weight_shape")), Fixtures.intsOrNull(o, "bias_shape"),
                o.get("parameter_count").getAsLong());
    }

    /**
     * The jconv layer, built through the builder's named setters as a user would write it (its initial
     * weights come from {@code seed}; the fixtures load PyTorch's over them).
     */
    public Conv2d build(String backend, long seed) {
        Conv2d.Builder b = Conv2d.builder(inChannels, outChannels, kernelH, kernelW)
                .stride(params.strideH(), params.strideW())
                .dilation(params.dilationH(), params.dilationW())
                .groups(params.groups())
                .bias(bias)
                .paddingMode(params.paddingMode().pytorchName())
                .seed(seed)
                .backend(backend);
        Padding p = params.padding();
        if (p.kind() == Padding.Kind.EXPLICIT) {
            b.padding(p.height(), p.width());
        } else {
            b.padding(p.toString());
        }
        return b.build();
    }
}
