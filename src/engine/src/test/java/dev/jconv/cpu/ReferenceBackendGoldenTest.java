package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.testkit.GoldenCase;
import dev.jconv.testkit.GoldenFixtures;
import dev.jconv.testkit.LayerSpec;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The oracle itself against PyTorch: every golden fixture on {@code cpu-reference}, through every door. */
class ReferenceBackendGoldenTest {

    @TestFactory
    Stream<DynamicNode> everyGoldenFixtureMatchesPyTorch() {
        return GoldenFixtures.tests(ReferenceBackend.NAME);
    }

    /** Guards the fixture set itself: regenerating it must not silently drop a parameter's coverage. */
    @Test
    void fixturesCoverEveryParameterAndItsCombinations() {
        List<GoldenCase> cases = GoldenFixtures.cases();
        assertTrue(cases.size() >= 60, "only " + cases.size() + " golden cases");
        Set<PaddingMode> modes = cases.stream().map(c -> c.layer().params().paddingMode())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(PaddingMode.class)));
        assertTrue(modes.containsAll(EnumSet.allOf(PaddingMode.class)), "padding modes covered: " + modes);

        covered(cases, "non-square stride", l -> l.params().strideH() != l.params().strideW());
        covered(cases, "stride > kernel", l -> l.params().strideH() > l.kernelH());
        covered(cases, "explicit symmetric padding", l -> explicit(l) && l.params().padding().height() > 0
                && l.params().padding().height() == l.params().padding().width());
        covered(cases, "explicit padding pair", l -> explicit(l) && l.params().padding().height() != l.params().padding().width());
        covered(cases, "padding='valid'", l -> l.params().padding().kind() == Padding.Kind.VALID);
        covered(cases, "padding='same' with an even kernel", l -> same(l) && (l.kernelH() % 2 == 0 || l.kernelW() % 2 == 0));
        covered(cases, "padding='same' with dilation", l -> same(l) && l.params().isDilated());
        covered(cases, "non-square dilation", l -> l.params().dilationH() != l.params().dilationW());
        covered(cases, "groups", l -> l.params().groups() > 1 && l.params().groups() < l.inChannels());
        covered(cases, "depthwise", l -> l.params().groups() == l.inChannels() && l.outChannels() == l.inChannels()
                && l.inChannels() > 1);
        covered(cases, "depthwise channel multiplier", l -> l.params().groups() == l.inChannels()
                && l.outChannels() == 2 * l.inChannels());
        covered(cases, "no bias", l -> !l.bias());
        covered(cases, "1x1 kernel", l -> l.kernelH() == 1 && l.kernelW() == 1);
        covered(cases, "non-square kernel", l -> l.kernelH() != l.kernelW());
        covered(cases, "big kernel", l -> l.kernelH() >= 7);
        for (PaddingMode m : EnumSet.of(PaddingMode.REFLECT, PaddingMode.REPLICATE, PaddingMode.CIRCULAR)) {
            covered(cases, m + " with padding='same'", l -> l.params().paddingMode() == m && same(l));
            covered(cases, m + " with groups", l -> l.params().paddingMode() == m && l.params().groups() > 1);
        }
        assertTrue(cases.stream().anyMatch(GoldenCase::unbatched), "no unbatched input");
        assertTrue(cases.stream().anyMatch(c -> c.inputShape()[0] == 0 && !c.unbatched()), "no N=0 input");
        assertTrue(cases.stream().anyMatch(c -> c.inputShape()[2] != c.inputShape()[3]), "no non-square input");
    }

    private static void covered(List<GoldenCase> cases, String what, Predicate<LayerSpec> p) {
        assertTrue(cases.stream().map(GoldenCase::layer).anyMatch(p), "no golden case covers " + what);
    }

    private static boolean explicit(LayerSpec l) {
        return l.params().padding().kind() == Padding.Kind.EXPLICIT;
    }

    private static boolean same(LayerSpec l) {
        return l.params().padding().kind() == Padding.Kind.SAME;
    }
}
