package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No JCuda type ({@code jcuda.*}) in the API of jconv-cuda: device memory crosses it as {@code long} addresses,
 * streams as {@link CudaStream} or raw handles, so JCuda can be replaced without breaking users and memory of other
 * libraries can be passed in. Scans every public class of {@code dev.jconv.cuda.**} (no GPU, nothing initialised):
 * public and protected constructors, methods and fields, with generic signatures, thrown types, and the classes'
 * own supertypes and type parameters. The one exception is {@value #INTERNAL_PACKAGE}, the conversion point the
 * cuDNN and cuBLAS packages need to reach JCuda objects of the core package's streams (see its javadoc).
 */
class NoJCudaInPublicApiTest {
    static final String INTERNAL_PACKAGE = "dev.jconv.cuda.internal";

    @Test
    void noPublicOrProtectedSignatureMentionsAJCudaType() {
        List<Class<?>> classes = moduleClasses();
        assertTrue(classes.stream().anyMatch(c -> c == CudaStream.class) && classes.size() > 40,
                "the scan must see the module's classes, found " + classes.size());
        Set<String> leaks = new TreeSet<>();
        for (Class<?> c : classes) {
            if (isApi(c) && !c.getPackageName().equals(INTERNAL_PACKAGE)) {
                leaks.addAll(leaksOf(c));
            }
        }
        assertEquals(Set.of(), leaks, "JCuda types in jconv-cuda's public signatures");
    }

    @Test
    void theScanFindsAJCudaTypeHiddenInAGenericSignature() {
        assertEquals(List.of(Leaky.class.getName() + ".handles: java.util.List<java.util.Map<java.lang.String, "
                + "? extends jcuda.driver.CUstream>>"), leaksOf(Leaky.class));
    }

    /** A public class with a JCuda type nested in a generic field type: what the scan must catch. */
    public static final class Leaky {
        public java.util.List<java.util.Map<String, ? extends jcuda.driver.CUstream>> handles;
    }

    /** Accessible from outside the module: public, and (if nested) inside public classes only. */
    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    static List<String> leaksOf(Class<?> c) {
        List<String> leaks = new ArrayList<>();
        List<Type> own = new ArrayList<>();
        own.add(c.getGenericSuperclass());
        Collections.addAll(own, c.getGenericInterfaces());
        Collections.addAll(own, c.getTypeParameters());
        report(leaks, c.getName() + " (declaration)", own.toArray(Type[]::new));
        for (Field f : c.getDeclaredFields()) {
            if (visible(f)) {
                report(leaks, c.getName() + "." + f.getName(), f.getGenericType());
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (visible(k)) {
                report(leaks, c.getName() + ".<init>", signature(k));
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (visible(m)) {
                List<Type> types = new ArrayList<>(List.of(signature(m)));
                types.add(m.getGenericReturnType());
                report(leaks, c.getName() + "." + m.getName(), types.toArray(Type[]::new));
            }
        }
        return leaks;
    }

    private static boolean visible(Member m) {
        int mods = m.getModifiers();
        return !m.isSynthetic() && (Modifier.isPublic(mods) || Modifier.isProtected(mods));
    }

    private static Type[] signature(Executable e) {
        List<Type> types = new ArrayList<>(List.of(e.getGenericParameterTypes()));
        Collections.addAll(types, e.getGenericExceptionTypes());
        Collections.addAll(types, e.getTypeParameters());
        return types.toArray(Type[]::new);
    }

    private static void report(List<String> leaks, String where, Type... types) {
        for (Type t : types) {
            if (t != null && mentionsJCuda(t, new HashSet<>())) {
                leaks.add(where + ": " + t.getTypeName());
            }
        }
    }

    private static boolean mentionsJCuda(Type t, Set<Type> seen) {
        if (!seen.add(t)) {
            return false;
        }
        if (t instanceof Class<?> c) {
            Class<?> element = c;
            while (element.isArray()) {
                element = element.getComponentType();
            }
            return element.getName().startsWith("jcuda.");
        }
        if (t instanceof ParameterizedType p) {
            return anyMentions(seen, p.getRawType(), p.getOwnerType()) || anyMentions(seen, p.getActualTypeArguments());
        }
        if (t instanceof WildcardType w) {
            return anyMentions(seen, w.getUpperBounds()) || anyMentions(seen, w.getLowerBounds());
        }
        if (t instanceof TypeVariable<?> v) {
            return anyMentions(seen, v.getBounds());
        }
        if (t instanceof GenericArrayType a) {
            return mentionsJCuda(a.getGenericComponentType(), seen);
        }
        return false;
    }

    private static boolean anyMentions(Set<Type> seen, Type... types) {
        for (Type t : types) {
            if (t != null && mentionsJCuda(t, seen)) {
                return true;
            }
        }
        return false;
    }

    /** Every class compiled into the module (its classes folder, or its jar), loaded without initialising. */
    private static List<Class<?>> moduleClasses() {
        try {
            Path root = Path.of(CudaStream.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> files = new ArrayList<>();
            if (Files.isDirectory(root)) {
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.map(p -> root.relativize(p).toString().replace(root.getFileSystem().getSeparator(), "/"))
                            .forEach(files::add);
                }
            } else {
                try (JarFile jar = new JarFile(root.toFile())) {
                    jar.stream().map(e -> e.getName()).forEach(files::add);
                }
            }
            List<Class<?>> classes = new ArrayList<>();
            for (String f : files) {
                if (f.startsWith("dev/jconv/") && f.endsWith(".class") && !f.endsWith("module-info.class")) {
                    String name = f.substring(0, f.length() - ".class".length()).replace('/', '.');
                    classes.add(Class.forName(name, false, CudaStream.class.getClassLoader()));
                }
            }
            return classes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
