package dev.jconv.io;

import dev.jconv.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A PyTorch {@code state_dict} read from a file: float tensors by key, in the file's order, read as float32
 * whatever their floating-point type, and the keys of integer tensors (BatchNorm's {@code num_batches_tracked}),
 * whose values inference never needs and which are therefore only named.
 *
 * <p>Files: {@code .safetensors} ({@link Safetensors}) and {@code .npz}, what {@code np.savez(path, **state_dict)}
 * writes ({@link Npz}).
 */
public record StateDict(Map<String, Tensor> tensors, Set<String> integerKeys) {

    public StateDict {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        integerKeys = Collections.unmodifiableSet(new LinkedHashSet<>(integerKeys));
    }

    /** Every key, float tensors first, each in file order. */
    public Set<String> keys() {
        Set<String> all = new LinkedHashSet<>(tensors.keySet());
        all.addAll(integerKeys);
        return all;
    }

    /** Reads {@code .safetensors} or {@code .npz}, chosen by the file name's extension. */
    public static StateDict read(Path file) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return Safetensors.read(file);
        }
        if (name.endsWith(".npz")) {
            return Npz.read(file);
        }
        throw new IllegalArgumentException("weights file " + file
                + " must end in .safetensors or .npz (the formats jconv reads a state_dict from)");
    }
}
