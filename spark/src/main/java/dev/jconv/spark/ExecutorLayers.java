package dev.jconv.spark;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layers one executor JVM runs, each prepared once for all the tasks of that JVM: the broadcast weights
 * taken out once, and per input shape and backend the plan picked once (backend selection, the backend's plan
 * for the shape). Both are bounded, least recently used first out, because a long-lived executor sees many jobs
 * and an unbounded variety of picture sizes: at most {@value #MAX_LAYERS} layers and {@value #MAX_PLANS_PER_LAYER}
 * shapes per layer. The plans themselves belong to the backends' caches.
 */
final class ExecutorLayers {
    static final int MAX_LAYERS = 8;
    static final int MAX_PLANS_PER_LAYER = 64;

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLayers.class);
    private static final Map<Long, Layer> LAYERS = lruMap(MAX_LAYERS);

    private ExecutorLayers() {}

    /** The prepared layer of broadcast {@code id}, made from {@code layer} on first use in this JVM. */
    static Layer get(long id, Supplier<ConvLayer> layer) {
        synchronized (LAYERS) {
            return LAYERS.computeIfAbsent(id, k -> new Layer(layer.get()));
        }
    }

    /** How many layers this JVM holds (for tests). */
    static int size() {
        synchronized (LAYERS) {
            return LAYERS.size();
        }
    }

    private static <K, V> Map<K, V> lruMap(int capacity) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /** One layer's weights and its plans per (input shape, backend). Safe for concurrent tasks. */
    static final class Layer {
        private final Tensor weight;
        private final Tensor bias;
        private final ConvParams params;
        private final Map<PlanKey, ConvPlan> plans = lruMap(MAX_PLANS_PER_LAYER);

        private record PlanKey(ConvGeometry geometry, String backend) {}

        private Layer(ConvLayer layer) {
            this.weight = layer.weight();
            this.bias = layer.bias();
            this.params = layer.params();
        }

        /** Checks one input shape against the weight, with the library's (PyTorch's) message on failure. */
        ConvGeometry check(int[] inputShape) {
            return ConvValidator.checkForward(inputShape, weight.shape(), bias == null ? null : bias.shape(), params);
        }

        /** {@code conv2d(input, weight, bias)} for an NCHW batch on the chosen device. */
        Tensor forward(Tensor input, DeviceChoice device) {
            ConvGeometry g = check(input.shape());
            Tensor out = Tensor.zeros(g.outputShape());
            if (out.numel() > 0) {
                plan(g, device.backend(), device).forward(input.data(), weight.data(),
                        bias == null ? null : bias.data(), out.data());
            }
            return out;
        }

        private ConvPlan plan(ConvGeometry g, String backend, DeviceChoice device) {
            PlanKey key = new PlanKey(g, backend);
            synchronized (plans) {
                ConvPlan plan = plans.get(key);
                if (plan == null) {
                    Backends.Selection selection = Backends.select(backend, g);
                    plan = selection.backend().plan(g);
                    plans.put(key, plan);
                    LOG.info("jconv: {}; input {}: backend {} ({}); plan {}", device.reason(),
                            Arrays.toString(g.inputShape()), selection.backend().name(), selection.reason(),
                            plan.describe());
                }
                return plan;
            }
        }
    }
}
