package dev.jconv.cli;

import dev.jconv.Conv2d;
import dev.jconv.IntPair;
import dev.jconv.Shapes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jconv shape}: what {@code nn.Conv2d(...)} would be and do to an input shape, printed the way people
 * print it from PyTorch (repr, weight and bias shapes, parameter count, output shape). The layer is built and
 * checked by {@link Conv2d} itself, so the numbers and messages are the library's.
 */
@Command(name = "shape", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Prints a Conv2d layer's repr, weight and bias shapes, parameter count and output shape.")
final class ShapeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--in-channels", required = true, paramLabel = "C", description = "input channels")
    int inChannels;

    @Option(names = "--out-channels", required = true, paramLabel = "K", description = "output channels")
    int outChannels;

    @Option(names = "--kernel-size", required = true, paramLabel = "K|KH,KW",
            description = "kernel size, one value or height,width")
    String kernelSize;

    @Mixin
    ConvOptions conv;

    @Option(names = "--bias", arity = "1", paramLabel = "true|false", defaultValue = "true",
            description = "whether the layer has a bias (default: ${DEFAULT-VALUE})")
    boolean bias;

    @Option(names = "--input-shape", required = true, paramLabel = "N,C,H,W|C,H,W",
            description = "input shape, batched or unbatched, e.g. 2,3,32,32")
    String inputShapeText;

    @Override
    public Integer call() {
        int[] k = IntPair.parse(kernelSize, "kernel_size");
        int[] inputShape = parseShape(inputShapeText);
        Conv2d layer = Conv2d.builder(inChannels, outChannels, k[0], k[1]).params(conv.toParams()).bias(bias)
                .seed(0).build();
        int[] outputShape = layer.outputShape(inputShape);
        PrintWriter out = spec.commandLine().getOut();
        out.println("Conv2d layer: " + layer);
        out.println("Weight shape: " + Shapes.format(layer.weightShape()));
        out.println("Bias shape: " + (layer.biasShape() == null ? "None" : Shapes.format(layer.biasShape())));
        out.println("Number of parameters: " + layer.parameterCount());
        out.println("Input shape: " + Shapes.format(inputShape));
        out.println("Output shape: " + Shapes.format(outputShape));
        return 0;
    }

    /** {@code 2,3,32,32} as {@code [2, 3, 32, 32]}; the rank is left to the validator, which has PyTorch's words. */
    static int[] parseShape(String text) {
        String[] parts = text.trim().split("\\s*,\\s*");
        int[] shape = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                shape[i] = Integer.parseInt(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input shape must be integers separated by commas, like 2,3,32,32, "
                    + "but got '" + text + "'");
        }
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("input shape must not have negative sizes, but got "
                        + Shapes.format(shape));
            }
        }
        return shape;
    }
}
