package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Conv2d;
import dev.jconv.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec syntax: PyTorch constructor calls, print(model) lines, comments, and one error per bad line. */
class ModelSpecTest {

    private static final String SIMPLE_CNN = """
            conv1: Conv2d(in_channels=3, out_channels=32, kernel_size=3, padding=1)
            relu1: ReLU()
            pool: MaxPool2d(kernel_size=2, stride=2)
            conv2: Conv2d(32, 64, kernel_size=(3, 3), padding=(1, 1))
            relu2: ReLU()
            pool: MaxPool2d(kernel_size=2, stride=2)
            flatten: Flatten()
            fc: Linear(3136, 10)
            """;

    @Test
    void theSeedsSimpleCnnParsesAndPoolRunsTwice() {
        Sequential model = ModelSpec.parse(SIMPLE_CNN, "net.txt");
        List<Map.Entry<String, Module>> children = model.children();
        assertEquals(8, children.size());
        assertSame(children.get(2).getValue(), children.get(5).getValue(), "the same pool module runs twice");
        assertEquals(List.of(1, 10), List.of(model.outputShape(1, 3, 28, 28)[0], model.outputShape(1, 3, 28, 28)[1]));
        assertEquals(32 * 3 * 9 + 32 + 64 * 32 * 9 + 64 + 10 * 3136 + 10, model.parameterCount());
        assertEquals("Sequential", model.name());
    }

    @Test
    void printModelLinesCommentsAndHeaderWork() {
        String printed = """
                # pasted from print(model)
                SimpleCNN(
                  (conv1): Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))  # first conv
                  (relu1): ReLU(inplace=True)
                  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  (conv2): Conv2d(32, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, padding_mode=reflect)
                  (bn): BatchNorm2d(8, eps=1e-05, momentum=None, affine=True, track_running_stats=True)
                  (c1): Conv1d(8, 4, kernel_size=(3,), stride=(2,), bias=False)
                )
                """;
        Sequential model = ModelSpec.parse(printed, "p.txt");
        assertEquals("SimpleCNN", model.name());
        assertEquals("""
                SimpleCNN(
                  (conv1): Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                  (relu1): ReLU(inplace=True)
                  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  (conv2): Conv2d(32, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, padding_mode=reflect)
                  (bn): BatchNorm2d(8, eps=1e-05, momentum=None, affine=True, track_running_stats=True)
                  (c1): Conv1d(8, 4, kernel_size=(3,), stride=(2,), bias=False)
                )""", model.toString());
        Conv2d conv1 = (Conv2d) model.children().get(0).getValue();
        assertEquals(1, conv1.params().padding().height());
    }

    private static String error(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(spec, "net.txt")).getMessage();
    }

    @Test
    void aBadLineIsOneErrorNamingItsLine() {
        assertEquals("net.txt line 2: unknown module 'Conv3d' (jconv has Conv2d, Conv1d, ReLU, MaxPool2d, Linear,"
                + " Flatten, BatchNorm2d)", error("a: ReLU()\nb: Conv3d(1, 2, 3)\n"));
        assertEquals("net.txt line 3: Conv2d() missing 1 required positional argument: 'kernel_size'",
                error("# c\n\nconv: Conv2d(1, 2)"));
        assertEquals("net.txt line 1: Linear() got an unexpected keyword argument 'bias_'",
                error("fc: Linear(3, 4, bias_=False)"));
        assertEquals("net.txt line 1: Conv2d() got multiple values for argument 'in_channels'",
                error("c: Conv2d(1, 2, 3, in_channels=1)"));
        assertTrue(error("c: Conv2d(1, 2, 3").startsWith("net.txt line 1: unexpected end of line"));
        assertTrue(error("c Conv2d(1, 2, 3)").startsWith("net.txt line 1: expected 'name: Module(arguments)'"));
        assertEquals("net.txt line 1: positional argument follows keyword argument at column 26 of"
                + " 'Conv2d(1, kernel_size=3, 2)'", error("c: Conv2d(1, kernel_size=3, 2)"));
        assertEquals("net.txt line 2: 'p' was defined on line 1 as MaxPool2d[2]{}; a name used again must repeat"
                + " that definition (it runs the same module again)", error("p: MaxPool2d(2)\np: MaxPool2d(3)"));
        assertEquals("net.txt line 1: Invalid padding string 'full', should be one of {'same', 'valid'}",
                error("c: Conv2d(1, 2, 3, padding='full')"));
        assertEquals("net.txt line 1: max_pool2d: kernel_size must either be a single int, or a tuple of two ints",
                error("p: MaxPool2d((2, 2, 2))"));
        assertEquals("net.txt line 1: Conv2d(): kernel_size must be an int or a tuple of two ints, got 2.5",
                error("c: Conv2d(1, 2, 2.5)"));
        assertEquals("net.txt line 1: padding='same' is not supported for strided convolutions",
                error("c: Conv1d(1, 2, 3, stride=2, padding='same')"));
        assertEquals("net.txt: no modules (expected lines like 'conv1: Conv2d(3, 32, 3)')", error("# nothing\n"));
    }

    @Test
    void floatsTuplesAndNoneParse() {
        Sequential m = ModelSpec.parse("bn: BatchNorm2d(4, eps=1e-3, momentum=None, affine=False)\n"
                + "p: MaxPool2d((2, 3), stride=None, padding=(1, 1), ceil_mode=True)", "n");
        assertEquals("Sequential(\n  (bn): BatchNorm2d(4, eps=0.001, momentum=None, affine=False,"
                + " track_running_stats=True)\n  (p): MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=(1, 1),"
                + " dilation=1, ceil_mode=True)\n)", m.toString());
        Tensor y = m.forward(Tensor.randn(3, 1, 4, 5, 5));
        assertEquals(List.of(1, 4, 3, 2), java.util.Arrays.stream(y.shape()).boxed().toList());
    }
}
