package dev.jconv.cuda.cublas;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.backend.PlanLease;
import dev.jconv.Options;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import dev.jconv.cuda.Cuda;
import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaKernel;
import dev.jconv.cuda.CudaUnavailableException;
import dev.jconv.cuda.DeviceBuffer;
import dev.jconv.cuda.DeviceConvPlan;
import dev.jconv.cuda.Im2colKernel;
import dev.jconv.cuda.LaunchPlanner;
import dev.jconv.cuda.LazyProbe;
import dev.jconv.cuda.PtxIsa;
import dev.jconv.cuda.PtxModule;
import dev.jconv.cuda.vendor.DeviceMemory;
import dev.jconv.cuda.vendor.EmptyOutputPlan;
import dev.jconv.cuda.vendor.KernelModules;
import dev.jconv.cuda.vendor.NativeLibraries;

/**
 * {@code cublas}: convolution as im2col ({@code native-kernels/im2col.cu}) plus cuBLAS SGEMM through
 * JCublas 12.6.0 ({@link GemmPlan} has the arithmetic). Needs an NVIDIA driver and CUDA 12's
 * {@code libcublas.so.12}; a baseline to compare the other GPU backends with, so {@code auto} never picks
 * it: it runs only when asked for by name.
 */
public final class CublasBackend implements ConvBackend, AutoCloseable {
    public static final String NAME = "cublas";

    /** Instances {@link #configured} made for settings or a device other than the default ones. */
    private static final Map<List<Object>, CublasBackend> CONFIGURED = new ConcurrentHashMap<>();

    private final CublasSettings fixedSettings;
    private final Integer deviceIndex;  // null: the default device (Options.defaultDeviceIndex)
    private final PlanCache plans = new PlanCache(this::createPlan);
    private final KernelModules modules = new KernelModules();
    private final LazyProbe<State> state = new LazyProbe<>(this::probe);

    private record State(Availability availability, CublasSettings settings, String im2colProblem) {}

    public CublasBackend() {
        this(null);
    }

    public CublasBackend(CublasSettings settings) {
        this(settings, null);
    }

    private CublasBackend(CublasSettings settings, Integer deviceIndex) {
        this.fixedSettings = settings;
        this.deviceIndex = deviceIndex;
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

    private State probe() {
        CublasSettings settings;
        try {
            settings = fixedSettings != null ? fixedSettings : CublasSettings.fromEnvironment();
        } catch (IllegalArgumentException e) {
            return new State(Availability.no(e.getMessage()), null, null);
        }
        Availability noDriver = Cuda.withoutDriver("cuBLAS");
        if (noDriver != null) {
            return new State(noDriver, settings, null);
        }
        Availability driver = Cuda.availability();
        Availability library = Cublas.libraryAvailability();
        Availability missing = NativeLibraries.libraryOrDriverMissing(library, driver);
        if (missing != null) {
            return new State(missing, settings, null);
        }
        try {
            CudaDevice device = device();
            int version = CublasHandles.of(device).warmUp();
            String im2colProblem = PtxIsa.of(PtxModule.readResource(Im2colKernel.PTX)).unsupportedReason(Cuda.driverVersion());
            return new State(Availability.yes("cuBLAS " + version / 10000 + "." + (version % 10000) / 100 + "." + version % 100
                    + " (" + Cublas.LIBRARY + ") on " + device.describe() + "; " + settings.describe()
                    + "; only by name, auto never picks it"
                    + (im2colProblem == null ? "" : "; only 1x1 stride-1 unpadded convolutions (no im2col): " + im2colProblem)),
                    settings, im2colProblem);
        } catch (RuntimeException e) {
            return new State(Availability.no(library.reason() + " loaded, but " + e.getMessage()), settings, null);
        }
    }

    @Override
    public boolean supports(ConvGeometry g) {
        return EmptyOutputPlan.applies(g) || g.isPointwise()
                || g.fitsIntCoordinates() && state().im2colProblem() == null;
    }

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

    /** This backend if {@code options} ask for its TF32 setting and device, else the shared instance that has them. */
    @Override
    public ConvBackend configured(Options options) {
        CublasSettings wanted = CublasSettings.of(options);
        if (wanted.equals(state().settings()) && options.deviceIndex() == deviceIndex()) {
            return this;
        }
        return CONFIGURED.computeIfAbsent(List.of(wanted, options.deviceIndex()),
                k -> new CublasBackend(wanted, options.deviceIndex()));
    }

    private int deviceIndex() {
        return deviceIndex != null ? deviceIndex : Options.defaultDeviceIndex();
    }

    private CudaDevice device() {
        return CudaDevice.get(deviceIndex());
    }

    public int planCount() {
        return plans.size();
    }

    private ConvPlan createPlan(ConvGeometry g) {
        CudaDevice device = device();
        if (EmptyOutputPlan.applies(g)) {
            return new EmptyOutputPlan(g, device, NAME);
        }
        if (!g.isPointwise() && !g.fitsIntCoordinates()) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: " + LaunchPlanner.INT_COORDINATES);
        }
        State s = state();
        GemmPlan gemm = GemmPlan.of(g);
        if (!gemm.pointwise() && s.im2colProblem() != null) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: it needs im2col, and " + s.im2colProblem());
        }
        CudaKernel kernel = gemm.pointwise() ? null : modules.kernel(device, Im2colKernel.PTX, Im2colKernel.NAME);
        DeviceBuffer ones;
        try {
            ones = device.allocate(4L * gemm.pixels());
        } catch (RuntimeException e) {
            if (DeviceMemory.isOutOfMemory(e)) {
                throw DeviceMemory.outOfMemory(NAME + " plan for input " + java.util.Arrays.toString(g.inputShape()),
                        4L * gemm.pixels(), "the bias epilogue's vector of ones", device);
            }
            throw e;
        }
        try {
            ones.fill(1f);
            return new CublasPlan(g, device, CublasHandles.of(device), s.settings(), gemm, kernel, ones);
        } catch (RuntimeException e) {
            ones.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            plans.close();
        } finally {
            modules.close();
        }
    }
}
