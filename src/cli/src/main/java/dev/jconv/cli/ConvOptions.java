package dev.jconv.cli;

import dev.jconv.ConvParams;
import dev.jconv.IntPair;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import picocli.CommandLine.Option;

/**
 * The convolution options {@code run} and {@code shape} share, with PyTorch's names and defaults. They are
 * read as text and parsed by the core's parsers, so every bad value gets the core's (PyTorch's) message.
 */
final class ConvOptions {

    @Option(names = "--stride", paramLabel = "S|SH,SW", defaultValue = "1",
            description = "stride, one value or height,width (default: ${DEFAULT-VALUE})")
    String stride;

    @Option(names = "--padding", paramLabel = "P|PH,PW|same|valid", defaultValue = "0",
            description = "zero padding per side, one value or height,width, or same or valid (default: ${DEFAULT-VALUE})")
    String padding;

    @Option(names = "--dilation", paramLabel = "D|DH,DW", defaultValue = "1",
            description = "spacing between kernel elements, one value or height,width (default: ${DEFAULT-VALUE})")
    String dilation;

    @Option(names = "--groups", paramLabel = "G", defaultValue = "1",
            description = "blocked connections from input to output channels (default: ${DEFAULT-VALUE})")
    int groups;

    @Option(names = "--padding-mode", paramLabel = "MODE", defaultValue = "zeros",
            description = "zeros, reflect, replicate or circular (default: ${DEFAULT-VALUE})")
    String paddingMode;

    /** The parsed parameters; values are checked later, by the validator, with PyTorch's messages. */
    ConvParams toParams() {
        int[] s = IntPair.parse(stride, "stride");
        int[] d = IntPair.parse(dilation, "dilation");
        return new ConvParams(s[0], s[1], Padding.parse(padding), d[0], d[1], groups, PaddingMode.parse(paddingMode));
    }
}
