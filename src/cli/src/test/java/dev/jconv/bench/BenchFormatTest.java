package dev.jconv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BenchFormatTest {

    @Test
    void numbersKeepSixSignificantDigitsSoSmallValuesNeverPrintAsZero() {
        assertEquals("166.083", BenchFormat.number(166.08341));
        assertEquals("0.000412", BenchFormat.number(0.000412));
        assertEquals("0.00000000123457", BenchFormat.number(1.234567e-9));
        assertEquals("319442", BenchFormat.number(319442.13));
        assertEquals("2", BenchFormat.number(2.0));
        assertEquals("Infinity", BenchFormat.number(Double.POSITIVE_INFINITY));
    }
}
