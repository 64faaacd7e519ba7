package consumer;

import dev.jconv.Conv2d;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;

/** With jconv-cuda beside jconv: the CUDA backends are found, and say why they cannot run here; a conv still runs. */
public final class GpuConsumer {
    private GpuConsumer() {}

    public static void main(String[] args) {
        for (var b : Backends.all()) {
            System.out.println("backend " + b.name() + ": " + b.availability());
        }
        Tensor y = Conv2d.builder(3, 8, 3).padding(1).seed(0).build().forward(Tensor.randn(1, 1, 3, 16, 16));
        System.out.println("output " + Shapes.format(y.shape()));
    }
}
