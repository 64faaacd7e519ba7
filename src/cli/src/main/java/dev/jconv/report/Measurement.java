package dev.jconv.report;

/**
 * One timed (layer, backend) pair from any source: {@code jconv bench} or JMH.
 *
 * @param layer    the layer as {@code N,C,H,W,K,R,S,P,D,G}, the key rows are grouped by
 * @param backend  the backend name, with the kind of time appended where a source measures several (e.g.
 *                 {@code cudnn device} and {@code cudnn end-to-end})
 * @param source   where the number comes from: {@code bench} or {@code jmh}
 * @param flops    floating-point operations of one forward pass (a multiply-add counts two)
 * @param medianMs the median time of one forward pass in milliseconds
 */
public record Measurement(String layer, String backend, String source, double flops, double medianMs) {
    public Measurement {
        if (!(medianMs > 0) || Double.isInfinite(medianMs)) {
            throw new IllegalArgumentException("median time of " + backend + " on layer " + layer
                    + " must be a positive number of milliseconds, got " + medianMs);
        }
        if (!(flops >= 0)) {
            throw new IllegalArgumentException("flops of layer " + layer + " must be non-negative, got " + flops);
        }
    }

    /** Billions of floating-point operations per second. */
    public double gflops() {
        return flops / (medianMs * 1e6);
    }
}
