package dev.jconv.cuda.vendor;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * An on/off setting read from a Java system property, else an environment variable, else its default
 * (the property wins so tests and embedding applications can override the environment), e.g.
 * {@code -Djconv.cudnn.benchmark=true} or {@code JCONV_CUDNN_BENCHMARK=1}. Accepted values:
 * {@code 1/true/yes/on} and {@code 0/false/no/off}, case-insensitive; anything else is an error naming the setting.
 */
public record Setting(String property, String environmentVariable, boolean defaultValue, String meaning) {

    /** The value from the given lookups (tests pass maps). */
    public boolean value(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String raw = properties.apply(property);
        String source = "-D" + property;
        if (raw == null) {
            raw = environment.apply(environmentVariable);
            source = environmentVariable;
        }
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(source + "='" + raw + "' is not a valid setting for " + meaning
                    + ": use 1 or 0 (true/false)");
        };
    }

    /** e.g. {@code "JCONV_CUDNN_BENCHMARK=1 (or -Djconv.cudnn.benchmark=true)"}. */
    public String howToEnable() {
        return environmentVariable + "=1 (or -D" + property + "=true)";
    }
}
