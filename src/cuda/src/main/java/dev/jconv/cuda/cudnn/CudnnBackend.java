package dev.jconv.cuda.cudnn;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.backend.PlanLease;
import dev.jconv.Options;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import dev.jconv.cuda.Cuda;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaKernel;
import dev.jconv.cuda.CudaUnavailableException;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.LaunchPlanner;
import dev.jconv.cuda.LazyProbe;
import dev.jconv.cuda.Pad2dKernel;
import dev.jconv.cuda.PtxIsa;
import dev.jconv.cuda.PtxModule;
import dev.jconv.cuda.StreamPool;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Candidate;
import dev.jconv.cuda.cudnn.AlgorithmChoice.Chosen;
import dev.jconv.cuda.vendor.DeviceMemory;
import dev.jconv.cuda.vendor.EmptyOutputPlan;
import dev.jconv.cuda.vendor.KernelModules;
import dev.jconv.cuda.vendor.NativeLibraries;
import dev.jconv.cuda.vendor.WorkspacePool;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code cudnn}: NVIDIA's cuDNN 9 through JCudnn, on the selected {@link CudaDevice}. Needs an NVIDIA
 * driver and {@code libcudnn.so.9} on the library path (see {@link Cudnn}); how algorithms and math are
 * chosen is set by {@link CudnnSettings} (heuristic and strict fp32 by default). Plans are cached per
 * geometry and own their descriptors and workspace; every plan is a {@link DeviceConvPlan}.
 */
public final class CudnnBackend implements ConvBackend, AutoCloseable {
    public static final String NAME = "cudnn";

    /** Instances {@link #configured} made for settings or a device other than the default ones. */
    private static final Map<List<Object>, CudnnBackend> CONFIGURED = new ConcurrentHashMap<>();

    private final CudnnSettings fixedSettings;  // null: read from the environment when first needed
    private final Integer deviceIndex;          // null: the default device (Options.defaultDeviceIndex)
    private final UnaryOperator<List<Candidate>> rankingFilter;  // tests: restrict cuDNN's candidates
    private final PlanCache plans = new PlanCache(this::createPlan);
    private final KernelModules modules = new KernelModules();
    private final LazyProbe<State> state = new LazyProbe<>(this::probe);

    /** What the probe found: availability, the settings in force, and why the pad pass cannot run (null if it can). */
    private record State(Availability availability, CudnnSettings settings, String padPassProblem) {}

    /** Settings from the environment ({@link CudnnSettings#fromEnvironment()}). */
    public CudnnBackend() {
        this(null);
    }

    /** Fixed settings, whatever the environment says (tests, embedding applications). */
    public CudnnBackend(CudnnSettings settings) {
        this(settings, UnaryOperator.identity());
    }

    /** Tests: {@code rankingFilter} edits cuDNN's ranked candidates before the choice (to force an algorithm). */
    CudnnBackend(CudnnSettings settings, UnaryOperator<List<Candidate>> rankingFilter) {
        this(settings, null, rankingFilter);
    }

    private CudnnBackend(CudnnSettings settings, Integer deviceIndex, UnaryOperator<List<Candidate>> rankingFilter) {
        this.fixedSettings = settings;
        this.deviceIndex = deviceIndex;
        this.rankingFilter = rankingFilter;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return state().availability();
    }

    private State state() {
        return state.get();
    }

    /** The settings plans are made with; throws if the environment holds an invalid value. */
    public CudnnSettings settings() {
        State s = state();
        if (s.settings() == null) {
            throw new IllegalArgumentException(s.availability().reason());
        }
        return s.settings();
    }

    private State probe() {
        CudnnSettings settings;
        try {
            settings = fixedSettings != null ? fixedSettings : CudnnSettings.fromEnvironment();
        } catch (IllegalArgumentException e) {
            return new State(Availability.no(e.getMessage()), null, null);
        }
        Availability noDriver = Cuda.withoutDriver("cuDNN");
        if (noDriver != null) {
            return new State(noDriver, settings, null);
        }
        Availability driver = Cuda.availability();
        Availability library = Cudnn.libraryAvailability();
        Availability missing = NativeLibraries.libraryOrDriverMissing(library, driver);
        if (missing != null) {
            return new State(missing, settings, null);
        }
        try {
            CudaDevice device = device();
            CudnnHandles.of(device).ensureOne();
            String padPassProblem = PtxIsa.of(PtxModule.readResource(Pad2dKernel.PTX)).unsupportedReason(Cuda.driverVersion());
            return new State(Availability.yes(library.reason() + " (" + Cudnn.LIBRARY + ") on " + device.describe() + "; "
                    + settings.describe() + (padPassProblem == null ? ""
                    : "; asymmetric padding and reflect/replicate/circular padding unavailable: " + padPassProblem)),
                    settings, padPassProblem);
        } catch (RuntimeException e) {
            return new State(Availability.no(library.reason() + " loaded, but " + e.getMessage()), settings, null);
        }
    }

    /** Geometries cuDNN's legacy API can describe; with a driver too old for the pad pass, none that need it. */
    @Override
    public boolean supports(ConvGeometry g) {
        if (EmptyOutputPlan.applies(g)) {
            return true;
        }
        if (!g.fitsIntCoordinates()) {
            return false; // cuDNN's legacy API takes int sizes, and the pad pass indexes in int
        }
        CudnnConvShape shape = CudnnConvShape.of(g);
        if (shape.unsupportedReason() != null) {
            return false;
        }
        return !CudnnConvShape.needsPadPass(g) || state().padPassProblem() == null;
    }

    /** The plan for {@code g}, made once and cached; throws {@link CudaUnavailableException} when cuDNN cannot run here. */
    @Override
    public DeviceConvPlan plan(ConvGeometry g) {
        CudaUnavailableException.requireAvailable(NAME, availability());
        return (DeviceConvPlan) plans.get(g);
    }

    @Override
    public PlanLease lease(ConvGeometry g) {
        CudaUnavailableException.requireAvailable(NAME, availability());
        return plans.lease(g);
    }

    /** The leased plan for {@code g} with ReLU applied by cuDNN as it writes the output ({@link CudnnPlan#withPostOp}). */
    @Override
    public PlanLease lease(ConvGeometry g, PostOp postOp) {
        // an empty output's plan launches nothing: there is nothing to apply a post-op to
        return PlanLease.viewing(lease(g), plan -> plan instanceof CudnnPlan c ? c.withPostOp(postOp) : plan);
    }

    /** This backend if {@code options} ask for its settings and device, else the shared instance that has them. */
    @Override
    public ConvBackend configured(Options options) {
        CudnnSettings wanted = CudnnSettings.of(options);
        State s = state();
        if (wanted.equals(s.settings()) && options.deviceIndex() == deviceIndex()) {
            return this;
        }
        return CONFIGURED.computeIfAbsent(List.of(wanted, options.deviceIndex()),
                k -> new CudnnBackend(wanted, options.deviceIndex(), UnaryOperator.identity()));
    }

    private int deviceIndex() {
        return deviceIndex != null ? deviceIndex : Options.defaultDeviceIndex();
    }

    private CudaDevice device() {
        return CudaDevice.get(deviceIndex());
    }

    /** Plans cached so far. */
    public int planCount() {
        return plans.size();
    }

    private ConvPlan createPlan(ConvGeometry g) {
        CudaDevice device = device();
        if (EmptyOutputPlan.applies(g)) {
            return new EmptyOutputPlan(g, device, NAME);
        }
        CudnnSettings settings = settings();
        if (!g.fitsIntCoordinates()) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: " + LaunchPlanner.INT_COORDINATES);
        }
        CudnnConvShape shape = CudnnConvShape.of(g);
        String unsupported = shape.unsupportedReason();
        if (unsupported != null) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: " + unsupported);
        }
        Pad2dKernel padPass = CudnnConvShape.needsPadPass(g) ? Pad2dKernel.forInput(g) : null;
        if (padPass != null && state().padPassProblem() != null) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: its padding needs the pad pass, and "
                    + state().padPassProblem());
        }
        CudaKernel padKernel = padPass == null ? null : modules.kernel(device, Pad2dKernel.PTX, Pad2dKernel.NAME);
        CudnnHandles handles = CudnnHandles.of(device);
        CudnnDescriptors d = new CudnnDescriptors(shape, AlgorithmChoice.descriptorMathType(settings));
        DeviceBuffer unowned = null;
        try (StreamPool.Lease stream = device.streams().lease(); var h = handles.lease(stream.stream())) {
            List<Candidate> ranked;
            String source;
            String searchNote = "";
            if (settings.benchmark()) {
                source = "benchmark";
                BenchmarkCache.Key key = new BenchmarkCache.Key(device.ordinal(), shape, settings.allowTf32(),
                        settings.deterministic());
                List<Candidate> timed;
                try {
                    BenchmarkCache.Result r = BenchmarkCache.get(key, () -> AlgorithmSearch.timed(h.handle(), d, shape, device));
                    timed = r.ranked();
                    searchNote = r.timedNow() ? ", timed now" : ", cached timing";
                } catch (RuntimeException e) {
                    if (!DeviceMemory.isOutOfMemory(e)) {
                        throw e;
                    }
                    timed = null;
                    searchNote = "; no memory to time candidates, heuristic order used";
                }
                ranked = timed != null ? timed : AlgorithmSearch.heuristic(h.handle(), d, shape);
            } else {
                source = "heuristic";
                ranked = AlgorithmSearch.heuristic(h.handle(), d, shape);
            }
            Chosen<DeviceBuffer> chosen = AlgorithmChoice.choose(rankingFilter.apply(ranked), source, settings, Cudnn.SUCCESS,
                    (algo, math) -> {
                        d.setMathType(math);
                        return AlgorithmSearch.workspaceBytes(h.handle(), d, shape, algo);
                    },
                    device::allocate);
            unowned = chosen.workspace();
            d.setMathType(chosen.candidate().mathType());
            WorkspacePool workspace = new WorkspacePool(device, chosen.workspaceBytes(), unowned);
            unowned = null;
            return new CudnnPlan(g, device, handles, shape, padPass, padKernel, d, chosen.candidate(), workspace,
                    chosen.how() + searchNote);
        } catch (RuntimeException e) {
            if (unowned != null) {
                unowned.close();
            }
            d.close();
            throw e;
        }
    }

    /**
     * Frees every plan (descriptors, workspaces) and unloads the pad kernel. Calls still running on other
     * threads must have finished. The backend stays usable: later calls plan again; benchmark results
     * stay cached for the process.
     */
    @Override
    public void close() {
        try {
            plans.close();
        } finally {
            modules.close();
        }
    }
}
