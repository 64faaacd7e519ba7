package dev.jconv.cuda;

import dev.jconv.backend.Backends;
import dev.jconv.testkit.GoldenFixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/** Every PyTorch golden fixture through cuda-ptx: plan (NaN-poisoned output, twice), functional and module doors. */
@Tag(GpuTestSupport.GPU_TAG)
class PtxGoldenFixturesGpuTest {

    @TestFactory
    Stream<DynamicNode> everyGoldenFixture() {
        if (!Backends.byName(PtxBackend.NAME).availability().available()) {
            // a factory that aborts is not reported at all; one test that skips (or fails) shows the reason
            return Stream.of(DynamicTest.dynamicTest("cuda-ptx available",
                    () -> GpuTestSupport.requireBackend(Backends.byName(PtxBackend.NAME))));
        }
        return GoldenFixtures.tests(PtxBackend.NAME);
    }
}
