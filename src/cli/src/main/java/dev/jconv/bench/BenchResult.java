package dev.jconv.bench;

/**
 * The measurement of one (layer, backend) pair: wall-clock times of {@code iterations} forward passes after
 * {@code warmup} untimed ones. {@code gflops} is {@code flops / median}; {@code threads} is the CPU thread
 * count the backend computed on (0 where that does not apply, e.g. a GPU backend); {@code algorithm} is the
 * plan's own description.
 */
public record BenchResult(String layer, String backend, int threads, double flops, int warmup, int iterations,
                          double medianMs, double minMs, double maxMs, double gflops, String algorithm) {
}
