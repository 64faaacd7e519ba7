package dev.jconv.viz;

import java.util.Locale;

/** How map values become gray levels or colors; the picture always says which one was used. */
public enum Normalization {
    /** Each map stretched from its own minimum to its own maximum (matplotlib's {@code imshow} default). */
    CHANNEL,
    /** All maps share one range, the minimum and maximum over every drawn map, so they compare directly. */
    SHARED;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Normalization parse(String text) {
        for (Normalization n : values()) {
            if (n.cliName().equals(text)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown normalization '" + text + "', expected channel or shared");
    }
}
