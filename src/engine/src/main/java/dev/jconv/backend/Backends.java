package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The backends this build knows, in {@code auto}'s order of preference, and the one selector that
 * picks among them and can say why. Adding a backend is one line in {@link #KNOWN} (plus its
 * availability probe and its {@link ConvBackend#supports} rule).
 *
 * <p>{@code auto}'s rule, per convolution ({@link #autoOrder}): the {@link #KNOWN} order (cuDNN first, as
 * PyTorch does on a GPU), except that grouped convolutions with at most
 * {@value #PTX_FIRST_MAX_OUTPUTS_PER_GROUP} output channels per group (depthwise and near-depthwise) try
 * {@code cuda-ptx} before {@code cudnn}: its direct kernel reads each input element about once for those
 * shapes, where cuDNN's general kernels are known to be weak. That exception is a hypothesis until a GPU
 * run measures it (benchmarks/gpu-kit). Backends in {@link #NAMED_ONLY} are never picked by {@code auto}.
 */
public final class Backends {
    public static final String AUTO = "auto";

    /** Preference order for {@code auto}: GPU families first, then the fast CPU, then the reference. */
    private static final List<String> KNOWN = List.of(
            "dev.jconv.cuda.cudnn.CudnnBackend",
            "dev.jconv.cuda.PtxBackend",
            "dev.jconv.cuda.cublas.CublasBackend",
            "dev.jconv.cpu.CpuBackend",
            "dev.jconv.cpu.ReferenceBackend");
    private static final String CUDNN = "cudnn";
    private static final String PTX = "cuda-ptx";

    /** Run only when asked for by name: cublas is a baseline (im2col + GEMM moves far more memory than cuDNN). */
    private static final Set<String> NAMED_ONLY = Set.of("cublas");

    /** Grouped convolutions with at most this many output channels per group try cuda-ptx before cudnn (LaunchPlanner's direct-kernel rule). */
    public static final int PTX_FIRST_MAX_OUTPUTS_PER_GROUP = 4;

    private static volatile List<ConvBackend> all;

    private Backends() {}

    /** Every known backend, available or not, in {@code auto}'s order of preference. */
    public static List<ConvBackend> all() {
        List<ConvBackend> a = all;
        if (a == null) {
            synchronized (Backends.class) {
                if (all == null) {
                    List<ConvBackend> made = new ArrayList<>();
                    for (String className : KNOWN) {
                        try {
                            made.add((ConvBackend) Class.forName(className).getConstructor().newInstance());
                        } catch (ClassNotFoundException absent) {
                            // its module (jconv-cuda) is not on the class path
                        } catch (ReflectiveOperationException e) {
                            throw new IllegalStateException("cannot make backend " + className, e);
                        }
                    }
                    all = List.copyOf(made);
                }
                a = all;
            }
        }
        return a;
    }

    /** The names users can pass to {@code --backend}, {@code auto} first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(AUTO);
        all().forEach(b -> names.add(b.name()));
        return names;
    }

    /** The backend of that name, whether or not it is available. */
    public static ConvBackend byName(String name) {
        for (ConvBackend b : all()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "', expected one of " + names());
    }

    /** The chosen backend and, in words, why. */
    public record Selection(ConvBackend backend, String reason) {}

    /**
     * Picks the backend for one geometry. A backend named explicitly must be available and support the
     * geometry, or this throws {@link BackendUnavailableException} with the reason; {@code auto} takes the
     * first available backend that supports it and says which ones it passed over and why.
     */
    public static Selection select(String requested, ConvGeometry geometry) {
        if (!AUTO.equals(requested)) {
            ConvBackend b = byName(requested);
            Availability a = b.availability();
            if (!a.available()) {
                throw new BackendUnavailableException("backend " + b.name() + " is unavailable: " + a.reason());
            }
            if (!b.supports(geometry)) {
                throw new BackendUnavailableException("backend " + b.name() + " does not support this convolution");
            }
            return new Selection(b, "requested by name");
        }
        StringBuilder passed = new StringBuilder();
        List<ConvBackend> order = autoOrder(geometry);
        for (ConvBackend b : order) {
            Availability a = b.availability();
            if (!a.available()) {
                passed.append(b.name()).append(" unavailable (").append(a.reason()).append("); ");
            } else if (!b.supports(geometry)) {
                passed.append(b.name()).append(" does not support this shape; ");
            } else {
                return new Selection(b, "auto: first available backend in order "
                        + order.stream().map(ConvBackend::name).toList()
                        + (ptxFirst(geometry) ? " (depthwise-like, " + geometry.outChannelsPerGroup()
                        + " output channel(s) per group: cuda-ptx before cudnn, expected faster there, not yet measured)" : "")
                        + (passed.length() == 0 ? "" : "; passed over: " + passed.substring(0, passed.length() - 2)));
            }
        }
        throw new BackendUnavailableException("no backend can run this convolution: " + passed);
    }

    /**
     * The backends {@code auto} tries for {@code geometry}, in order: {@link #KNOWN}'s order without the
     * named-only ones, with cuda-ptx moved before cudnn for depthwise-like convolutions.
     */
    public static List<ConvBackend> autoOrder(ConvGeometry geometry) {
        List<ConvBackend> order = new ArrayList<>(all().stream().filter(b -> !NAMED_ONLY.contains(b.name())).toList());
        if (ptxFirst(geometry)) {
            int cudnn = indexOf(order, CUDNN);
            int ptx = indexOf(order, PTX);
            if (cudnn >= 0 && ptx > cudnn) {
                order.add(cudnn, order.remove(ptx));
            }
        }
        return order;
    }

    private static boolean ptxFirst(ConvGeometry g) {
        return g.groups() > 1 && g.outChannelsPerGroup() <= PTX_FIRST_MAX_OUTPUTS_PER_GROUP;
    }

    private static int indexOf(List<ConvBackend> backends, String name) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code auto}'s rule in one line, for {@code jconv info}. */
    public static String autoRule() {
        List<String> order = all().stream().map(ConvBackend::name).filter(n -> !NAMED_ONLY.contains(n)).toList();
        return "auto picks the first available backend that supports the convolution, in this order: "
                + String.join(", ", order) + "; grouped convolutions with at most " + PTX_FIRST_MAX_OUTPUTS_PER_GROUP
                + " output channels per group (depthwise) try " + PTX + " before " + CUDNN
                + " (expected faster there, not yet measured on a GPU); " + String.join(", ", NAMED_ONLY.stream().sorted().toList())
                + " only when named";
    }
}
