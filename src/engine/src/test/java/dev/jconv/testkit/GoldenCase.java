package dev.jconv.testkit;

import com.google.gson.JsonObject;
import dev.jconv.Shapes;
import dev.jconv.Tensor;

/**
 * One PyTorch golden convolution: the layer, its input, PyTorch's weight and bias, and PyTorch's output.
 * Tensors are read from the fixture files on first use and shared afterwards; treat them as read-only
 * (the checks hand backends copies).
 */
public final class GoldenCase {
    private final String name;
    private final String description;
    private final String note;
    private final LayerSpec layer;
    private final int[] inputShape;
    private final int[] outputShape;
    private final JsonObject files;
    private volatile Tensor input;
    private volatile Tensor weight;
    private volatile Tensor bias;
    private volatile Tensor expected;

    GoldenCase(JsonObject o) {
        this.name = o.get("name").getAsString();
        this.description = o.get("description").getAsString();
        this.note = Fixtures.stringOrNull(o, "note");
        this.layer = LayerSpec.fromJson(o);
        this.inputShape = Fixtures.ints(o.get("input_shape"));
        this.outputShape = Fixtures.ints(o.get("output_shape"));
        this.files = o.getAsJsonObject("files");
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** Anything special about how PyTorch produced the expected output, or null. */
    public String note() {
        return note;
    }

    public LayerSpec layer() {
        return layer;
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int[] outputShape() {
        return outputShape.clone();
    }

    public boolean unbatched() {
        return inputShape.length == 3;
    }

    public Tensor input() {
        if (input == null) {
            input = Fixtures.npy(files.get("input").getAsString());
        }
        return input;
    }

    public Tensor weight() {
        if (weight == null) {
            weight = Fixtures.npy(files.get("weight").getAsString());
        }
        return weight;
    }

    /** PyTorch's bias, or null when the layer has none. */
    public Tensor bias() {
        String file = Fixtures.stringOrNull(files, "bias");
        if (file != null && bias == null) {
            bias = Fixtures.npy(file);
        }
        return bias;
    }

    /** PyTorch's output. */
    public Tensor expected() {
        if (expected == null) {
            expected = Fixtures.npy(files.get("output").getAsString());
        }
        return expected;
    }

    /** Everything a failure message needs: name, what it covers, the PyTorch call and the shapes. */
    public String describe() {
        return "golden case '" + name + "' (" + description + "): " + layer.call() + " on input "
                + Shapes.format(inputShape) + " -> " + Shapes.format(outputShape);
    }

    @Override
    public String toString() {
        return name;
    }
}
