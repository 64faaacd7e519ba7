package dev.jconv.bench;

import java.util.List;

/** One {@code jconv bench} run: where and how it was measured, and every result, in run order. */
public record BenchRun(String date, String java, String os, String cpu, int availableProcessors,
                       int warmup, int iterations, List<BenchResult> results) {
    public BenchRun {
        results = List.copyOf(results);
    }
}
