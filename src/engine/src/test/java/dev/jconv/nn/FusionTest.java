package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Conv2d;
import dev.jconv.Tensor;
import dev.jconv.testkit.OutputComparison;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fusion changes nothing but speed: Conv -> BatchNorm2d (folded) -> ReLU (fused into the output pass) equals the
 * modules run one by one, on fresh random weights, statistics and inputs, on {@code cpu} and {@code cpu-reference}.
 */
class FusionTest {

    private static void randomize(Sequential model, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        model.stateDict().forEach((key, t) -> {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                // variances positive, everything else signed
                d[i] = key.endsWith("running_var") ? (float) (0.2 + rng.nextDouble()) : (float) (rng.nextDouble() * 2 - 1);
            }
        });
        model.refuse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cpu-reference"})
    void fusedEqualsUnfused(String backend) {
        for (long seed = 1; seed <= 3; seed++) {
            Sequential model = new Sequential("Block")
                    .add("conv1", Conv2d.builder(3, 16, 3).padding(1).bias(seed != 2).build())
                    .add("bn1", new BatchNorm2d(16, 1e-3, 0.1, seed != 3, true))
                    .add("relu1", new ReLU())
                    .add("conv2", Conv2d.builder(16, 16, 3).groups(16).padding(1).build())
                    .add("relu2", new ReLU())
                    .add("pool", MaxPool2d.builder(2).ceilMode(true).build())
                    .add("conv3", Conv2d.builder(16, 8, 1).build())
                    .add("bn3", new BatchNorm2d(8))
                    .add("flatten", new Flatten())
                    .add("fc", new Linear(8 * 10 * 10, 7));
            randomize(model, seed);
            model.setBackend(backend);
            Tensor x = Tensor.randn(seed + 100, 2, 3, 19, 19);
            List<String> plan = model.explain(x.shape());
            assertEquals(6, plan.size(), String.join("\n", plan));
            assertTrue(plan.get(0).startsWith("conv1 + bn1 + relu1 -> [2, 16, 19, 19]"), plan.get(0));
            assertTrue(plan.get(1).startsWith("conv2 + relu2 -> "), plan.get(1));
            assertTrue(plan.get(3).startsWith("conv3 + bn3 -> "), plan.get(3));
            Tensor fused = model.forward(x);
            Tensor unfused = model.fusion(false).forward(x);
            model.fusion(true);
            OutputComparison.assertClose("seed " + seed, unfused, fused);
        }
    }
}
