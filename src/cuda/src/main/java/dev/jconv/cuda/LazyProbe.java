package dev.jconv.cuda;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A probe run once, on first use, and its result kept: the GPU backends' availability checks load
 * native libraries and touch the driver, which is too slow (and too noisy) to repeat on every
 * {@code availability()} or {@code supports()} call, and must not happen at construction, since
 * listing backends must stay cheap on machines without a GPU. Thread-safe; concurrent first calls
 * run the probe once.
 */
public final class LazyProbe<T> {
    private final Supplier<T> probe;
    private volatile T result;

    /** {@code probe} must not return null. */
    public LazyProbe(Supplier<T> probe) {
        this.probe = Objects.requireNonNull(probe, "probe");
    }

    /** The probe's result, probing now if this is the first call. */
    public T get() {
        T r = result;
        if (r == null) {
            synchronized (this) {
                if (result == null) {
                    result = Objects.requireNonNull(probe.get(), "probe returned null");
                }
                r = result;
            }
        }
        return r;
    }
}
