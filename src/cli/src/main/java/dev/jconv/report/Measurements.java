package dev.jconv.report;

import dev.jconv.bench.BenchResult;
import dev.jconv.bench.BenchRun;
import dev.jconv.bench.LayerSpec;
import java.util.List;

/** Turns results of the harnesses into report {@link Measurement}s. */
public final class Measurements {
    private Measurements() {}

    /** The results of one {@code jconv bench} run, as they are (source {@code bench}). */
    public static List<Measurement> of(BenchRun run) {
        return run.results().stream().map(Measurements::of).toList();
    }

    static Measurement of(BenchResult r) {
        return new Measurement(ResultFiles.layerKey(r.layer()), r.backend(), "bench", r.flops(), r.medianMs());
    }

    /** The flops of a layer written {@code N,C,H,W,K,R,S,P,D,G}, checked as {@code jconv bench} checks it. */
    public static double flopsOf(String layer) {
        return LayerSpec.parse(layer).flops();
    }
}
