package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel on every named shape it can run, against cpu-reference, whatever {@link LaunchPlanner}'s
 * rule would choose: the rule picks the 128x128 GEMM tile only with a full wave of tiles on the GPU's
 * SMs, which the named shapes do not reach on a large GPU.
 */
@Tag(GpuTestSupport.GPU_TAG)
class PtxKernelVariantsGpuTest {
    private static final Map<LaunchPlanner.Kernel, PtxBackend> BACKENDS = new EnumMap<>(LaunchPlanner.Kernel.class);

    @BeforeEach
    void requireGpu() {  // per test, not @BeforeAll: so each test is reported skipped with the reason
        GpuTestSupport.requireCudaDevice();
        GpuTestSupport.requireBackend(new PtxBackend());
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.values().forEach(PtxBackend::close);
    }

    static Stream<Arguments> kernelsAndShapes() {
        List<Arguments> all = new ArrayList<>();
        for (LaunchPlanner.Kernel k : LaunchPlanner.Kernel.values()) {
            for (ConvCases.Case c : ConvCases.named()) {
                if (LaunchPlanner.canRun(c.geometry(), k)) {
                    all.add(Arguments.of(k, c));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kernelsAndShapes")
    void eachKernelMatchesTheReference(LaunchPlanner.Kernel kernel, ConvCases.Case c) {
        DeviceConvPlan plan = BACKENDS.computeIfAbsent(kernel, PtxBackend::new).plan(c.geometry());
        assertTrue(plan.describe().startsWith(kernel.entry() + " "), plan.describe());
        ConvCases.assertClose(c + " via " + plan.describe(), c.reference(), ConvCases.run(plan, c));
    }
}
