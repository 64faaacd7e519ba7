package dev.jconv.cuda.cudnn;

import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Benchmark mode's results for the life of the process, like PyTorch's cuDNN benchmark cache: the
 * candidates {@code cudnnFindConvolutionForwardAlgorithmEx} timed, fastest first, per full parameter set
 * (device, cuDNN shape, math and determinism settings). Each key is timed once, even when many threads
 * plan it at the same time; plans made later (another backend instance, after a close) reuse the result.
 */
final class BenchmarkCache {
    record Key(int device, CudnnConvShape shape, boolean allowTf32, boolean deterministic) {}

    /** The ranked candidates and whether this call timed them (false: they came from the cache). */
    record Result(List<Candidate> ranked, boolean timedNow) {}

    private static final ConcurrentHashMap<Key, List<Candidate>> RESULTS = new ConcurrentHashMap<>();

    private BenchmarkCache() {}

    static Result get(Key key, Supplier<List<Candidate>> timer) {
        boolean[] timed = {false};
        List<Candidate> ranked = RESULTS.computeIfAbsent(key, k -> {
            timed[0] = true;
            return List.copyOf(timer.get());
        });
        return new Result(ranked, timed[0]);
    }

    static int size() {
        return RESULTS.size();
    }

    /** Forgets every result (tests; or after a driver/library change in a long-running process). */
    static void clear() {
        RESULTS.clear();
    }
}
