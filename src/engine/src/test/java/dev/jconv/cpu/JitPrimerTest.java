package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.backend.ConvPlan;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link JitPrimer}'s layers run every kind of plan the backend chooses (at this JVM's vector width: the AVX2-width
 * test run checks its own kinds), so a new kind of plan without a primer layer fails here; and they all run.
 */
class JitPrimerTest {
    private final CpuBackend backend = new CpuBackend(2);

    @Test
    void primerLayersCoverEveryKindOfPlan() {
        Set<String> primed = new TreeSet<>();
        for (String layer : JitPrimer.LAYERS) {
            primed.add(kind(JitPrimer.geometry(layer)));
        }
        Set<String> primedTiles = new TreeSet<>();
        for (String layer : JitPrimer.primed(backend)) {
            primedTiles.add(tile(JitPrimer.geometry(layer)));
        }
        Map<String, String> missing = new TreeMap<>();
        int[] sizes = {7, 14, 28, 56, 112};
        int[] channels = {3, 16, 32, 64, 96, 128, 256, 512};
        int[] kernels = {1, 3, 5, 7};
        Random random = new Random(7);
        for (int i = 0; i < 3000; i++) {
            int n = random.nextInt(4) == 0 ? 1 + random.nextInt(4) : 1;
            int hw = sizes[random.nextInt(sizes.length)];
            int c = channels[random.nextInt(channels.length)];
            int r = kernels[random.nextInt(kernels.length)];
            int stride = 1 + random.nextInt(2);
            int dilation = random.nextInt(5) == 0 ? 2 : 1;
            int padding = random.nextInt(3) == 0 ? 0 : r / 2 * dilation;
            boolean depthwise = random.nextInt(4) == 0;
            int k = depthwise ? c : channels[random.nextInt(channels.length)];
            int groups = depthwise ? c : random.nextInt(6) == 0 && c % 4 == 0 && k % 4 == 0 ? 4 : 1;
            if (hw + 2 * padding < dilation * (r - 1) + 1) {
                continue;
            }
            ConvGeometry g = ConvValidator.checkForward(new int[] {n, c, hw, hw}, new int[] {k, c / groups, r, r},
                    null, new ConvParams(stride, stride, Padding.of(padding), dilation, dilation, groups,
                            PaddingMode.ZEROS));
            String kind = kind(g);
            String tile = tile(g);
            if (!primedTiles.contains(tile)) {
                missing.putIfAbsent(tile, n + "," + c + "," + hw + "," + hw + "," + k + "," + r + "," + stride + ","
                        + padding + "," + dilation + "," + groups);
            }
            if (!primed.contains(kind)) {
                missing.putIfAbsent(kind, n + "," + c + "," + hw + "," + hw + "," + k + "," + r + "," + stride + ","
                        + padding + "," + dilation + "," + groups);
            }
        }
        assertTrue(missing.isEmpty(), "kinds of plan and register tiles no primer layer runs (kind = an example layer): " + missing);
    }

    @Test
    void oneLayerOfEachKindRunsUnfusedAndWithReluTwice() {
        Set<String> kinds = new TreeSet<>();
        for (String layer : JitPrimer.LAYERS) {
            kinds.add(kind(JitPrimer.geometry(layer)));
        }
        assertEquals(4 * kinds.size(), JitPrimer.prime(backend, 1, 0)); // two rounds
    }

    @Test
    void aVectorPlanStartsThePrimer() {
        assumeFalse("false".equals(System.getProperty(CpuBackend.PRIME_PROPERTY)), "priming turned off");
        backend.plan(JitPrimer.geometry(JitPrimer.LAYERS.get(0)));
        assertTrue(JitPrimer.started());
    }

    private String tile(ConvGeometry g) {
        try (ConvPlan plan = backend.newPlan(g, PostOp.NONE, WorkerPool.of(1))) {
            return JitPrimer.registerTile(plan);
        }
    }

    private String kind(ConvGeometry g) {
        try (ConvPlan plan = backend.newPlan(g, PostOp.NONE, WorkerPool.of(1))) {
            return JitPrimer.kind(plan);
        }
    }
}
