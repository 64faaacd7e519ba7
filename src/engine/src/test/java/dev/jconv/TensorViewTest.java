package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** Tensors over part of an array or a FloatBuffer: no copy on wrap, writes visible both ways. */
class TensorViewTest {

    @Test
    void anArrayFromAnOffsetIsViewedNotCopied() {
        float[] arena = new float[20];
        Tensor t = Tensor.wrap(arena, 5, 2, 3);
        assertFalse(t.isWholeArray());
        t.set(7f, 1, 2);
        assertEquals(7f, arena[5 + 5], "a write through the view lands in the caller's array");
        arena[5] = 3f;
        assertEquals(3f, t.get(0, 0), "a write to the array shows in the view");
        assertEquals("tensor [2, 3] is a view of an array of 20 floats from offset 5, not a whole array: use copyTo "
                + "or toArray", assertThrows(IllegalStateException.class, t::data).getMessage());
        assertEquals(6, t.toArray().length);
        assertTrue(Tensor.wrap(new float[6], 0, 2, 3).isWholeArray());
        assertEquals("shape [4, 4] from offset 5 does not fit an array of size 20",
                assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(arena, 5, 4, 4)).getMessage());
    }

    @Test
    void aHeapBufferIsViewedThroughItsArrayFromItsPosition() {
        float[] backing = new float[10];
        FloatBuffer b = FloatBuffer.wrap(backing);
        b.position(4);
        Tensor t = Tensor.wrap(b, 3, 2);
        assertEquals(4, b.position(), "the buffer's position is untouched");
        t.set(9f, 2, 1);
        assertEquals(9f, backing[4 + 5]);
        FloatBuffer sliced = FloatBuffer.wrap(backing, 2, 8).slice(); // array offset 2
        Tensor s = Tensor.wrap(sliced, 8);
        s.set(1.5f, 0);
        assertEquals(1.5f, backing[2]);
    }

    @Test
    void aDirectBufferIsReadAndWrittenInPlace() {
        FloatBuffer direct = ByteBuffer.allocateDirect(4 * 8).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.position(2);
        Tensor t = Tensor.wrap(direct, 2, 3);
        assertFalse(t.isWholeArray());
        t.copyFrom(new float[] {1, 2, 3, 4, 5, 6}, 0);
        assertEquals(1f, direct.get(2));
        assertEquals(6f, direct.get(7));
        direct.put(3, 20f);
        assertEquals(20f, t.get(0, 1));
        assertArrayEquals(new float[] {1, 20, 3, 4, 5, 6}, t.toArray());
        assertEquals(Tensor.of(new float[] {1, 20, 3, 4, 5, 6}, 2, 3), t, "equal by shape and values");
        assertEquals("shape [3, 3] needs 9 floats, the buffer has 6 remaining",
                assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(direct, 3, 3)).getMessage());
    }

    @Test
    void reshapeSharesAndCopyOwns() {
        float[] arena = new float[12];
        Tensor t = Tensor.wrap(arena, 2, 2, 5);
        Tensor r = t.reshape(10);
        r.set(4f, 9);
        assertEquals(4f, arena[11]);
        Tensor c = t.copy();
        assertTrue(c.isWholeArray());
        c.set(8f, 0, 0);
        assertEquals(0f, arena[2], "the copy is independent");
    }
}
