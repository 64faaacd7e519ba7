package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.testkit.GoldenFixtures;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every PyTorch golden fixture on {@code cpu}: through every door, and once more with the pool forced on. */
class CpuBackendGoldenTest {

    @TestFactory
    Stream<DynamicNode> everyGoldenFixtureMatchesPyTorch() {
        return GoldenFixtures.tests(CpuBackend.NAME);
    }

    /** The fixtures are small enough to run on the calling thread; this splits them over three threads too. */
    @TestFactory
    Stream<DynamicNode> everyGoldenFixtureMatchesPyTorchOnThePool() {
        CpuBackend pooled = new CpuBackend(3, 0);
        return fixtures(g -> true, pooled);
    }

    /** The fixtures Winograd can run (3x3, stride 1, undilated), by Winograd whatever their channel counts. */
    @TestFactory
    Stream<DynamicNode> everyWinogradFixtureMatchesPyTorchByWinograd() {
        CpuBackend winograd = new CpuBackend(3, 0, 0, CpuBackend.Choice.ALWAYS);
        return fixtures(WinogradPlan::eligible, winograd);
    }

    /** The fixtures F(2x2, 3x3) can run (3x3, stride 1, undilated, few tiles), by it whatever their channel counts. */
    @TestFactory
    Stream<DynamicNode> everySmallWinogradFixtureMatchesPyTorchByWinograd2x2() {
        WorkerPool pool = WorkerPool.of(3);
        ConvBackend winograd2x2 = planning("cpu, Winograd F(2x2,3x3)", g -> new Winograd2x2Plan(g, pool));
        return fixtures(Winograd2x2Plan::eligible, winograd2x2);
    }

    /**
     * Every fixture the channel-vectorized GEMM can run (all but depthwise), by it whatever its shape, with each of
     * its register tiles (all run on any machine).
     */
    @TestFactory
    Stream<DynamicNode> everyFixtureMatchesPyTorchByTheChannelGemm() {
        WorkerPool pool = WorkerPool.of(3);
        return ChannelGemmKernel.SHAPES.stream().map(kernel -> {
            ConvBackend channelGemm = planning("cpu, channel GEMM " + kernel.describe(),
                    g -> new ChannelGemmPlan(g, pool, PostOp.NONE, kernel));
            return DynamicContainer.dynamicContainer(kernel.describe(),
                    fixtures(ChannelGemmPlan::eligible, channelGemm));
        });
    }

    /** Every fixture {@link StemPlan} can run, by it whatever its shape, with each of its register tiles. */
    @TestFactory
    Stream<DynamicNode> everyFixtureMatchesPyTorchByTheStemPlan() {
        WorkerPool pool = WorkerPool.of(3);
        return Stream.of(ChannelGemmKernel.WIDE, ChannelGemmKernel.NARROW).map(kernel -> {
            ConvBackend stem = planning("cpu, stem plan " + kernel.describe(),
                    g -> new StemPlan(g, pool, PostOp.NONE, kernel));
            return DynamicContainer.dynamicContainer(kernel.describe(), fixtures(StemPlan::eligible, stem));
        });
    }

    /**
     * Every fixture the implicit GEMM runs (the backend sends the others to the gather plan), with each whole tile's
     * input copied into a panel first, two tiles' panels at a time, as the backend does for wide 1x1 layers on the
     * narrow register tile.
     */
    @TestFactory
    Stream<DynamicNode> everyFixtureMatchesPyTorchByTheImplicitGemmOnPanels() {
        WorkerPool pool = WorkerPool.of(3);
        ConvBackend panels = planning("cpu, implicit GEMM on panels",
                g -> new ImplicitGemmPlan(g, pool, 0, 0, PostOp.NONE, 2));
        return fixtures(g -> !GatherPlan.isNeededFor(g, FlatLayout.copyLength(g)), panels);
    }

    /** A test per fixture whose geometry {@code runs} accepts, calling {@code backend}'s plan for it directly. */
    private static Stream<DynamicNode> fixtures(Predicate<ConvGeometry> runs, ConvBackend backend) {
        return GoldenFixtures.cases().stream()
                .filter(c -> runs.test(GoldenFixtures.geometry(c)))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> GoldenFixtures.checkPlan(c, backend)));
    }

    /** A backend named {@code name} whose plans are {@code plans}' (a new one per call). */
    private static ConvBackend planning(String name, Function<ConvGeometry, ConvPlan> plans) {
        return new ConvBackend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Availability availability() {
                return Availability.yes("test");
            }

            @Override
            public ConvPlan plan(ConvGeometry g) {
                return plans.apply(g);
            }
        };
    }
}
