package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.Options;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The backends on the class path (or module path), found through {@link BackendProvider}s, in {@code auto}'s order
 * of preference, and the one selector that picks among them and can say why. This package imports no backend:
 * a backend joins by shipping a provider.
 *
 * <p>{@code auto}'s rule, per convolution ({@link #autoOrder}): every provider not {@link BackendProvider#namedOnly()
 * named-only}, in ascending {@link BackendProvider#rank(ConvGeometry) rank} for that geometry. With jconv's own
 * backends: {@code cudnn} (as PyTorch does on a GPU), {@code cuda-ptx}, {@code cpu}, {@code cpu-reference}; grouped
 * convolutions with few output channels per group try {@code cuda-ptx} before {@code cudnn} (its provider's rule);
 * {@code cublas} only when named.
 *
 * <p>The CUDA backends ship in {@value #CUDA_ARTIFACT}. Without that jar they are still known by name
 * ({@link #SHIPPED_SEPARATELY}) and reported unavailable with what to add, rather than as unknown names.
 */
public final class Backends {
    public static final String AUTO = Options.AUTO;
    static final String CUDA_ARTIFACT = "dev.jconv:jconv-cuda";

    /** Backends jconv ships in other artifacts, by name: the artifact that brings each one. */
    static final Map<String, String> SHIPPED_SEPARATELY = Map.of(
            "cudnn", CUDA_ARTIFACT,
            "cuda-ptx", CUDA_ARTIFACT,
            "cublas", CUDA_ARTIFACT);

    /** A found provider and the backend it made. */
    record Entry(BackendProvider provider, ConvBackend backend) {}

    /** Discovered backends by ascending rank, then those known but absent. */
    private static volatile List<Entry> entries;

    private Backends() {}

    private static List<Entry> entries() {
        List<Entry> e = entries;
        if (e == null) {
            synchronized (Backends.class) {
                if (entries == null) {
                    entries = discover(ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()));
                }
                e = entries;
            }
        }
        return e;
    }

    /**
     * Makes the backends of these providers, by ascending rank (ties by name), and adds the ones
     * {@link #SHIPPED_SEPARATELY} that none provided. A provider that cannot be loaded or cannot make its backend
     * (its jar is there but a library it needs is not) is listed as unavailable with the error, not dropped.
     */
    static List<Entry> discover(Iterable<BackendProvider> providers) {
        List<BackendProvider> found = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        var it = providers.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                broken.add(e.getMessage());
            }
        }
        found.sort(Comparator.comparingInt((BackendProvider p) -> p.rank()).thenComparing(BackendProvider::name));
        List<Entry> made = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (BackendProvider p : found) {
            if (!names.add(p.name())) {
                throw new IllegalStateException("two backend providers named " + p.name() + " on the class path");
            }
            ConvBackend backend;
            try {
                backend = p.create();
            } catch (RuntimeException | LinkageError e) {
                backend = new AbsentBackend(p.name(), "cannot be loaded: " + e);
            }
            made.add(new Entry(p, backend));
        }
        SHIPPED_SEPARATELY.keySet().stream().sorted().filter(n -> !names.contains(n)).forEach(n -> made.add(new Entry(
                null, new AbsentBackend(n, notOnClassPath(n) + (broken.isEmpty() ? "" : " (providers that failed to load: "
                        + String.join("; ", broken) + ")")))));
        return List.copyOf(made);
    }

    private static String notOnClassPath(String name) {
        return "not on the class path: add " + SHIPPED_SEPARATELY.get(name) + " (it brings the " + name + " backend)";
    }

    /** Every known backend, available or not: the discovered ones in {@code auto}'s usual order, then absent ones. */
    public static List<ConvBackend> all() {
        return entries().stream().map(Entry::backend).toList();
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
        return select(requested, geometry, UnaryOperator.identity());
    }

    /** {@link #select(String, ConvGeometry)} for {@code options.backend()}, each backend configured by {@code options}. */
    public static Selection select(Options options, ConvGeometry geometry) {
        return select(options.backend(), geometry, b -> b.configured(options));
    }

    private static Selection select(String requested, ConvGeometry geometry, UnaryOperator<ConvBackend> configure) {
        if (!AUTO.equals(requested)) {
            ConvBackend b = configure.apply(byName(requested));
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
        List<Entry> order = autoEntries(geometry);
        for (Entry e : order) {
            ConvBackend b = configure.apply(e.backend());
            Availability a = b.availability();
            if (!a.available()) {
                passed.append(b.name()).append(" unavailable (").append(a.reason()).append("); ");
            } else if (!b.supports(geometry)) {
                passed.append(b.name()).append(" does not support this shape; ");
            } else {
                List<String> why = order.stream().flatMap(o -> o.provider().whyRanked(geometry).stream()).toList();
                return new Selection(b, "auto: first available backend in order "
                        + order.stream().map(o -> o.backend().name()).toList()
                        + (why.isEmpty() ? "" : " (" + String.join("; ", why) + ")")
                        + (passed.length() == 0 ? "" : "; passed over: " + passed.substring(0, passed.length() - 2))
                        + absentNote());
            }
        }
        throw new BackendUnavailableException("no backend can run this convolution: " + passed + absentNote());
    }

    /** The known backends whose jar is absent, with what to add; empty when every one is there. */
    private static String absentNote() {
        Map<String, List<String>> byArtifact = entries().stream().filter(e -> e.provider() == null)
                .map(e -> e.backend().name())
                .collect(Collectors.groupingBy(SHIPPED_SEPARATELY::get, TreeMap::new, Collectors.toList()));
        return byArtifact.entrySet().stream().map(a -> "; not on the class path: " + String.join(", ", a.getValue())
                + " (add " + a.getKey() + ")").collect(Collectors.joining());
    }

    /** The backends {@code auto} tries for {@code geometry}, in order: the named-only ones left out, by rank for it. */
    public static List<ConvBackend> autoOrder(ConvGeometry geometry) {
        return autoEntries(geometry).stream().map(Entry::backend).toList();
    }

    private static List<Entry> autoEntries(ConvGeometry geometry) {
        return autoEntries(entries(), geometry);
    }

    static List<Entry> autoEntries(List<Entry> entries, ConvGeometry geometry) {
        return entries.stream().filter(e -> e.provider() != null && !e.provider().namedOnly())
                .sorted(Comparator.comparingInt(e -> e.provider().rank(geometry))).toList();
    }

    /** {@code auto}'s rule in one line, for {@code jconv info}. */
    public static String autoRule() {
        List<BackendProvider> providers = entries().stream().map(Entry::provider).filter(p -> p != null).toList();
        List<String> order = providers.stream().filter(p -> !p.namedOnly()).map(BackendProvider::name).toList();
        List<String> namedOnly = providers.stream().filter(BackendProvider::namedOnly).map(BackendProvider::name)
                .sorted().toList();
        StringBuilder rule = new StringBuilder("auto picks the first available backend that supports the convolution,"
                + " in this order: " + String.join(", ", order));
        providers.forEach(p -> p.rankRule().ifPresent(r -> rule.append("; ").append(r)));
        if (!namedOnly.isEmpty()) {
            rule.append("; ").append(String.join(", ", namedOnly)).append(" only when named");
        }
        return rule.toString();
    }
}
