package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.jconv.backend.ConvPlan;
import dev.jconv.nn.BatchNorm2d;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * A tensor's version ({@link Tensor}): changed by every write through it or a view of its array, and none at all
 * (compare the values) once the array is out of the tensor's sight.
 */
class TensorVersionTest {
    private static final long NONE = ConvPlan.UNVERSIONED;

    @Test
    void everyWriteThroughATensorOrItsViewsChangesTheVersion() {
        Tensor t = Tensor.uniform(1, -1f, 1f, 2, 3);
        long v0 = t.version();
        assertNotEquals(NONE, v0, "an array of its own");
        assertEquals(v0, t.version(), "reads change nothing");
        t.get(1, 2);
        t.toArray();
        assertEquals(v0, t.version());
        t.set(0.5f, 1, 2);
        long v1 = t.version();
        assertNotEquals(v0, v1, "set");
        Tensor view = t.reshape(6);
        view.set(0.25f, 4);
        assertNotEquals(v1, t.version(), "a write through a reshaped view");
        assertEquals(t.version(), view.version(), "views share the version");
        long v2 = t.version();
        t.copyFrom(new float[6], 0);
        assertNotEquals(v2, t.version(), "copyFrom");
        Tensor copy = t.copy();
        assertNotEquals(NONE, copy.version(), "a copy owns its array");
        copy.set(1f, 0, 0);
        assertEquals(0f, t.get(0, 0), "and shares nothing");
    }

    @Test
    void anArrayOutOfTheTensorsSightHasNoVersion() {
        assertEquals(NONE, Tensor.of(new float[4], 2, 2).version(), "the caller's array");
        assertEquals(NONE, Tensor.wrap(new float[8], 2, 2, 2).version(), "a view of the caller's array");
        assertEquals(NONE, Tensor.wrap(FloatBuffer.allocate(4), 4).version(), "the caller's buffer");
        Tensor t = Tensor.zeros(2, 2);
        Tensor view = t.reshape(4);
        float[] raw = t.data();
        assertEquals(NONE, t.version(), "handed out by data()");
        assertEquals(NONE, view.version(), "also for the views of that array");
        raw[0] = 1f;
        assertEquals(NONE, t.version(), "for good");
        float[] values = {1f, 2f, 3f, 4f};
        Tensor copied = Tensor.copyOf(values, 2, 2);
        assertNotEquals(NONE, copied.version(), "copyOf owns its copy");
        values[0] = 9f;
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, copied.toArray());
    }

    @Test
    void theLibrarysOwnWeightsKeepTheirVersions() {
        Conv2d conv = Conv2d.builder(3, 4, 3).seed(1).build();
        assertNotEquals(NONE, conv.weight().version(), "initialised in place");
        conv.setWeight(Tensor.of(new float[4 * 3 * 3 * 3], 4, 3, 3, 3));
        assertNotEquals(NONE, conv.weight().version(), "setWeight copies");
        conv.forward(Tensor.uniform(2, -1f, 1f, 1, 3, 8, 8));
        assertNotEquals(NONE, conv.weight().version(), "a forward pass reads it in place");
        BatchNorm2d bn = new BatchNorm2d(4);
        Tensor[] folded = bn.fold(conv.weight(), conv.bias());
        assertNotEquals(NONE, folded[0].version(), "a folded weight");
    }
}
