package dev.jconv.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * A kernel's arguments in declaration order, each with the parameter name it binds to in the CUDA
 * source and its kind, so tests can check the binding against the kernel's signature (names from the
 * {@code .cu}, kinds from the PTX {@code .entry}: pointers {@code .u64}, ints {@code .u32}, floats
 * {@code .f32}) without a GPU.
 */
public final class KernelArgs {
    /** The PTX parameter type each kind of argument has. */
    public enum Kind {
        POINTER(".u64"), INT(".u32"), FLOAT(".f32");

        private final String ptxType;

        Kind(String ptxType) {
            this.ptxType = ptxType;
        }

        public String ptxType() {
            return ptxType;
        }
    }

    private final List<String> names = new ArrayList<>();
    private final List<Kind> kinds = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    /** A device address; 0 passes a null pointer (e.g. no bias). */
    public KernelArgs pointer(String name, long address) {
        return add(name, Kind.POINTER, address);
    }

    public KernelArgs i32(String name, int value) {
        return add(name, Kind.INT, value);
    }

    /** A C {@code int} used as a flag. */
    public KernelArgs flag(String name, boolean value) {
        return i32(name, value ? 1 : 0);
    }

    public KernelArgs f32(String name, float value) {
        return add(name, Kind.FLOAT, value);
    }

    private KernelArgs add(String name, Kind kind, Object value) {
        names.add(name);
        kinds.add(kind);
        values.add(value);
        return this;
    }

    /** The parameter names, in order. */
    public List<String> names() {
        return List.copyOf(names);
    }

    public List<Kind> kinds() {
        return List.copyOf(kinds);
    }

    /** The value of a named int argument (for tests and diagnostics). */
    public int intValue(String name) {
        int i = names.indexOf(name);
        if (i < 0 || kinds.get(i) != Kind.INT) {
            throw new IllegalArgumentException("no int argument named " + name);
        }
        return (Integer) values.get(i);
    }

    /**
     * The {@code void**} that {@code cuLaunchKernel} takes: each entry points at the argument's bytes, for a pointer
     * argument the 8 bytes of its device address.
     */
    Pointer toKernelParams() {
        NativePointerObject[] params = new NativePointerObject[values.size()];
        for (int i = 0; i < params.length; i++) {
            Object v = values.get(i);
            if (v instanceof Long address) {
                params[i] = Pointer.to(new long[] {address});
            } else if (v instanceof Integer n) {
                params[i] = Pointer.to(new int[] {n});
            } else {
                params[i] = Pointer.to(new float[] {(Float) v});
            }
        }
        return Pointer.to(params);
    }
}
