package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.cpu.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The backends this build knows, in {@code auto}'s order of preference, and the one selector that
 * picks among them and can say why. Adding a backend is one line in {@link #KNOWN} (plus its
 * availability probe and its {@link ConvBackend#supports} rule).
 */
public final class Backends {
    public static final String AUTO = "auto";

    /** Preference order for {@code auto}: GPU families first, then the fast CPU, then the reference. */
    private static final List<Supplier<ConvBackend>> KNOWN = List.of(
            CpuBackend::new,
            ReferenceBackend::new);

    private static volatile List<ConvBackend> all;

    private Backends() {}

    /** Every known backend, available or not, in {@code auto}'s order of preference. */
    public static List<ConvBackend> all() {
        List<ConvBackend> a = all;
        if (a == null) {
            synchronized (Backends.class) {
                if (all == null) {
                    List<ConvBackend> made = new ArrayList<>();
                    KNOWN.forEach(s -> made.add(s.get()));
                    all = List.copyOf(made);
                }
                a = all;
            }
        }
        return a;
    }

    /** The names users can pass to {@code --backend}, {@code auto} first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(AUTO);
        all().forEach(b -> names.add(b.name()));
        return names;
    }

    /** The backend of that name, whether or not it is available. */
    public static ConvBackend byName(String name) {
        for (ConvBackend b : all()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "', expected one of " + names());
    }

    /** The chosen backend and, in words, why. */
    public record Selection(ConvBackend backend, String reason) {}

    /**
     * Picks the backend for one geometry. A backend named explicitly must be available and support the
     * geometry, or this throws {@link BackendUnavailableException} with the reason; {@code auto} takes the
     * first available backend that supports it and says which ones it passed over and why.
     */
    public static Selection select(String requested, ConvGeometry geometry) {
        if (!AUTO.equals(requested)) {
            ConvBackend b = byName(requested);
            Availability a = b.availability();
            if (!a.available()) {
                throw new BackendUnavailableException("backend " + b.name() + " is unavailable: " + a.reason());
            }
            if (!b.supports(geometry)) {
                throw new BackendUnavailableException("backend " + b.name() + " does not support this convolution");
            }
            return new Selection(b, "requested by name");
        }
        StringBuilder passed = new StringBuilder();
        for (ConvBackend b : all()) {
            Availability a = b.availability();
            if (!a.available()) {
                passed.append(b.name()).append(" unavailable (").append(a.reason()).append("); ");
            } else if (!b.supports(geometry)) {
                passed.append(b.name()).append(" does not support this shape; ");
            } else {
                return new Selection(b, "auto: first available backend in order " + names().subList(1, names().size())
                        + (passed.length() == 0 ? "" : "; passed over: " + passed.substring(0, passed.length() - 2)));
            }
        }
        throw new BackendUnavailableException("no backend can run this convolution: " + passed);
    }
}
