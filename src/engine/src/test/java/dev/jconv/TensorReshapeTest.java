package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code reshape} with {@code -1}, as the seed's {@code x.view(-1, 64 * 7 * 7)}; PyTorch's messages are in the fixtures. */
class TensorReshapeTest {

    @Test
    void inferredDimensionSharesTheData() {
        Tensor x = Tensor.randn(1, 2, 64, 7, 7);
        Tensor y = x.reshape(-1, 64 * 7 * 7);
        assertArrayEquals(new int[] {2, 3136}, y.shape());
        assertSame(x.data(), y.data());
        assertArrayEquals(new int[] {0, 5}, Tensor.zeros(0, 5).reshape(-1, 5).shape());
        assertArrayEquals(new int[] {2, 3136}, x.reshape(2, 3136).shape());
    }

    @Test
    void hugeSizesDoNotOverflowIntoAMatch() {
        // 65536^4 = 2^64 wraps to 0 in a long and would 'match' an empty tensor
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(0).reshape(65536, 65536, 65536, 65536));
        assertEquals("shape '[65536, 65536, 65536, 65536]' is invalid for input of size 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(16).reshape(65536, 65536, 65536, 65536));
        assertEquals("shape '[65536, 65536, 65536, 65536]' is invalid for input of size 16", e.getMessage());
    }
}
