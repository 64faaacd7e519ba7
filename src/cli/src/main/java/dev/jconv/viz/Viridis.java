package dev.jconv.viz;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The viridis colormap (matplotlib's default since 2.0): dark blue-violet for low values through green to
 * yellow for high ones, with lightness rising steadily so that equal steps in value look like equal steps,
 * also in grayscale print and for the common forms of color blindness. The 256-entry table is the original
 * one (CC0), loaded from {@code viridis.txt} beside this class; lookup is matplotlib's: value {@code t} in
 * [0, 1] picks entry {@code min(255, floor(t * 256))}.
 */
public final class Viridis {
    public static final int SIZE = 256;

    private static final int[] TABLE = load();

    private Viridis() {}

    /** The packed {@code 0xRRGGBB} color of {@code t}, clamped to [0, 1]; NaN maps to the lowest color. */
    public static int rgb(double t) {
        if (!(t > 0)) {
            return TABLE[0];
        }
        return TABLE[(int) Math.min(SIZE - 1, Math.floor(t * SIZE))];
    }

    /** Entry {@code i} of the table as packed {@code 0xRRGGBB}. */
    public static int entry(int i) {
        return TABLE[i];
    }

    private static int[] load() {
        int[] table = new int[SIZE];
        int n = 0;
        try (InputStream in = Viridis.class.getResourceAsStream("viridis.txt")) {
            if (in == null) {
                throw new IllegalStateException("viridis.txt is missing from the classpath beside " + Viridis.class.getName());
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] p = line.trim().split("\\s+");
                table[n++] = channel(p[0]) << 16 | channel(p[1]) << 8 | channel(p[2]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (n != SIZE) {
            throw new IllegalStateException("viridis.txt has " + n + " entries, expected " + SIZE);
        }
        return table;
    }

    private static int channel(String unit) {
        return (int) Math.round(Double.parseDouble(unit) * 255.0);
    }
}
