package dev.jconv.spark;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Options;
import dev.jconv.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layers one executor JVM runs, each prepared once for all the tasks of that JVM: the broadcast weights
 * taken out once, and per input shape and options (backend, device) one {@link ConvolutionPlan}, made once and
 * reused by every later batch, task and job of that shape. Both are bounded, least recently used first out,
 * because a long-lived executor sees many jobs and an unbounded variety of picture sizes: at most
 * {@value #MAX_LAYERS} layers and {@value #MAX_PLANS_PER_LAYER} plans per layer.
 */
final class ExecutorLayers {
    static final int MAX_LAYERS = 8;
    static final int MAX_PLANS_PER_LAYER = 64;

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLayers.class);
    private static final Map<Long, Layer> LAYERS = layerMap();

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

    /** Least recently used first out; a layer dropped closes its plans (each once its running batches end). */
    private static Map<Long, Layer> layerMap() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Layer> eldest) {
                if (size() <= MAX_LAYERS) {
                    return false;
                }
                eldest.getValue().closePlans();
                return true;
            }
        };
    }

    /**
     * One layer's weights and its plans per (input shape, options). Safe for concurrent tasks. A plan dropped
     * from the bound is closed once no batch runs on it (the library's plan cache, bounded by bytes, then
     * decides whether its prepared state stays).
     */
    static final class Layer {
        private final Tensor weight;
        private final Tensor bias;
        private final ConvParams params;
        private final Map<PlanKey, Held> plans = new LinkedHashMap<>(16, 0.75f, true);

        private record PlanKey(List<Integer> inputShape, Options options) {}

        /** A plan and the batches running on it; closed when evicted and no batch holds it. */
        private static final class Held {
            final ConvolutionPlan plan;
            int running;
            boolean evicted;

            Held(ConvolutionPlan plan) {
                this.plan = plan;
            }
        }

        private Layer(ConvLayer layer) {
            this.weight = layer.weight();
            this.bias = layer.bias();
            this.params = layer.params();
        }

        /** Checks one input shape against the weight, with the library's (PyTorch's) message on failure. */
        void check(int[] inputShape) {
            ConvValidator.checkForward(inputShape, weight.shape(), bias == null ? null : bias.shape(), params);
        }

        /** {@code conv2d(input, weight, bias)} for an NCHW batch on the chosen device. */
        Tensor forward(Tensor input, DeviceChoice device) {
            Held held = acquire(input.shape(), device);
            try {
                return held.plan.forward(input, weight, bias);
            } finally {
                release(held);
            }
        }

        private Held acquire(int[] inputShape, DeviceChoice device) {
            PlanKey key = new PlanKey(Arrays.stream(inputShape).boxed().toList(), device.options());
            synchronized (plans) {
                Held held = plans.get(key);
                if (held == null) {
                    ConvolutionPlan plan = ConvolutionPlan.create(inputShape, weight.shape(), bias != null, params,
                            key.options());
                    LOG.info("jconv: {}; input {}: backend {} ({}); {}", device.reason(), Arrays.toString(inputShape),
                            plan.backend(), plan.selectionReason(), plan.describe());
                    held = new Held(plan);
                    plans.put(key, held);
                    evictBeyond(MAX_PLANS_PER_LAYER);
                }
                held.running++;
                return held;
            }
        }

        private void release(Held held) {
            synchronized (plans) {
                held.running--;
                if (held.evicted && held.running == 0) {
                    held.plan.close();
                }
            }
        }

        private void evictBeyond(int capacity) {
            var eldest = plans.values().iterator();
            while (plans.size() > capacity) {
                Held h = eldest.next();
                eldest.remove();
                h.evicted = true;
                if (h.running == 0) {
                    h.plan.close();
                }
            }
        }

        void closePlans() {
            synchronized (plans) {
                evictBeyond(0);
            }
        }

        /** How many plans this layer holds (for tests). */
        int planCount() {
            synchronized (plans) {
                return plans.size();
            }
        }
    }
}
