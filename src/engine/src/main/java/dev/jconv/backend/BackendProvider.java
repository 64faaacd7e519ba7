package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import java.util.Optional;

/**
 * How a backend joins jconv: an implementation is listed in its jar's
 * {@code META-INF/services/dev.jconv.backend.BackendProvider} (and {@code provides} in its module descriptor), and
 * {@link Backends} finds it with {@link java.util.ServiceLoader}. The backend package therefore imports no backend,
 * and a backend whose jar is absent is simply not found.
 *
 * <p>{@code auto} tries backends in ascending {@link #rank(ConvGeometry)}; a provider that knows its backend is the
 * better choice for some shapes ranks itself earlier for those and says why ({@link #whyRanked}).
 */
public interface BackendProvider {

    /** The backend's name, as users pick it (e.g. {@code cpu}); unique among providers. */
    String name();

    /** {@code auto}'s preference for ordinary convolutions: lower is tried first. Also the order of listings. */
    int rank();

    /** Whether {@code auto} leaves this backend out: it runs only when asked for by name. */
    default boolean namedOnly() {
        return false;
    }

    /** {@code auto}'s preference for this geometry; {@link #rank()} unless the provider knows better. */
    default int rank(ConvGeometry geometry) {
        return rank();
    }

    /** Why {@link #rank(ConvGeometry)} differs from {@link #rank()} for this geometry, in words; empty when it does not. */
    default Optional<String> whyRanked(ConvGeometry geometry) {
        return Optional.empty();
    }

    /** The shape-dependent part of the rule, in words for {@code jconv info}; empty when the rank is fixed. */
    default Optional<String> rankRule() {
        return Optional.empty();
    }

    /** Makes the backend (once per process: {@link Backends} keeps it). */
    ConvBackend create();
}
