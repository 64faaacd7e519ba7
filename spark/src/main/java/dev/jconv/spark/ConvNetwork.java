package dev.jconv.spark;

import dev.jconv.Tensor;
import dev.jconv.io.StateDict;
import dev.jconv.nn.ModelSpec;
import dev.jconv.nn.Sequential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What executors need to run a network ({@link Sequential}): the spec text ({@link ModelSpec}'s format, as
 * {@code ./jconv model --spec} reads it) and the loaded {@code state_dict}, as a plain serializable value. It is
 * checked when made, on the driver: the spec parsed and the weights loaded strictly, so a bad line or a missing,
 * unexpected or mis-sized key fails before any task starts, in PyTorch's words and naming the file. Each executor
 * JVM then builds the network once from this value ({@link #build()}).
 *
 * <p>The weights travel as the float32 tensors the model loaded (what {@code model.state_dict()} holds after
 * loading), not as the file's bytes: the file format (safetensors, npz, F16/BF16/F64) is read and checked once,
 * on the driver, and never again on an executor.
 */
public final class ConvNetwork implements ConvModel {
    private static final long serialVersionUID = 1L;

    private final String spec;
    private final String specSource;
    private final LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
    private final LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();

    private ConvNetwork(String spec, String specSource, StateDict state, String weightsSource) {
        this.spec = spec;
        this.specSource = specSource;
        Sequential model = ModelSpec.parse(spec, specSource);
        try {
            model.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weightsSource + ": " + e.getMessage(), e);
        }
        model.stateDict().forEach((key, t) -> {
            values.put(key, t.toArray());
            shapes.put(key, t.shape());
        });
    }

    /**
     * The network of spec file {@code spec} with the {@code state_dict} of {@code weights} ({@code .safetensors}
     * or {@code .npz}), as {@code ./jconv model --spec spec --weights weights} loads it.
     */
    public static ConvNetwork read(Path spec, Path weights) throws IOException {
        String text = Files.readString(spec, StandardCharsets.UTF_8);
        return new ConvNetwork(text, spec.toString(), StateDict.read(weights), weights.toString());
    }

    /**
     * The network {@code spec} describes, loaded strictly with {@code state}; {@code specSource} and
     * {@code weightsSource} name them in errors.
     */
    public static ConvNetwork of(String spec, String specSource, StateDict state, String weightsSource) {
        return new ConvNetwork(spec, specSource, state, weightsSource);
    }

    /** A new network from the spec with the weights loaded; each caller gets its own modules. */
    public Sequential build() {
        Sequential model = ModelSpec.parse(spec, specSource);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        values.forEach((key, v) -> tensors.put(key, Tensor.of(v, shapes.get(key).clone())));
        model.loadStateDict(new StateDict(tensors, Set.of()));
        return model;
    }

    /** The spec file's name (or what the caller named the text), for logs. */
    public String specSource() {
        return specSource;
    }
}
