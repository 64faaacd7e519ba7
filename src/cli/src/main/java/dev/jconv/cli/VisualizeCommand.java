package dev.jconv.cli;

import dev.jconv.ConvParams;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.AtomicWrite;
import dev.jconv.io.Npy;
import dev.jconv.io.Pictures;
import dev.jconv.viz.FeatureMapRenderer;
import dev.jconv.viz.FeatureMaps;
import dev.jconv.viz.ImageInput;
import dev.jconv.viz.Normalization;
import dev.jconv.viz.PictureOutput;
import dev.jconv.viz.RenderMode;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jconv visualize}: convolves a picture and draws the output channels as a picture. Every option and the
 * output directory are checked before any work, and the PNG is written atomically, so an error leaves no
 * output file (and an existing one untouched).
 */
@Command(name = "visualize", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Convolves a picture (PNG/JPEG, read as a (1, 3, H, W) tensor in [0, 1]) or a .npy array and draws the "
                    + "output channels: a grid of grayscale maps, viridis heatmaps with colorbars, or a false-color "
                    + "composite of three channels.",
            "Without --weight, five classic 3x3 filters (Sobel x and y, Laplacian, box blur, sharpen) are applied to "
                    + "the luminance, so edges show at once. How values were scaled is written on the picture."})
final class VisualizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"--image", "--input"}, required = true, paramLabel = "FILE",
            description = "picture (PNG, JPEG, GIF, BMP) or .npy array (H, W), (C, H, W) or (1, C, H, W)")
    Path image;

    @Option(names = "--weight", paramLabel = "W.npy",
            description = "weight (out_channels, in_channels / groups, kH, kW); default: the built-in classic filters")
    Path weight;

    @Option(names = "--bias", paramLabel = "B.npy", description = "bias (out_channels); needs --weight")
    Path bias;

    @Mixin
    ConvOptions conv;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = BackendDefault.VALUE,
            description = "auto or a backend name from 'jconv info' (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "grayscale",
            description = "grayscale (a titled map per channel), heatmap (viridis, with colorbars) or rgb "
                    + "(three channels as red, green, blue) (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--channels", paramLabel = "C,C,..",
            description = "output channels to draw, e.g. 0,3,5; rgb takes exactly three (default: all, at most "
                    + FeatureMapRenderer.MAX_AUTO_CHANNELS + "; for rgb 0,1,2)")
    String channels;

    @Option(names = "--normalize", paramLabel = "HOW", defaultValue = "channel",
            description = "channel: each map from its own min to its own max; shared: one range for all drawn "
                    + "maps (default: ${DEFAULT-VALUE})")
    String normalize;

    @Option(names = "--tile-size", paramLabel = "PX", defaultValue = "0",
            description = "longest side of each drawn map in pixels (default: chosen from the map size)")
    int tileSize;

    @Option(names = "--output", required = true, paramLabel = "OUT.png",
            description = "where to write the picture, PNG or JPEG by its extension (.png, .jpg, .jpeg); written "
                    + "atomically, replaced if it exists")
    Path output;

    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "" + Pictures.DEFAULT_MAX_PIXELS,
            description = "refuse input pictures with more pixels than this, checked from the file's header before "
                    + "decoding (default: ${DEFAULT-VALUE}, PIL's limit)")
    long maxPixels;

    @Override
    public Integer call() throws IOException {
        ConvParams params = conv.toParams();
        FeatureMapRenderer.Options options = new FeatureMapRenderer.Options(RenderMode.parse(mode),
                parseChannels(channels), Normalization.parse(normalize), tileSize);
        if (!Backends.AUTO.equals(backend)) {
            Backends.byName(backend); // an unknown name fails here, before any file is read
        }
        String format = PictureOutput.checkFormat("--output", output);
        AtomicWrite.checkWritable("--output", output);
        Tensor input = read("--image", image, maxPixels);
        Tensor w = weight == null ? null : read("--weight", weight, 0);
        Tensor b = bias == null ? null : read("--bias", bias, 0);
        FeatureMaps maps = FeatureMaps.convolve(input, w, b, params, backend, image.getFileName().toString());
        FeatureMapRenderer.Picture picture = FeatureMapRenderer.render(maps, options);
        try {
            PictureOutput.write(picture.image(), output);
        } catch (IOException e) {
            throw new IOException("cannot write --output " + output + ": " + Failures.reason(e), e);
        }
        // to stderr when the output is a stream such as /dev/stdout, so the message does not land in the data
        (AtomicWrite.writesThrough(output) ? spec.commandLine().getErr() : spec.commandLine().getOut())
                .println("wrote " + output + ": " + picture.image().getWidth() + "x"
                + picture.image().getHeight() + " " + format.toUpperCase(Locale.ROOT) + ", " + picture.tiles().size() + " of " + maps.channels()
                + " channels of " + maps.height() + "x" + maps.width() + ", " + options.mode().cliName());
        return 0;
    }

    private static int[] parseChannels(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--channels must be channel numbers separated by commas, like 0,1,2, "
                    + "but got '" + text + "'");
        }
    }

    /**
     * Reads an input, a picture when {@code maxPixels > 0}; format errors name the file already, file-system
     * errors get the option added.
     */
    private static Tensor read(String option, Path file, long maxPixels) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("cannot read " + option + " " + file + ": it is a directory");
        }
        try {
            return maxPixels > 0 ? ImageInput.read(file, maxPixels) : Npy.read(file);
        } catch (FileSystemException e) {
            throw new IOException("cannot read " + option + " " + file + ": " + Failures.reason(e), e);
        }
    }
}
