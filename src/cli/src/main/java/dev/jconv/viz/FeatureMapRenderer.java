package dev.jconv.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws {@link FeatureMaps} as a picture with plain Java2D: a caption, then either a grid of titled maps
 * (grayscale or viridis heatmaps with colorbars) or one false-color composite of three channels. How values
 * were scaled is always written on the picture, and each map's range is printed under its title.
 *
 * <p>Maps are resampled to the tile size by averaging the source pixels each tile pixel covers (so small maps
 * are enlarged with crisp square pixels and large ones are shrunk without aliasing), then scaled to [0, 1]
 * with the chosen {@link Normalization}. NaN pixels are drawn magenta and left out of every range.
 */
public final class FeatureMapRenderer {
    /** Without {@code --channels}, at most this many maps are drawn (the first ones); the caption says so. */
    public static final int MAX_AUTO_CHANNELS = 64;
    /** Color of NaN pixels, which no colormap entry uses. */
    public static final int NAN_RGB = 0xff00ff;

    private static final int MARGIN = 16;
    private static final int GAP = 18;
    private static final int BAR_WIDTH = 14;
    private static final Color INK = new Color(0x222222);
    private static final Color MUTED = new Color(0x555555);
    private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font SMALL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private FeatureMapRenderer() {}

    /**
     * What to draw.
     *
     * @param channels the output channels to draw, in order, or null for all (at most {@link #MAX_AUTO_CHANNELS});
     *                 {@code rgb} needs exactly three and defaults to 0, 1, 2
     * @param tileSize the longest side of each drawn map in pixels, or 0 to choose (small maps enlarged by a
     *                 whole factor to at least 128 pixels, large ones shrunk to 256; 256 to 512 for {@code rgb})
     */
    public record Options(RenderMode mode, int[] channels, Normalization normalization, int tileSize) {
        public Options {
            if (mode == null || normalization == null) {
                throw new NullPointerException("mode and normalization must not be null");
            }
            if (tileSize < 0 || tileSize > 4096) {
                throw new IllegalArgumentException("--tile-size must be 0 (chosen from the map size) or 1 to 4096 pixels, got "
                        + tileSize);
            }
            channels = channels == null ? null : channels.clone();
        }

        public static Options of(RenderMode mode) {
            return new Options(mode, null, Normalization.CHANNEL, 0);
        }
    }

    /** The value range mapped to [0, 1]: {@code lo} to black (or the darkest color), {@code hi} to white. */
    public record Range(double lo, double hi) {
        /** Where {@code v} falls, clamped to [0, 1]; a constant map ({@code lo == hi}) sits in the middle. */
        public double scale(double v) {
            if (!(hi > lo)) {
                return 0.5;
            }
            return Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
        }
    }

    /** Where one drawn channel lies in the picture and the range it was scaled with. */
    public record Tile(int channel, Rectangle bounds, Range range) {}

    /**
     * The drawn picture with, for checking and for callers, the tiles in drawing order (for {@code rgb}: the
     * red, green and blue channels, which share one rectangle) and the sentence stating the normalization.
     */
    public record Picture(BufferedImage image, List<Tile> tiles, String normalizationNote) {}

    public static Picture render(FeatureMaps maps, Options options) {
        int[] channels = chooseChannels(maps, options);
        int h = maps.height();
        int w = maps.width();
        boolean rgb = options.mode() == RenderMode.RGB;
        int longest = options.tileSize() > 0 ? options.tileSize() : autoTile(Math.max(h, w), rgb);
        int tileW = Math.max(1, (int) Math.round((double) w * longest / Math.max(h, w)));
        int tileH = Math.max(1, (int) Math.round((double) h * longest / Math.max(h, w)));

        List<float[]> tiles = new ArrayList<>();
        List<Range> ranges = new ArrayList<>();
        boolean anyNaN = false;
        for (int c : channels) {
            float[] map = plane(maps, c);
            anyNaN |= hasNaN(map);
            tiles.add(resample(map, h, w, tileH, tileW));
            ranges.add(rangeOf(map));
        }
        List<Range> own = List.copyOf(ranges);
        if (options.normalization() == Normalization.SHARED) {
            Range shared = union(ranges);
            ranges.replaceAll(r -> shared);
        }
        String note = normalizationNote(options, channels, ranges) + (anyNaN ? " NaN pixels are magenta." : "");
        String selection = !rgb && channels.length < maps.channels() && options.channels() == null
                ? "  (first " + channels.length + " of " + maps.channels() + " channels)" : "";
        Layout layout = new Layout(maps.caption() + selection, note, own);
        return rgb
                ? layout.drawComposite(maps, channels, tiles, ranges, tileW, tileH)
                : layout.drawGrid(maps, channels, tiles, ranges, tileW, tileH, options);
    }

    static int autoTile(int longestSide, boolean rgb) {
        int min = rgb ? 256 : 128;
        int max = rgb ? 512 : 256;
        if (longestSide >= min) {
            return Math.min(longestSide, max);
        }
        return longestSide * (int) Math.ceil((double) min / longestSide);
    }

    private static int[] chooseChannels(FeatureMaps maps, Options options) {
        int c = maps.channels();
        int[] chosen = options.channels();
        if (chosen == null) {
            if (options.mode() == RenderMode.RGB) {
                if (c < 3) {
                    throw new IllegalArgumentException("rgb mode composes three channels but the output has only " + c
                            + "; choose them with --channels (repeats allowed, e.g. 0,0,0)");
                }
                return new int[] {0, 1, 2};
            }
            int[] all = new int[Math.min(c, MAX_AUTO_CHANNELS)];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        if (options.mode() == RenderMode.RGB && chosen.length != 3) {
            throw new IllegalArgumentException("rgb mode needs exactly three channels (red, green, blue), got "
                    + chosen.length);
        }
        if (chosen.length == 0) {
            throw new IllegalArgumentException("--channels lists no channel");
        }
        for (int k : chosen) {
            if (k < 0 || k >= c) {
                throw new IllegalArgumentException("channel " + k + " is out of range for an output with " + c
                        + " channels (0.." + (c - 1) + ")");
            }
        }
        return chosen;
    }

    private static float[] plane(FeatureMaps maps, int channel) {
        int n = maps.height() * maps.width();
        float[] p = new float[n];
        System.arraycopy(maps.maps().data(), channel * n, p, 0, n);
        return p;
    }

    /** Box-averages the source pixels under each target pixel (at least one: the nearest when enlarging). */
    static float[] resample(float[] src, int h, int w, int th, int tw) {
        float[] out = new float[th * tw];
        for (int ty = 0; ty < th; ty++) {
            int y0 = (int) ((long) ty * h / th);
            int y1 = Math.max(y0 + 1, (int) ((long) (ty + 1) * h / th));
            for (int tx = 0; tx < tw; tx++) {
                int x0 = (int) ((long) tx * w / tw);
                int x1 = Math.max(x0 + 1, (int) ((long) (tx + 1) * w / tw));
                double sum = 0;
                int n = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        sum += src[y * w + x];
                        n++;
                    }
                }
                out[ty * tw + tx] = (float) (sum / n);
            }
        }
        return out;
    }

    private static boolean hasNaN(float[] map) {
        for (float v : map) {
            if (Float.isNaN(v)) {
                return true;
            }
        }
        return false;
    }

    /** Min and max over the finite values (infinities are clamped when drawn); 0..0 when there are none. */
    static Range rangeOf(float[] map) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float v : map) {
            if (Float.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        return lo <= hi ? new Range(lo, hi) : new Range(0, 0);
    }

    private static Range union(List<Range> ranges) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Range r : ranges) {
            lo = Math.min(lo, r.lo());
            hi = Math.max(hi, r.hi());
        }
        return new Range(lo, hi);
    }

    private static String normalizationNote(Options o, int[] channels, List<Range> ranges) {
        boolean shared = o.normalization() == Normalization.SHARED;
        String range = shared ? " [" + fmt(ranges.get(0).lo()) + ", " + fmt(ranges.get(0).hi()) + "]" : "";
        return switch (o.mode()) {
            case GRAYSCALE -> shared
                    ? "Grayscale, one range for all maps" + range + ": black = low end, white = high end."
                    : "Grayscale, each map scaled to its own range: black = its min, white = its max (ranges under the titles).";
            case HEATMAP -> shared
                    ? "Viridis colormap, one range for all maps" + range + " (colorbar at the right)."
                    : "Viridis colormap, each map scaled to its own range (colorbar beside each map).";
            case RGB -> "False color: red = channel " + channels[0] + ", green = channel " + channels[1]
                    + ", blue = channel " + channels[2] + (shared ? ", one range for all three" + range
                    : ", each scaled to its own min..max") + "; the colors have no physical meaning.";
        };
    }

    /**
     * The colorbar's labels, top to bottom: max, middle, min. A middle within a millionth of the range of 0 is 0:
     * the ends of a symmetric range, rounded to float separately, put it at e.g. -1.19e-07.
     */
    static String[] colorbarTicks(Range r) {
        double mid = (r.lo() + r.hi()) / 2;
        return new String[] {fmt(r.hi()), fmt(Math.abs(mid) <= 1e-6 * (r.hi() - r.lo()) ? 0 : mid), fmt(r.lo())};
    }

    /** Three significant digits, no trailing zeros, scientific notation only for very large or small values. */
    static String fmt(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }

    private static int gray(double t) {
        int g = (int) Math.round(t * 255);
        return g << 16 | g << 8 | g;
    }

    private static int pixel(float v, Range r, RenderMode mode) {
        if (Float.isNaN(v)) {
            return NAN_RGB;
        }
        double t = r.scale(v);
        return mode == RenderMode.HEATMAP ? Viridis.rgb(t) : gray(t);
    }

    /** Measures text and places everything; one instance draws one picture. */
    private static final class Layout {
        private final String caption;
        private final String note;
        private final List<Range> own;
        private final FontMetrics captionMetrics;
        private final FontMetrics titleMetrics;
        private final FontMetrics smallMetrics;

        /** @param own each drawn map's own range, printed under its title whatever the normalization */
        Layout(String caption, String note, List<Range> own) {
            this.caption = caption;
            this.note = note;
            this.own = own;
            Graphics2D scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
            captionMetrics = scratch.getFontMetrics(CAPTION_FONT);
            titleMetrics = scratch.getFontMetrics(TITLE_FONT);
            smallMetrics = scratch.getFontMetrics(SMALL_FONT);
            scratch.dispose();
        }

        int headerHeight() {
            return MARGIN + 2 * (captionMetrics.getHeight() + 2) + GAP / 2;
        }

        int headerWidth() {
            return 2 * MARGIN + Math.max(captionMetrics.stringWidth(caption), captionMetrics.stringWidth(note));
        }

        Picture drawGrid(FeatureMaps maps, int[] channels, List<float[]> tiles, List<Range> ranges, int tileW,
                         int tileH, Options o) {
            boolean heat = o.mode() == RenderMode.HEATMAP;
            boolean barPerTile = heat && o.normalization() == Normalization.CHANNEL;
            boolean sharedBar = heat && o.normalization() == Normalization.SHARED;
            int labelWidth = 0;
            for (Range r : ranges) {
                for (String t : colorbarTicks(r)) {
                    labelWidth = Math.max(labelWidth, smallMetrics.stringWidth(t));
                }
            }
            int barBlock = 6 + BAR_WIDTH + 4 + labelWidth;
            int cellW = tileW + (barPerTile ? barBlock : 0);
            for (int i = 0; i < channels.length; i++) {
                cellW = Math.max(cellW, titleMetrics.stringWidth(maps.titles().get(channels[i])));
                cellW = Math.max(cellW, smallMetrics.stringWidth(rangeText(own.get(i))));
            }
            int textH = titleMetrics.getHeight() + smallMetrics.getHeight() + 4;
            int cellH = textH + tileH;
            int n = channels.length;
            int cols = n <= 6 ? n : (int) Math.ceil(Math.sqrt(n));
            int rows = (n + cols - 1) / cols;
            int gridW = cols * cellW + (cols - 1) * GAP + (sharedBar ? GAP + barBlock : 0);
            int width = Math.max(headerWidth(), 2 * MARGIN + gridW);
            int height = headerHeight() + rows * cellH + (rows - 1) * GAP + MARGIN;

            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = begin(image);
            List<Tile> placed = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int x = MARGIN + (i % cols) * (cellW + GAP);
                int y = headerHeight() + (i / cols) * (cellH + GAP);
                g.setFont(TITLE_FONT);
                g.setColor(INK);
                g.drawString(maps.titles().get(channels[i]), x, y + titleMetrics.getAscent());
                g.setFont(SMALL_FONT);
                g.setColor(MUTED);
                g.drawString(rangeText(own.get(i)), x, y + titleMetrics.getHeight() + smallMetrics.getAscent());
                Rectangle bounds = new Rectangle(x, y + textH, tileW, tileH);
                float[] tile = tiles.get(i);
                for (int ty = 0; ty < tileH; ty++) {
                    for (int tx = 0; tx < tileW; tx++) {
                        image.setRGB(x + tx, bounds.y + ty, pixel(tile[ty * tileW + tx], ranges.get(i), o.mode()));
                    }
                }
                if (barPerTile) {
                    drawColorbar(image, g, x + tileW + 6, bounds.y, tileH, ranges.get(i));
                }
                placed.add(new Tile(channels[i], bounds, ranges.get(i)));
            }
            if (sharedBar) {
                drawColorbar(image, g, MARGIN + cols * cellW + (cols - 1) * GAP + GAP, headerHeight() + textH,
                        rows * cellH + (rows - 1) * GAP - textH, ranges.get(0));
            }
            drawHeader(g);
            g.dispose();
            return new Picture(image, List.copyOf(placed), note);
        }

        Picture drawComposite(FeatureMaps maps, int[] channels, List<float[]> tiles, List<Range> ranges, int tileW,
                              int tileH) {
            String[] lines = new String[3];
            String[] names = {"red", "green", "blue"};
            int textW = 0;
            for (int k = 0; k < 3; k++) {
                lines[k] = names[k] + " = " + maps.titles().get(channels[k]) + ":  " + rangeText(own.get(k));
                textW = Math.max(textW, smallMetrics.stringWidth(lines[k]));
            }
            int width = Math.max(headerWidth(), 2 * MARGIN + Math.max(tileW, textW));
            int textH = 3 * smallMetrics.getHeight() + 6;
            int height = headerHeight() + textH + tileH + MARGIN;
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = begin(image);
            int y = headerHeight();
            Color[] colors = {new Color(0xb00000), new Color(0x007000), new Color(0x0000b0)};
            g.setFont(SMALL_FONT);
            for (int k = 0; k < 3; k++) {
                g.setColor(colors[k]);
                g.drawString(lines[k], MARGIN, y + k * smallMetrics.getHeight() + smallMetrics.getAscent());
            }
            Rectangle bounds = new Rectangle(MARGIN, y + textH, tileW, tileH);
            for (int ty = 0; ty < tileH; ty++) {
                for (int tx = 0; tx < tileW; tx++) {
                    int rgb = 0;
                    for (int k = 0; k < 3; k++) {
                        float v = tiles.get(k)[ty * tileW + tx];
                        int level = Float.isNaN(v) ? 0 : (int) Math.round(ranges.get(k).scale(v) * 255);
                        rgb |= level << (16 - 8 * k);
                    }
                    image.setRGB(bounds.x + tx, bounds.y + ty, rgb);
                }
            }
            drawHeader(g);
            g.dispose();
            List<Tile> placed = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                placed.add(new Tile(channels[k], bounds, ranges.get(k)));
            }
            return new Picture(image, List.copyOf(placed), note);
        }

        private Graphics2D begin(BufferedImage image) {
            Graphics2D g = image.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            return g;
        }

        private void drawHeader(Graphics2D g) {
            g.setFont(CAPTION_FONT);
            g.setColor(INK);
            g.drawString(caption, MARGIN, MARGIN + captionMetrics.getAscent());
            g.setColor(MUTED);
            g.drawString(note, MARGIN, MARGIN + captionMetrics.getHeight() + 2 + captionMetrics.getAscent());
        }

        /** A vertical viridis bar, high values at the top, with the range's ends and middle written beside it. */
        private void drawColorbar(BufferedImage image, Graphics2D g, int x, int y, int height, Range r) {
            for (int dy = 0; dy < height; dy++) {
                int rgb = Viridis.rgb(height == 1 ? 1 : 1 - (double) dy / (height - 1));
                for (int dx = 0; dx < BAR_WIDTH; dx++) {
                    image.setRGB(x + dx, y + dy, rgb);
                }
            }
            g.setColor(MUTED);
            g.setStroke(new BasicStroke(1));
            g.drawRect(x - 1, y - 1, BAR_WIDTH + 1, height + 1);
            g.setFont(SMALL_FONT);
            String[] t = colorbarTicks(r);
            int ascent = smallMetrics.getAscent();
            g.drawString(t[0], x + BAR_WIDTH + 4, y + ascent - 2);
            g.drawString(t[1], x + BAR_WIDTH + 4, y + height / 2 + ascent / 2 - 1);
            g.drawString(t[2], x + BAR_WIDTH + 4, y + height);
        }


        private static String rangeText(Range r) {
            return r.hi() > r.lo() ? "min " + fmt(r.lo()) + "   max " + fmt(r.hi()) : "constant " + fmt(r.lo());
        }
    }
}
