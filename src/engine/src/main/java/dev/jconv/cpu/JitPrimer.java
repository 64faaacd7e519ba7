package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Compiles the kernels of every kind of vector plan in a background thread, once per JVM, so that a process meets
 * its first layer of each kind with C2's code: without it a warm process ran the first layer of a kind it had not
 * run before (the first Winograd layer, the first channel-vectorized GEMM, ...) in the interpreter and C1, where
 * every Vector API operation allocates, 16-270x slower than its steady state for the first calls (ResNet-50's
 * layers in network order after its stem, 2-core AMD EPYC, Java 17), while later layers of a kind already met
 * started within 1-5x. "Kind" is what {@link #kind} keeps of {@link ConvPlan#describe()}: the algorithm, the input
 * layout, how weights are read and the register tile, without the sizes; {@code JitPrimerTest} checks that
 * {@link #LAYERS} cover every kind the backend chooses on a grid of shapes, at the JVM's vector width.
 *
 * <p>Started by a backend's first vector plan (not by one-shot runs, whose plans are plain loops) on a daemon
 * thread of minimum priority; its plans run on one thread, so their tasks run inline on the primer's thread, the
 * same methods the pool's threads run. About 4.6 s of one core (2-core AMD EPYC with AVX-512), during which it
 * shares the cores with the caller. With it, 20-23 of those 23 first calls came within 5x of the steady state, and
 * the steady state after it was unchanged ({@code benchmarks/results/2026-12-03b_first-call-primer.md}). Results
 * of the primer's calls are thrown away; a failure ends the priming and is logged at {@code DEBUG}, never seen by
 * a caller.
 * {@value CpuBackend#PRIME_PROPERTY}{@code =false} turns it off (the {@code jconv} command line does: it runs one
 * command and exits).
 */
final class JitPrimer {
    /** Calls per layer, post-op and round, at least. */
    static final int CALLS = 30;
    /** Milliseconds of the first round's unfused calls per layer, at least ({@link #prime}). */
    static final int MILLIS = 100;
    /** One small layer per kind ({@code N,C,H,W,K,R,S,P,D,G}), 0.01-1 ms a call on one thread. */
    static final List<String> LAYERS = List.of(
            // pointwise 1x1 on the input: weights packed per call, per weight version, read in place
            "1,64,28,28,64,1,1,0,1,1", "1,256,28,28,256,1,1,0,1,1", "1,128,14,14,32,1,1,0,1,4",
            // Winograd F(4x4): padded or not, on vectors of tiles or gathered across tile rows; F(2x2)
            "1,64,28,28,64,3,1,1,1,1", "1,64,28,28,64,3,1,0,1,1", "1,128,14,14,128,3,1,1,1,1",
            "2,64,14,14,128,3,1,0,1,1", "1,128,7,7,128,3,1,1,1,1", "1,128,7,7,128,3,1,0,1,1",
            // channel-vectorized GEMM: the input as it is, padded, stride phases padded or not (7x7 outputs run the
            // 48x7 tile at 512 bits, 14x14 ones the 48x8)
            "1,256,7,7,256,1,1,0,1,1", "1,32,14,14,128,3,1,1,1,1", "1,128,14,14,128,3,2,1,1,1",
            "1,128,14,14,128,3,2,0,1,1",
            // dilated, size-keeping: Winograd on the phase mosaic, on vectors of tiles or gathered
            "1,64,28,28,128,3,1,2,2,1", "1,128,14,14,64,3,1,2,2,1",
            // implicit GEMM on a padded copy, on stride phases padded or not, on the input as it is; weights packed
            // per weight version, per call, read in place
            "1,64,28,28,128,3,1,1,2,1", "1,32,28,28,32,3,1,1,1,1", "1,128,14,14,128,3,1,1,1,4",
            "1,64,56,56,128,3,2,1,1,1", "1,3,112,112,32,7,2,3,1,1", "1,16,28,28,24,3,2,1,1,1",
            "1,16,7,7,24,3,2,0,1,1",
            "1,128,30,30,64,3,1,0,2,1", "1,3,28,28,16,5,1,0,1,1", "1,64,7,7,3,3,1,0,1,1",
            // the same without the panel copies of AVX2's narrow tile (fewer than 16 input channels)
            "1,8,56,56,8,1,1,0,1,1", "1,8,56,56,16,5,1,2,1,1", "1,8,56,56,24,5,2,2,1,1", "1,8,56,56,8,5,2,0,1,1",
            "1,8,28,28,16,5,1,0,1,1",
            // stems (at AVX2's width StemPlan): padded, on stride phases padded or not, on the input as it is
            "1,3,56,56,16,7,1,3,1,1", "1,3,56,56,8,5,2,0,1,1",
            // wide strided layers (at AVX2's width StemPlan on its interleaved copy): stride phases padded or not
            "1,256,14,14,16,3,2,1,1,1", "1,256,14,14,16,3,2,0,1,1",
            // strided 1x1, gathered (the input subsampled) for the pointwise plans: the pixel-vectorized GEMM with
            // weights packed per weight version, per call, read in place; the channel GEMM; depthwise
            "1,256,56,56,256,1,2,0,1,1", "3,512,28,28,3,1,2,0,1,1", "1,96,7,7,3,1,2,0,1,1", "1,128,14,14,256,1,2,0,1,1",
            "1,32,28,28,32,1,2,0,1,32",
            // depthwise: in place (stride 1 and 2), per-thread copies (one row and four rows), channel blocks
            "1,32,28,28,32,3,1,1,1,32", "1,32,28,28,32,3,2,1,1,32", "1,32,56,56,32,3,1,0,1,32",
            "1,32,14,14,32,7,1,3,1,32", "1,64,7,7,64,3,2,0,2,64");

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final Pattern REGISTER_TILE = Pattern.compile("register tiles of \\d+ channels x \\d+ \\w+");
    /** Every other call scales the weights by this, which changes every one of them (1 + 2^-10). */
    private static final float NEW_VERSION = 1.0009765625f;

    private JitPrimer() {}

    /** Starts the primer on {@code backend}'s algorithm choices, unless it ran or runs already or is turned off. */
    static void startOnce(CpuBackend backend) {
        boolean on = Boolean.parseBoolean(System.getProperty(CpuBackend.PRIME_PROPERTY, "true").trim());
        if (!on || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(() -> prime(backend, CALLS, MILLIS), "jconv-cpu-primer");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    /** Whether this JVM's primer has started. */
    static boolean started() {
        return STARTED.get();
    }

    /**
     * Runs the first layer of {@link #LAYERS} of each kind (at this vector width), unfused and with ReLU, for
     * {@code calls} calls and {@code millis} ms each (ReLU a quarter of that), then each kind again for a quarter of
     * it, on twice the channels where that is the same kind. Why a second round: C2 compiles a branch that no call
     * has taken as a trap, and taking it sends the method back to the interpreter until C2 compiles it again; a
     * later layer takes branches the earlier ones did not (another layout variant of shared code), and a wider one
     * those of growing per-thread buffers (the gathered Winograd's panels). Returns how many (layer, post-op) runs
     * there were. A failure is logged and ends the priming: it only costs speed later, never a result.
     */
    static int prime(CpuBackend backend, int calls, long millis) {
        int done = 0;
        try {
            List<String> first = onePerKind(backend);
            for (String layer : first) {
                done += runBoth(backend, geometry(layer), calls, millis);
            }
            for (String layer : secondRound(backend, first)) {
                done += runBoth(backend, geometry(layer), calls, millis / 4);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            System.getLogger(JitPrimer.class.getName()).log(System.Logger.Level.DEBUG, "kernel priming stopped", e);
        }
        return done;
    }

    /** The layers {@link #prime} runs: {@link #onePerKind}, then {@link #secondRound} of them. */
    static List<String> primed(CpuBackend backend) {
        List<String> first = onePerKind(backend);
        List<String> layers = new ArrayList<>(first);
        layers.addAll(secondRound(backend, first));
        return layers;
    }

    /** Each of {@code first} on twice the channels where that is the same kind, else itself. */
    private static List<String> secondRound(CpuBackend backend, List<String> first) {
        List<String> layers = new ArrayList<>();
        for (String layer : first) {
            String wider = wider(layer);
            boolean same = kind(backend, geometry(wider)).equals(kind(backend, geometry(layer)));
            layers.add(same ? wider : layer);
        }
        return layers;
    }

    /** The first layer of {@link #LAYERS} of each kind. */
    private static List<String> onePerKind(CpuBackend backend) {
        Set<String> kinds = new HashSet<>();
        List<String> layers = new ArrayList<>();
        for (String layer : LAYERS) {
            if (kinds.add(kind(backend, geometry(layer)))) {
                layers.add(layer);
            }
        }
        return layers;
    }

    /** {@code layer} with twice the input and output channels (and groups, if depthwise). */
    static String wider(String layer) {
        int[] l = Arrays.stream(layer.split(",")).mapToInt(Integer::parseInt).toArray();
        boolean depthwise = l[9] == l[1];
        l[1] *= 2;
        l[4] *= 2;
        l[9] *= depthwise ? 2 : 1;
        return Arrays.stream(l).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    /** Runs {@code g} unfused and with ReLU (a quarter of the time); returns 2. */
    private static int runBoth(CpuBackend backend, ConvGeometry g, int calls, long millis) {
        run(backend, g, PostOp.NONE, calls, millis);
        run(backend, g, PostOp.RELU, calls, millis / 4);
        return 2;
    }

    private static String kind(CpuBackend backend, ConvGeometry g) {
        try (ConvPlan plan = backend.newPlan(g, PostOp.NONE, WorkerPool.of(1))) {
            return kind(plan);
        }
    }

    /** {@code calls} calls of a new plan for {@code g}, and more until {@code millis} ms have passed. */
    private static void run(CpuBackend backend, ConvGeometry g, PostOp postOp, int calls, long millis) {
        float[] input = Tensor.uniform(1, -1f, 1f, g.inputShape()).data();
        float[] weight = Tensor.uniform(2, -1f, 1f, g.weightShape()).data();
        float[] bias = Tensor.uniform(3, -1f, 1f, g.outChannels()).data();
        float[] output = new float[Math.toIntExact(g.outputElements())];
        try (ConvPlan plan = backend.newPlan(g, postOp, WorkerPool.of(1))) {
            long end = System.nanoTime() + millis * 1_000_000L;
            for (int i = 0; i < calls || System.nanoTime() < end; i++) {
                if (i % 2 == 1) { // a new weight version: its packing or transform runs too
                    for (int j = 0; j < weight.length; j++) {
                        weight[j] *= NEW_VERSION;
                    }
                }
                plan.forward(input, weight, i % 2 == 0 ? bias : null, output);
            }
        }
    }

    /** A layer of {@link #LAYERS} as a geometry. */
    static ConvGeometry geometry(String layer) {
        int[] l = Arrays.stream(layer.split(",")).mapToInt(Integer::parseInt).toArray();
        return ConvValidator.checkForward(new int[] {l[0], l[1], l[2], l[3]},
                new int[] {l[4], l[1] / l[9], l[5], l[5]}, null,
                new ConvParams(l[6], l[6], Padding.of(l[7]), l[8], l[8], l[9], PaddingMode.ZEROS));
    }

    /**
     * A plan's register tile as its description gives it ({@code "register tiles of 48 channels x 7 pixels"}), or
     * "": {@link #kind} leaves its sizes out, but each shape of the channel GEMM's tile is a kernel method of its own,
     * which the layers the primer runs must also cover.
     */
    static String registerTile(ConvPlan plan) {
        Matcher tile = REGISTER_TILE.matcher(plan.describe());
        return tile.find() ? tile.group() : "";
    }

    /**
     * What a plan's description says of its kind: its words without the sizes and plurals, and without when weights
     * are packed (per call or per weight version: the same kernels).
     */
    static String kind(ConvPlan plan) {
        return plan.describe().replaceAll("\\d+(\\.\\d+)?", "#").replace("images", "image")
                .replace("threads", "thread").replace("packed per call", "packed")
                .replace("packed once per weight version", "packed");
    }
}
