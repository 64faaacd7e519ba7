package dev.jconv.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** auto's per-shape order, which Backends alone decides and explains. */
class AutoRuleTest {

    static ConvGeometry geometry(int c, int k, int groups) {
        return ConvValidator.checkForward(new int[] {1, c, 16, 16}, new int[] {k, c / groups, 3, 3}, null,
                ConvParams.defaults().withPadding(1).withGroups(groups));
    }

    static List<String> order(ConvGeometry g) {
        return Backends.autoOrder(g).stream().map(ConvBackend::name).toList();
    }

    /** jconv-cuda's providers are found beside the engine's (META-INF/services), so none is reported absent. */
    @Test
    void theCudaProvidersAreDiscoveredBesideTheEngines() {
        assertEquals(List.of("cudnn", "cuda-ptx", "cublas", "cpu", "cpu-reference"),
                Backends.all().stream().map(ConvBackend::name).toList());
        for (ConvBackend b : Backends.all()) {
            assertTrue(!b.availability().reason().contains("not on the class path"), b.name() + ": " + b.availability());
        }
    }

    @Test
    void cudnnComesFirstForOrdinaryConvolutionsAndCublasNeverComes() {
        List<String> order = order(geometry(16, 32, 1));
        assertEquals(List.of("cudnn", "cuda-ptx"), order.subList(0, 2));
        assertEquals("cpu-reference", order.get(order.size() - 1));
        assertTrue(!order.contains("cublas"), order.toString());
        assertEquals(List.of("cudnn", "cuda-ptx"), order(geometry(16, 64, 2)).subList(0, 2), "32 outputs per group");
    }

    @Test
    void depthwiseAndNearDepthwiseTryCudaPtxFirst() {
        assertEquals(List.of("cuda-ptx", "cudnn"), order(geometry(32, 32, 32)).subList(0, 2));
        assertEquals(List.of("cuda-ptx", "cudnn"), order(geometry(8, 32, 8)).subList(0, 2), "4 outputs per group");
        assertEquals(List.of("cudnn", "cuda-ptx"), order(geometry(8, 40, 8)).subList(0, 2), "5 outputs per group");
        assertEquals(List.of("cudnn", "cuda-ptx"), order(geometry(1, 1, 1)).subList(0, 2), "one channel, no groups");
    }

    @Test
    void autosReasonCarriesTheRuleAndTheRuleIsPrintable() {
        Backends.Selection s = Backends.select(Backends.AUTO, geometry(32, 32, 32));
        assertTrue(s.reason().startsWith("auto: first available backend in order [cuda-ptx, cudnn"), s.reason());
        assertTrue(s.reason().contains("depthwise-like, 1 output channel(s) per group"), s.reason());
        String rule = Backends.autoRule();
        assertTrue(rule.contains("in this order: cudnn, cuda-ptx"), rule);
        assertTrue(rule.endsWith("cublas only when named"), rule);
    }
}
