package dev.jconv.viz;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The three ways of drawing feature maps the seed article lists. */
public enum RenderMode {
    /** One gray picture per output channel, with titles: the usual way to look at feature maps. */
    GRAYSCALE,
    /** One viridis-colored picture per channel with a colorbar giving the values. */
    HEATMAP,
    /** Three chosen channels as the red, green and blue of one false-color picture. */
    RGB;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RenderMode parse(String text) {
        for (RenderMode m : values()) {
            if (m.cliName().equals(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + text + "', expected one of "
                + Arrays.stream(values()).map(RenderMode::cliName).collect(Collectors.joining(", ")));
    }
}
