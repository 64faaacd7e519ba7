package dev.jconv.cuda;

import java.util.Locale;

/** Byte counts for messages. */
final class Sizes {
    private Sizes() {}

    /** {@code 4096 -> "4.0 KiB"}, {@code 12 -> "12 bytes"}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
