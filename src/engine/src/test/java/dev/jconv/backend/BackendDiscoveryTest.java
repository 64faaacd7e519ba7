package dev.jconv.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Backends are found through {@link BackendProvider}s, not imported. The engine's tests run without jconv-cuda on
 * the class path, as a CPU user's program does: the CUDA backends must then be known, unavailable, and say which
 * artifact to add.
 */
class BackendDiscoveryTest {
    private static final ConvGeometry GEOMETRY = ConvValidator.checkForward(new int[] {1, 4, 8, 8},
            new int[] {4, 4, 3, 3}, null, ConvParams.defaults());
    private static final ConvGeometry DEPTHWISE = ConvValidator.checkForward(new int[] {1, 4, 8, 8},
            new int[] {4, 1, 3, 3}, null, ConvParams.defaults().withGroups(4));

    private static List<String> names(List<ConvBackend> backends) {
        return backends.stream().map(ConvBackend::name).toList();
    }

    @Test
    void theEnginesProvidersAreFoundAndTheCudaOnesAreKnownButAbsent() {
        assertEquals(List.of("cpu", "cpu-reference", "cublas", "cuda-ptx", "cudnn"), names(Backends.all()));
        assertTrue(Backends.byName("cpu-reference").availability().available());
        for (String cuda : List.of("cudnn", "cuda-ptx", "cublas")) {
            Availability a = Backends.byName(cuda).availability();
            assertFalse(a.available(), cuda);
            assertEquals("not on the class path: add dev.jconv:jconv-cuda (it brings the " + cuda + " backend)", a.reason());
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> Backends.select(cuda, GEOMETRY));
            assertEquals("backend " + cuda + " is unavailable: " + a.reason(), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Backends.byName("cuda"));
    }

    @Test
    void autoExplainsWhatIsMissingAndStillRuns() {
        assertEquals(List.of("cpu", "cpu-reference"), names(Backends.autoOrder(GEOMETRY)));
        Backends.Selection s = Backends.select(Backends.AUTO, GEOMETRY);
        assertTrue(s.reason().startsWith("auto: first available backend in order [cpu, cpu-reference]"), s.reason());
        assertTrue(s.reason().endsWith("; not on the class path: cublas, cuda-ptx, cudnn (add dev.jconv:jconv-cuda)"),
                s.reason());
        assertTrue(Backends.autoRule().startsWith("auto picks the first available backend that supports the convolution,"
                + " in this order: cpu, cpu-reference"), Backends.autoRule());
    }

    /** A provider for the rank tests: fixed rank, or an earlier one for depthwise convolutions. */
    private record Fake(String name, int rank, int depthwiseRank, boolean namedOnly) implements BackendProvider {
        @Override
        public int rank(ConvGeometry g) {
            return g.outChannelsPerGroup() == 1 && g.groups() > 1 ? depthwiseRank : rank;
        }

        @Override
        public Optional<String> whyRanked(ConvGeometry g) {
            return rank(g) == rank ? Optional.empty() : Optional.of(name + " first for depthwise");
        }

        @Override
        public ConvBackend create() {
            return new AbsentBackend(name, "fake");
        }
    }

    @Test
    void providersAreOrderedByRankPerGeometryAndNamedOnlyOnesStayOutOfAuto() {
        List<BackendProvider> providers = List.of(new Fake("slow", 900, 900, false), new Fake("gpu", 100, 100, false),
                new Fake("stencil", 200, 50, false), new Fake("baseline", 300, 300, true));
        List<Backends.Entry> entries = Backends.discover(providers);
        assertEquals(List.of("gpu", "stencil", "baseline", "slow", "cublas", "cuda-ptx", "cudnn"),
                entries.stream().map(e -> e.backend().name()).toList());
        assertEquals(List.of("gpu", "stencil", "slow"),
                Backends.autoEntries(entries, GEOMETRY).stream().map(e -> e.backend().name()).toList());
        assertEquals(List.of("stencil", "gpu", "slow"),
                Backends.autoEntries(entries, DEPTHWISE).stream().map(e -> e.backend().name()).toList());
    }

    @Test
    void aProviderWhoseLibrariesAreMissingIsListedUnavailableWithTheError() {
        BackendProvider twin = new Fake("twin", 100, 100, false);
        List<Backends.Entry> entries = Backends.discover(List.of(new BackendProvider() {
            @Override
            public String name() {
                return "native";
            }

            @Override
            public int rank() {
                return 100;
            }

            @Override
            public ConvBackend create() {
                throw new NoClassDefFoundError("jcuda/driver/CUdeviceptr");
            }
        }));
        Availability a = entries.get(0).backend().availability();
        assertEquals("native", entries.get(0).backend().name());
        assertFalse(a.available());
        assertTrue(a.reason().contains("cannot be loaded: java.lang.NoClassDefFoundError: jcuda/driver/CUdeviceptr"),
                a.reason());
        assertThrows(IllegalStateException.class, () -> Backends.discover(List.of(twin, twin)));
    }

    /** The package every backend implements depends on none of them (the selector finds them instead). */
    @Test
    void theBackendPackageImportsNoBackend() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/engine/src/main/java/dev/jconv/backend"))) {
            List<Path> sources = files.filter(f -> f.toString().endsWith(".java")).toList();
            assertTrue(sources.size() >= 6, sources::toString);
            for (Path f : sources) {
                String text = Files.readString(f);
                assertFalse(text.matches("(?s).*import (static )?dev\\.jconv\\.(cpu|cuda)\\..*"), f + " imports a backend");
                assertFalse(text.matches("(?s).*\"dev\\.jconv\\.(cpu|cuda)\\..*"), f + " names a backend class");
            }
        }
    }
}
