package consumer;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Conv2d;
import dev.jconv.Functional;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import java.util.Arrays;

/**
 * Runs convolutions through jconv's public API only and checks them: a case whose every output value is known by
 * counting (all-ones input and weights), and a ResNet layer against cpu-reference. Prints the backends as a
 * library user sees them, for run.sh to check. Exits non-zero on any mismatch.
 */
public final class CpuConsumer {
    private CpuConsumer() {}

    public static void main(String[] args) {
        // ones(1, 2, 4, 4) * ones(3, 2, 3, 3), padding 1, bias 0.5: each output is 0.5 + 2 * (inputs under the window)
        Tensor ones = Tensor.of(filled(32, 1f), 1, 2, 4, 4);
        Conv2d counting = Conv2d.builder(2, 3, 3).padding(1).build();
        counting.setWeight(Tensor.of(filled(54, 1f), 3, 2, 3, 3));
        counting.setBias(Tensor.of(filled(3, 0.5f), 3));
        Tensor y = counting.forward(ones);
        float[] expectedRow0 = {8.5f, 12.5f, 12.5f, 8.5f};
        float[] expectedRow1 = {12.5f, 18.5f, 18.5f, 12.5f};
        for (int k = 0; k < 3; k++) {
            for (int x = 0; x < 4; x++) {
                require(y.get(0, k, 0, x) == expectedRow0[x] && y.get(0, k, 3, x) == expectedRow0[x]
                        && y.get(0, k, 1, x) == expectedRow1[x] && y.get(0, k, 2, x) == expectedRow1[x],
                        "counting case, channel " + k + ", column " + x);
            }
        }
        System.out.println("counting case: ok");

        // 1x64x56x56 * 64x64x3x3, padding 1: auto against cpu-reference at the fp32 tolerance
        Tensor x = Tensor.randn(1, 1, 64, 56, 56);
        Conv2d conv = Conv2d.builder(64, 64, 3).padding(1).seed(0).build();
        Tensor fast = conv.forward(x);
        Tensor ref = Functional.conv2d(x, conv.weight(), conv.bias(), ConvParams.defaults().withPadding(1),
                "cpu-reference");
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < ref.data().length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref.data()[i]));
            maxDiff = Math.max(maxDiff, Math.abs((double) fast.data()[i] - ref.data()[i]));
        }
        require(maxDiff <= 1e-4 * Math.max(1, maxRef), "resnet layer: max |auto - reference| " + maxDiff);
        var geometry = ConvValidator.checkForward(x.shape(), conv.weightShape(), conv.biasShape(),
                ConvParams.defaults().withPadding(1));
        System.out.println("resnet layer: ok on " + Backends.select(Backends.AUTO, geometry).backend().name());
        for (var b : Backends.all()) {
            System.out.println("backend " + b.name() + ": " + b.availability());
        }
        System.out.println("module: " + (CpuConsumer.class.getModule().isNamed() ? "named "
                + CpuConsumer.class.getModule().getName() : "unnamed") + ", jconv module: "
                + (Conv2d.class.getModule().isNamed() ? Conv2d.class.getModule().getName() : "unnamed"));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer: mismatch: " + what);
            System.exit(1);
        }
    }
}
