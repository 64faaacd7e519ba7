package dev.jconv.spark;

import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Options;
import dev.jconv.Tensor;
import dev.jconv.nn.Sequential;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layers and networks one executor JVM runs, each prepared once for all the tasks of that JVM: the broadcast
 * {@link ConvModel} taken out once. A layer keeps per input shape and options (backend, device) one
 * {@link ConvolutionPlan}, made once and reused by every later batch, task and job of that shape; a network keeps
 * one built {@link Sequential} per backend (its convolutions' plans live in the library's plan cache, bounded by
 * bytes). All of it is bounded, least recently used first out, because a long-lived executor sees many jobs and
 * an unbounded variety of picture sizes: at most {@value #MAX_LAYERS} models, {@value #MAX_PLANS_PER_LAYER} plans
 * per layer and {@value #MAX_BACKENDS_PER_NETWORK} backends per network.
 */
final class ExecutorLayers {
    static final int MAX_LAYERS = 8;
    static final int MAX_PLANS_PER_LAYER = 64;
    static final int MAX_BACKENDS_PER_NETWORK = 4;

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLayers.class);
    private static final Map<Long, Prepared> LAYERS = layerMap();

    private ExecutorLayers() {}

    /** The prepared layer or network of broadcast {@code id}, made from {@code model} on first use in this JVM. */
    static Prepared get(long id, Supplier<? extends ConvModel> model) {
        synchronized (LAYERS) {
            return LAYERS.computeIfAbsent(id, k -> prepare(model.get()));
        }
    }

    private static Prepared prepare(ConvModel model) {
        if (model instanceof ConvLayer layer) {
            return new Layer(layer);
        }
        return new Network((ConvNetwork) model);
    }

    /** How many layers this JVM holds (for tests). */
    static int size() {
        synchronized (LAYERS) {
            return LAYERS.size();
        }
    }

    /** Least recently used first out; a layer dropped closes its plans (each once its running batches end). */
    private static Map<Long, Prepared> layerMap() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Prepared> eldest) {
                if (size() <= MAX_LAYERS) {
                    return false;
                }
                eldest.getValue().closePlans();
                return true;
            }
        };
    }

    /** A model ready to run batches on this JVM; safe for concurrent tasks. */
    interface Prepared {
        /** Checks one (1, C, H, W) input shape, with the library's (PyTorch's) message on failure. */
        void check(int[] inputShape);

        /** The model's output for an NCHW batch on the chosen device; the output's first dimension is N. */
        Tensor forward(Tensor input, DeviceChoice device);

        /** Closes what this model holds open, once its running batches end. */
        void closePlans();
    }

    /**
     * One layer's weights and its plans per (input shape, options). Safe for concurrent tasks. A plan dropped
     * from the bound is closed once no batch runs on it (the library's plan cache, bounded by bytes, then
     * decides whether its prepared state stays).
     */
    static final class Layer implements Prepared {
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

        @Override
        public void check(int[] inputShape) {
            ConvValidator.checkForward(inputShape, weight.shape(), bias == null ? null : bias.shape(), params);
        }

        /** {@code conv2d(input, weight, bias)} for an NCHW batch on the chosen device. */
        @Override
        public Tensor forward(Tensor input, DeviceChoice device) {
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

        @Override
        public void closePlans() {
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

    /**
     * One network, built once per backend it runs on (a {@link Sequential}'s modules hold their backend, and
     * concurrent tasks share one built network per backend). The network's convolutions take the backend of the
     * task's {@link DeviceChoice}; its GPU ordinal is not passed on, since {@link Sequential} takes a backend name
     * only: on a GPU they run on the process's CUDA device ({@code jconv.cuda.device}, default 0).
     */
    static final class Network implements Prepared {
        private final ConvNetwork source;
        private final Sequential shapes;
        private final Map<String, Sequential> byBackend = new LinkedHashMap<>(4, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Sequential> eldest) {
                return size() > MAX_BACKENDS_PER_NETWORK;
            }
        };

        private Network(ConvNetwork source) {
            this.source = source;
            this.shapes = source.build();
        }

        /** The network's own shape checks, each layer's error in PyTorch's words. */
        @Override
        public void check(int[] inputShape) {
            shapes.outputShape(inputShape);
        }

        @Override
        public Tensor forward(Tensor input, DeviceChoice device) {
            return built(device, input.shape()).forward(input);
        }

        private Sequential built(DeviceChoice device, int[] inputShape) {
            synchronized (byBackend) {
                return byBackend.computeIfAbsent(device.backend(), backend -> {
                    Sequential model = source.build();
                    model.setBackend(backend);
                    LOG.info("jconv: {}; network {} from {} on backend {}{}: {}", device.reason(), model.name(),
                            source.specSource(), backend, device.gpuOrdinal() > 0 ? " (on the process's CUDA device, "
                                    + "not the task's GPU " + device.gpuOrdinal() + ")" : "",
                            String.join("; ", model.explain(inputShape)));
                    return model;
                });
            }
        }

        /** How many backends this network is built for (for tests). */
        int backendCount() {
            synchronized (byBackend) {
                return byBackend.size();
            }
        }

        /** Nothing held open: the convolutions' plans belong to the library's plan cache. */
        @Override
        public void closePlans() {
            synchronized (byBackend) {
                byBackend.clear();
            }
        }
    }
}
