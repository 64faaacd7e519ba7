package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jconv shape} against PyTorch 1.13: every expected repr, shape and parameter count below was printed
 * by {@code nn.Conv2d(...)} itself (repr, weight.shape, bias.shape, sum of numel, output.shape), for the
 * layers of the seed articles plus non-square, grouped, unbatched and empty cases.
 */
class ShapeCommandTest {

    static Stream<Arguments> pytorchLayers() {
        return Stream.of(
                // seed 004: the layer, its stride-2 and padding-0 variants on [2, 3, 32, 32]
                layer("--in-channels 3 --out-channels 16 --kernel-size 3 --stride 1 --padding 1 --input-shape 2,3,32,32",
                        "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
                        "[16, 3, 3, 3]", "[16]", 448, "[2, 16, 32, 32]"),
                layer("--in-channels 3 --out-channels 16 --kernel-size 3 --stride 2 --padding 1 --input-shape 2,3,32,32",
                        "Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))",
                        "[16, 3, 3, 3]", "[16]", 448, "[2, 16, 16, 16]"),
                layer("--in-channels 3 --out-channels 16 --kernel-size 3 --padding 0 --input-shape 2,3,32,32",
                        "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))",
                        "[16, 3, 3, 3]", "[16]", 448, "[2, 16, 30, 30]"),
                // seed 004's exercise
                layer("--in-channels 3 --out-channels 64 --kernel-size 5 --padding 2 --input-shape 8,3,28,28",
                        "Conv2d(3, 64, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))",
                        "[64, 3, 5, 5]", "[64]", 4864, "[8, 64, 28, 28]"),
                // seed 000
                layer("--in-channels 16 --out-channels 64 --kernel-size 3 --stride 2 --padding 1 --input-shape 1,16,28,28",
                        "Conv2d(16, 64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))",
                        "[64, 16, 3, 3]", "[64]", 9280, "[1, 64, 14, 14]"),
                // seed 002
                layer("--in-channels 3 --out-channels 6 --kernel-size 3 --input-shape 5,3,32,32",
                        "Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1))",
                        "[6, 3, 3, 3]", "[6]", 168, "[5, 6, 30, 30]"),
                // seed 003, examples 1 to 3; the dilated one is 30x30 (the seed's 32x32 is wrong)
                layer("--in-channels 3 --out-channels 16 --kernel-size 3 --input-shape 1,3,10,10",
                        "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))",
                        "[16, 3, 3, 3]", "[16]", 448, "[1, 16, 8, 8]"),
                layer("--in-channels 1 --out-channels 32 --kernel-size 5 --stride 2 --padding 2 --input-shape 4,1,20,20",
                        "Conv2d(1, 32, kernel_size=(5, 5), stride=(2, 2), padding=(2, 2))",
                        "[32, 1, 5, 5]", "[32]", 832, "[4, 32, 10, 10]"),
                layer("--in-channels 64 --out-channels 128 --kernel-size 3 --padding 1 --dilation 2 --input-shape 1,64,32,32",
                        "Conv2d(64, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(2, 2))",
                        "[128, 64, 3, 3]", "[128]", 73856, "[1, 128, 30, 30]"),
                // every repr field at once, no bias
                layer("--in-channels 16 --out-channels 32 --kernel-size 3 --padding same --groups 4 --bias false "
                                + "--padding-mode reflect --input-shape 2,16,9,7",
                        "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=4, bias=False, "
                                + "padding_mode=reflect)",
                        "[32, 4, 3, 3]", "None", 1152, "[2, 32, 9, 7]"),
                // non-square kernel, stride, padding and dilation
                layer("--in-channels 4 --out-channels 8 --kernel-size 3,5 --stride 2,1 --padding 1,2 --dilation 1,2 "
                                + "--groups 2 --input-shape 3,4,11,13",
                        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)",
                        "[8, 2, 3, 5]", "[8]", 248, "[3, 8, 6, 9]"),
                // depthwise, even kernel with same padding, circular
                layer("--in-channels 6 --out-channels 6 --kernel-size 4 --padding same --groups 6 "
                                + "--padding-mode circular --input-shape 1,6,10,10",
                        "Conv2d(6, 6, kernel_size=(4, 4), stride=(1, 1), padding=same, groups=6, padding_mode=circular)",
                        "[6, 1, 4, 4]", "[6]", 102, "[1, 6, 10, 10]"),
                // unbatched input keeps its rank; channel multiplier 2
                layer("--in-channels 6 --out-channels 12 --kernel-size 3 --padding 1 --groups 6 "
                                + "--padding-mode replicate --input-shape 6,10,10",
                        "Conv2d(6, 12, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=6, "
                                + "padding_mode=replicate)",
                        "[12, 1, 3, 3]", "[12]", 120, "[12, 10, 10]"),
                // empty batch
                layer("--in-channels 3 --out-channels 5 --kernel-size 2 --padding valid --bias false "
                                + "--input-shape 0,3,4,4",
                        "Conv2d(3, 5, kernel_size=(2, 2), stride=(1, 1), padding=valid, bias=False)",
                        "[5, 3, 2, 2]", "None", 60, "[0, 5, 3, 3]"));
    }

    private static Arguments layer(String args, String repr, String weight, String bias, long params, String output) {
        return Arguments.of(args, repr, weight, bias, params, output);
    }

    @ParameterizedTest
    @MethodSource("pytorchLayers")
    void printsWhatPyTorchPrints(String args, String repr, String weight, String bias, long params, String output) {
        List<String> argv = new ArrayList<>(List.of("shape"));
        argv.addAll(List.of(args.split(" ")));
        Cli.Result r = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        String input = args.replaceAll(".*--input-shape (\\S+).*", "$1").replace(",", ", ");
        assertEquals("Conv2d layer: " + repr + "\n"
                + "Weight shape: " + weight + "\n"
                + "Bias shape: " + bias + "\n"
                + "Number of parameters: " + params + "\n"
                + "Input shape: [" + input + "]\n"
                + "Output shape: " + output + "\n", r.out());
        assertEquals("", r.err());
    }

    static Stream<Arguments> badLayers() {
        return Stream.of(
                Arguments.of("--in-channels 3 --out-channels 16 --kernel-size 3 --groups 2 --input-shape 1,3,8,8",
                        "in_channels must be divisible by groups"),
                Arguments.of("--in-channels 4 --out-channels 6 --kernel-size 3 --groups 4 --input-shape 1,4,8,8",
                        "out_channels must be divisible by groups"),
                Arguments.of("--in-channels 4 --out-channels 4 --kernel-size 3 --groups 0 --input-shape 1,4,8,8",
                        "groups must be a positive integer"),
                Arguments.of("--in-channels 0 --out-channels 4 --kernel-size 3 --input-shape 1,4,8,8",
                        "in_channels must be a positive integer, but got in_channels=0"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 0,3 --input-shape 1,3,8,8",
                        "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3"),
                Arguments.of("--in-channels 3 --out-channels 16 --kernel-size 3 --input-shape 2,3",
                        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
                Arguments.of("--in-channels 3 --out-channels 16 --kernel-size 3 --input-shape 1,1,28,28",
                        "Given groups=1, weight of size [16, 3, 3, 3], expected input[1, 1, 28, 28] to have 3 "
                                + "channels, but got 1 channels instead"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 5 --input-shape 1,3,2,2",
                        "Calculated padded input size per channel: (2 x 2). Kernel size: (5 x 5). Kernel size can't "
                                + "be greater than actual input size"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --padding same --stride 2 "
                                + "--input-shape 1,3,8,8",
                        "padding='same' is not supported for strided convolutions"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --padding full --input-shape 1,3,8,8",
                        "Invalid padding string 'full', should be one of {'same', 'valid'}"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --padding-mode mirror "
                                + "--input-shape 1,3,8,8",
                        "padding_mode must be one of {'circular', 'reflect', 'replicate', 'zeros'}, but got "
                                + "padding_mode='mirror'"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 11 --padding 5 --padding-mode reflect "
                                + "--input-shape 1,3,4,4",
                        "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                                + "padding (5, 5) "
                                + "at dimension 3 of input 4"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --dilation 0 --input-shape 1,3,8,8",
                        "dilation should be greater than zero, but got [0, 0]"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --stride 0 --input-shape 1,3,8,8",
                        "non-positive stride is not supported"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --padding -1 --input-shape 1,3,8,8",
                        "negative padding is not supported"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --input-shape 1,3,-8,8",
                        "input shape must not have negative sizes, but got [1, 3, -8, 8]"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --input-shape 1x3x8x8",
                        "input shape must be integers separated by commas, like 2,3,32,32, but got '1x3x8x8'"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3,3,3 --input-shape 1,3,8,8",
                        "kernel_size must be an integer or a pair of integers like 2,1, but got '3,3,3'"),
                Arguments.of("--in-channels 3 --out-channels 4 --kernel-size 3 --bias maybe --input-shape 1,3,8,8",
                        "Invalid value for option '--bias': 'maybe' is not a boolean"),
                Arguments.of("--in-channels three --out-channels 4 --kernel-size 3 --input-shape 1,3,8,8",
                        "Invalid value for option '--in-channels': 'three' is not an int"));
    }

    @ParameterizedTest
    @MethodSource("badLayers")
    void badLayerIsOneLineAndExit2(String args, String expectedMessage) {
        List<String> argv = new ArrayList<>(List.of("shape"));
        argv.addAll(List.of(args.split(" ")));
        String message = Cli.assertOneLineError(Cli.run(argv.toArray(String[]::new)), 2);
        assertEquals(expectedMessage, message);
    }

    @Test
    void biasAcceptsTrueAndFalseInAnyCase() {
        String out = Cli.run("shape", "--in-channels", "3", "--out-channels", "4", "--kernel-size", "3",
                "--bias", "FALSE", "--input-shape", "1,3,8,8").out();
        assertEquals("Bias shape: None", out.lines().toList().get(2));
    }
}
