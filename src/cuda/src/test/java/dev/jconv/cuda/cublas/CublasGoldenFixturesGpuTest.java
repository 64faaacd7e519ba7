package dev.jconv.cuda.cublas;

import dev.jconv.backend.Backends;
import dev.jconv.cuda.GpuTestSupport;
import dev.jconv.testkit.GoldenFixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/** Every PyTorch golden fixture through cublas: plan (NaN-poisoned output, twice), functional and module doors. */
@Tag(GpuTestSupport.GPU_TAG)
class CublasGoldenFixturesGpuTest {

    @TestFactory
    Stream<DynamicNode> everyGoldenFixture() {
        if (!Backends.byName(CublasBackend.NAME).availability().available()) {
            return Stream.of(DynamicTest.dynamicTest("cublas available",
                    () -> CublasGpu.require(Backends.byName(CublasBackend.NAME))));
        }
        return GoldenFixtures.tests(CublasBackend.NAME);
    }
}
