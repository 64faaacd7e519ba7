package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.Options;
import dev.jconv.PostOp;
import dev.jconv.Shapes;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.backend.PlanLease;
import dev.jconv.backend.SeparatePostOpPlan;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code cpu}: the fast, multi-threaded CPU backend. Every geometry the reference runs, with the algorithm
 * chosen per shape when the plan is made (and named by {@link ConvPlan#describe()}):
 * <ul>
 *   <li>depthwise ({@code groups == in_channels > 1}): a direct vectorized stencil along output rows
 *       ({@link DepthwiseRowsPlan}; MobileNet's 3x3 layers, stride 1 or 2, read in place,
 *       {@link DepthwiseInPlaceKernels}),
 *       or across channels for the other 3x3 layers with narrow outputs ({@link DepthwiseChannelBlockPlan});</li>
 *   <li>1x1 stride-1 unpadded: a plain GEMM on the input; everything else: an implicit GEMM on the padded,
 *       stride-phase-split input, both {@link ImplicitGemmPlan} over {@link FlatLayout};</li>
 *   <li>strides beyond a 64 x 64 stride's phases, or padding near 2^31: an im2col gather and the pointwise plan of
 *       the gathered matrix, {@link GatherPlan} (its memory does not grow with the stride); the same for strided 1x1
 *       layers, whose gathered matrix is the input subsampled;</li>
 *   <li>3x3 stride-1 undilated with enough channels and tiles: Winograd F(4x4, 3x3), {@link WinogradPlan};</li>
 *   <li>few output pixels and many channels: a GEMM with the vectors along output channels on im2col panels,
 *       {@link ChannelGemmPlan};</li>
 *   <li>where vectors are narrower than 512 bits, stems (at most 4 input channels, 48 or more taps) and strided
 *       layers larger than 1x1 that the previous item leaves: the same channel-vectorized tiles reading the
 *       stride-phase layout in place, {@link StemPlan}.</li>
 * </ul>
 * A plan made for a single call ({@link Options#singleCall()}, a one-shot {@code jconv run}) runs
 * {@link PlainJavaPlan} instead of the vector kernels: in a fresh JVM the vector kernels run interpreted or
 * C1-compiled, boxing every vector, until C2 compiles them, which a single call does not live to see; the plain
 * loops measured 3-4x cheaper cold ({@link #SINGLE_CALL_REASON}'s comment has the numbers). The first vector plan
 * of a process starts {@link JitPrimer}, which has every kind of plan compiled in the background, so that a later
 * first layer of a kind does not start in the interpreter ({@value #PRIME_PROPERTY}).
 *
 * <p>Kernels use the {@code jdk.incubator.vector} module, so the JVM needs {@code --add-modules jdk.incubator.vector}
 * (on the module path, module dev.jconv requires it). Without it this backend still runs, on {@link PlainJavaPlan}'s
 * plain Java loops, several times slower, and says so once in the log ({@link VectorModule}).
 * This class touches no Vector API type itself, so it loads either way.
 *
 * <p>Threads: {@value #THREADS_PROPERTY} system property, else the {@value #THREADS_ENV} environment variable,
 * else every available processor (capped at {@value Options#MAX_THREADS}); or {@link #CpuBackend(int)}. Work runs on a shared daemon pool per thread
 * count. Convolutions under {@link #PARALLEL_FLOPS} floating-point operations (depthwise ones: a quarter of
 * that) run on the calling thread,
 * where handing work to the pool would cost more than it saves.
 */
public final class CpuBackend implements ConvBackend {
    public static final String NAME = "cpu";
    public static final String THREADS_PROPERTY = "jconv.threads";
    public static final String THREADS_ENV = "JCONV_THREADS";
    /**
     * {@code false} turns off the background compilation of every kernel kind at a process's first vector plan
     * ({@link JitPrimer}; on by default, off in the {@code jconv} command line).
     */
    public static final String PRIME_PROPERTY = "jconv.cpu.prime";
    static final String WINOGRAD_PROPERTY = "jconv.cpu.winograd";
    static final String CHANNEL_GEMM_PROPERTY = "jconv.cpu.channelGemm";
    static final String STEM_PROPERTY = "jconv.cpu.stem";
    static final double PARALLEL_FLOPS = 2e6;
    /**
     * A depthwise flop costs several GEMM flops (nine FMAs per copied input value instead of hundreds), so depthwise
     * layers pay for the pool's wake-up from a quarter of {@link #PARALLEL_FLOPS} on: measured at 2 threads,
     * 576 channels 14x14/2 (0.5 MFLOP) ran 0.068 ms on one thread and 0.057 on two; 160 channels 7x7
     * (0.14 MFLOP) 0.010 on one and 0.038 on two.
     */
    static final double DEPTHWISE_WORK_PER_FLOP = 4;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;
    /**
     * Why a single-call plan runs plain loops. Measured one-shot {@code jconv run --backend cpu} on Java 17, 2-core
     * AMD EPYC with AVX-512 shared with other jobs, median process CPU time: 1x192x28x28 * 192x192x3x3 (520 MFLOP)
     * 2.6 s and 650 MB on the vector kernels, 0.7 s and 63 MB on the plain loops, 1.7-1.9 s on cpu-reference;
     * 1x64x32x32 * 128x64x3x3 (151 MFLOP) 2.1 / 0.6 / 0.8-1.0 s
     * (benchmarks/results/2026-12-01_cold-start_epyc-avx512_2cores.md).
     */
    static final String SINGLE_CALL_REASON = "a single call (one-shot run): the vector kernels would run before the JIT"
            + " compiles them, several times slower than these loops";

    private final int threads;
    private final double parallelFlops;
    private final int packMinColumns;
    private final Choice winograd;
    private final Choice channelGemm;
    /** {@link StemPlan}: {@value #STEM_PROPERTY}, {@code auto} by default (not settable per test backend). */
    private final Choice stem = Choice.fromProperty(STEM_PROPERTY);
    /** Plans run {@link PlainJavaPlan} even with the Vector API present ({@link Options#singleCall()}). */
    private final boolean singleCall;
    private static final Map<Integer, CpuBackend> SHARED = new ConcurrentHashMap<>();
    private static final Map<Integer, CpuBackend> SHARED_SINGLE_CALL = new ConcurrentHashMap<>();

    private final PlanCache plans = new PlanCache(g -> newPlan(g, PostOp.NONE));
    /** Plans with ReLU fused where they write the output: a cache of their own, so plans are per (shape, post-op). */
    private final PlanCache reluPlans = new PlanCache(g -> newPlan(g, PostOp.RELU));

    /** A backend on the default thread count ({@link #defaultThreads()}). */
    public CpuBackend() {
        this(defaultThreads());
    }

    /** A backend computing on {@code threads} threads, 1 to {@value Options#MAX_THREADS}. */
    public CpuBackend(int threads) {
        this(threads, PARALLEL_FLOPS);
    }

    /** Tests lower {@code parallelFlops} to run small convolutions on the pool too. */
    CpuBackend(int threads, double parallelFlops) {
        this(threads, parallelFlops, ImplicitGemmPlan.PACK_MIN_COLUMNS);
    }

    /** Tests also force packed ({@code 0}) or in-place ({@link Integer#MAX_VALUE}) weights. */
    CpuBackend(int threads, double parallelFlops, int packMinColumns) {
        this(threads, parallelFlops, packMinColumns, Choice.fromProperty(WINOGRAD_PROPERTY),
                Choice.fromProperty(CHANNEL_GEMM_PROPERTY), false);
    }

    /** Tests also force Winograd on every shape it can run, or off; the channel-vectorized GEMM stays off. */
    CpuBackend(int threads, double parallelFlops, int packMinColumns, Choice winograd) {
        this(threads, parallelFlops, packMinColumns, winograd, Choice.NEVER, false);
    }

    /** Tests force either algorithm on every shape it can run, or off. */
    CpuBackend(int threads, double parallelFlops, int packMinColumns, Choice winograd, Choice channelGemm) {
        this(threads, parallelFlops, packMinColumns, winograd, channelGemm, false);
    }

    private CpuBackend(int threads, double parallelFlops, int packMinColumns, Choice winograd, Choice channelGemm,
                       boolean singleCall) {
        Options.checkThreads(threads, "the thread count");
        this.threads = threads;
        this.parallelFlops = parallelFlops;
        this.packMinColumns = packMinColumns;
        this.winograd = winograd;
        this.channelGemm = channelGemm;
        this.singleCall = singleCall;
    }

    /**
     * Whether an algorithm with a shape rule runs ({@link WinogradPlan} for 3x3 stride-1 layers, and
     * {@link Winograd2x2Plan} where those have too few tiles, {@code auto} only;
     * {@link ChannelGemmPlan} for small maps): where it measured faster ({@code auto}, the default), on every shape
     * it can run, or never. The {@value #WINOGRAD_PROPERTY} and {@value #CHANNEL_GEMM_PROPERTY} system properties
     * set them (for A/B measurements).
     */
    enum Choice {
        AUTO, ALWAYS, NEVER;

        static Choice fromProperty(String property) {
            String value = System.getProperty(property, "auto");
            for (Choice c : values()) {
                if (c.name().equalsIgnoreCase(value.trim())) {
                    return c;
                }
            }
            throw new IllegalArgumentException("system property " + property
                    + " must be auto, always or never, got '" + value + "'");
        }

        boolean runs(boolean suits, boolean eligible) {
            return switch (this) {
                case AUTO -> suits;
                case ALWAYS -> eligible;
                case NEVER -> false;
            };
        }
    }

    /**
     * The {@value #THREADS_PROPERTY} system property, else {@value #THREADS_ENV}, else the number of available
     * processors ({@link Options#defaultThreads()}). A value that is not a positive integer is an error naming
     * where it came from.
     */
    public static int defaultThreads() {
        return Options.defaultThreads();
    }

    /** The shared backend on {@code threads} threads (plans are cached per backend, so per thread count). */
    static CpuBackend shared(int threads) {
        return SHARED.computeIfAbsent(threads, CpuBackend::new);
    }

    /** The shared backend whose plans run once each ({@link Options#singleCall()}), on {@code threads} threads. */
    static CpuBackend sharedSingleCall(int threads) {
        return SHARED_SINGLE_CALL.computeIfAbsent(threads, t -> new CpuBackend(t, PARALLEL_FLOPS,
                ImplicitGemmPlan.PACK_MIN_COLUMNS, Choice.fromProperty(WINOGRAD_PROPERTY),
                Choice.fromProperty(CHANNEL_GEMM_PROPERTY), true));
    }

    /**
     * This backend if it has {@code options.threads()} threads and the same {@link Options#singleCall()}, else the
     * shared one that does.
     */
    @Override
    public ConvBackend configured(Options options) {
        if (options.threads() == threads && options.singleCall() == singleCall) {
            return this;
        }
        return options.singleCall() ? sharedSingleCall(options.threads()) : shared(options.threads());
    }

    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        String threadCount = threads + " thread" + (threads == 1 ? "" : "s");
        if (!VectorModule.present()) {
            return Availability.yes(threadCount + ", plain Java loops: the JVM was started without " + VectorModule.FLAG
                    + " (the vector kernels need it; about 3x faster)");
        }
        if (singleCall) { // its plans never touch the Vector API, whose classes take tens of ms to initialise
            return Availability.yes(threadCount + ", plain Java loops for single calls");
        }
        return Availability.yes(threadCount + ", " + VectorInfo.describe());
    }

    /**
     * Everything the reference runs, except inputs whose padded, phase-split copy (or, for {@link GatherPlan}, the
     * gathered matrix) would not fit one Java array ({@code auto} then falls back to {@code cpu-reference}, which
     * needs no copy).
     */
    @Override
    public boolean supports(ConvGeometry g) {
        return copyLength(g) <= MAX_ARRAY;
    }

    /** Floats of the input copy the plan makes: the gathered matrix, or the layout {@link #layoutCopyLength}. */
    private long copyLength(ConvGeometry g) {
        return gathers(g) ? GatherPlan.matrixLength(g) : layoutCopyLength(g);
    }

    /** The vector kernels' stride-phase layout, or the plain loops' padded input. */
    private long layoutCopyLength(ConvGeometry g) {
        return runsPlainLoops() ? PlainJavaPlan.paddedLength(g) : FlatLayout.copyLength(g);
    }

    private boolean runsPlainLoops() {
        return singleCall || !VectorModule.present();
    }

    private boolean gathers(ConvGeometry g) {
        return GatherPlan.suits(g, layoutCopyLength(g));
    }

    @Override
    public ConvPlan plan(ConvGeometry geometry) {
        checkAvailable();
        return plans.get(geometry);
    }

    @Override
    public PlanLease lease(ConvGeometry geometry) {
        checkAvailable();
        return plans.lease(geometry);
    }

    /** Fuses {@code postOp} into the pass that writes the output (see {@link VectorStores.Sink#flush}). */
    @Override
    public PlanLease lease(ConvGeometry geometry, PostOp postOp) {
        checkAvailable();
        return (postOp == PostOp.RELU ? reluPlans : plans).lease(geometry);
    }

    /** Drops this backend's cached plans (see {@link PlanCache#clear()}). */
    public void clearPlans() {
        plans.clear();
        reluPlans.clear();
    }

    private void checkAvailable() {
        if (!availability().available()) {
            throw new IllegalStateException("backend cpu is unavailable: " + availability().reason());
        }
        if (!VectorModule.present()) {
            VectorModule.warnOnce();
        }
    }

    private ConvPlan newPlan(ConvGeometry g, PostOp postOp) {
        if (!supports(g)) {
            throw new IllegalArgumentException("input " + Shapes.format(g.inputShape())
                    + " is too large for the cpu backend: its padded copy would need " + copyLength(g)
                    + " floats, more than one Java array holds; use cpu-reference");
        }
        double work = g.isDepthwise() ? g.flops() * DEPTHWISE_WORK_PER_FLOP : g.flops();
        ConvPlan plan = newPlan(g, postOp, WorkerPool.of(work < parallelFlops ? 1 : threads));
        if (!runsPlainLoops()) {
            JitPrimer.startOnce(this);
        }
        return plan;
    }

    /** The plan {@link #newPlan(ConvGeometry, PostOp)} chooses, on {@code pool}. */
    ConvPlan newPlan(ConvGeometry g, PostOp postOp, WorkerPool pool) {
        if (gathers(g)) {
            return new GatherPlan(g, pool, newPlan(GatherPlan.pointwiseGeometry(g), postOp, pool));
        }
        if (!VectorModule.present()) {
            return new PlainJavaPlan(g, pool, postOp);
        }
        if (singleCall) {
            return new PlainJavaPlan(g, pool, postOp, SINGLE_CALL_REASON);
        }
        if (g.isDepthwise()) {
            boolean blocked = DepthwiseChannelBlockPlan.suits(g) && !DepthwiseRowsPlan.readsInPlace(g);
            return SeparatePostOpPlan.owning(blocked ? new DepthwiseChannelBlockPlan(g, pool)
                    : new DepthwiseRowsPlan(g, pool), postOp);
        }
        if (winograd.runs(DilationPhasesPlan.suits(g), DilationPhasesPlan.splits(g)
                && WinogradPlan.eligible(DilationPhasesPlan.mosaicGeometry(g)))) {
            ConvPlan mosaic = newPlan(DilationPhasesPlan.mosaicGeometry(g), PostOp.NONE, pool);
            return SeparatePostOpPlan.owning(new DilationPhasesPlan(g, pool, mosaic), postOp);
        }
        if (winograd.runs(WinogradPlan.suits(g), WinogradPlan.eligible(g))) {
            return SeparatePostOpPlan.owning(new WinogradPlan(g, pool), postOp);
        }
        if (winograd.runs(Winograd2x2Plan.suits(g), false)) { // where F(4x4, 3x3) has too few tiles
            return SeparatePostOpPlan.owning(new Winograd2x2Plan(g, pool), postOp);
        }
        if (stem.runs(StemPlan.suits(g), StemPlan.eligible(g))) {
            return new StemPlan(g, pool, postOp);
        }
        if (channelGemm.runs(ChannelGemmPlan.suits(g), ChannelGemmPlan.eligible(g))) {
            return new ChannelGemmPlan(g, pool, postOp);
        }
        return new ImplicitGemmPlan(g, pool, packMinColumns, postOp);
    }
}
