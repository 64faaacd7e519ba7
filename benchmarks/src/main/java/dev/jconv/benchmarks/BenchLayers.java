package dev.jconv.benchmarks;

import dev.jconv.bench.LayerSpec;
import dev.jconv.bench.Suites;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The layers the benchmarks run, taken from {@code jconv bench}'s suites ({@link Suites}) so that both harnesses
 * measure the same list, and the meaning of the {@code batch} and {@code dtype} parameters.
 */
final class BenchLayers {
    /** The {@code batch} value that keeps each layer's own N. */
    static final String SUITE_BATCH = "suite";
    /** The only element type jconv computes in; the parameter exists so results say what they measured. */
    static final String FP32 = "fp32";

    private BenchLayers() {}

    /** The distinct layers of the named suites, in suite order. */
    static List<String> of(List<String> suites) {
        Set<String> layers = new LinkedHashSet<>();
        for (String suite : suites) {
            Suites.layers(suite).forEach(l -> layers.add(l.text()));
        }
        return new ArrayList<>(layers);
    }

    /** The layer a benchmark runs: the spec with its N replaced unless {@code batch} is {@value #SUITE_BATCH}. */
    static LayerSpec resolve(String layer, String batch, String dtype) {
        if (!FP32.equals(dtype)) {
            throw new IllegalArgumentException("dtype '" + dtype + "' is not implemented: jconv computes in float32 "
                    + "only, so the only dtype is " + FP32);
        }
        if (SUITE_BATCH.equals(batch)) {
            return LayerSpec.parse(layer);
        }
        int n;
        try {
            n = Integer.parseInt(batch);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("batch must be '" + SUITE_BATCH + "' or a positive integer, got '"
                    + batch + "'");
        }
        return LayerSpec.parse(n + layer.substring(layer.indexOf(',')));
    }
}
