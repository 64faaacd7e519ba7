package dev.jconv.cuda.cudnn;

import dev.jconv.backend.Backends;
import dev.jconv.cuda.GpuTestSupport;
import dev.jconv.testkit.GoldenFixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/** Every PyTorch golden fixture through cudnn: plan (NaN-poisoned output, twice), functional and module doors. */
@Tag(GpuTestSupport.GPU_TAG)
class CudnnGoldenFixturesGpuTest {

    @TestFactory
    Stream<DynamicNode> everyGoldenFixture() {
        if (!Backends.byName(CudnnBackend.NAME).availability().available()) {
            // a factory that aborts is not reported at all; one test that skips (or fails) shows the reason
            return Stream.of(DynamicTest.dynamicTest("cudnn available", () -> {
                GpuTestSupport.requireCudaDevice();
                GpuTestSupport.requireBackend(Backends.byName(CudnnBackend.NAME));
            }));
        }
        return GoldenFixtures.tests(CudnnBackend.NAME);
    }
}
