package dev.jconv.nn;

import java.math.BigDecimal;

/** Python's {@code repr} of the scalars module reprs print. */
final class PythonRepr {
    private PythonRepr() {}

    static String ofBoolean(boolean b) {
        return b ? "True" : "False";
    }

    /**
     * Python's float repr: the shortest digits that read back to the same double (as Java's), in positional
     * notation for exponents {@code -4 <= e < 16} and as {@code 1e-05} otherwise.
     */
    static String ofDouble(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        BigDecimal shortest = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        int exponent = shortest.precision() - shortest.scale() - 1;
        if (exponent >= -4 && exponent < 16) {
            String plain = shortest.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = shortest.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exponent));
    }
}
