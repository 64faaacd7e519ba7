package dev.jconv.nn;

import dev.jconv.Conv2d;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network written one module per line in PyTorch's constructor syntax, run top to bottom:
 *
 * <pre>
 * # the seed's SimpleCNN
 * conv1: Conv2d(in_channels=3, out_channels=32, kernel_size=3, padding=1)
 * relu1: ReLU()
 * pool: MaxPool2d(kernel_size=2, stride=2)
 * conv2: Conv2d(32, 64, kernel_size=(3, 3), padding=(1, 1))
 * relu2: ReLU()
 * pool: MaxPool2d(kernel_size=2, stride=2)
 * flatten: Flatten()
 * fc: Linear(3136, 10)
 * </pre>
 *
 * Names are the {@code state_dict} prefixes; a name used again must repeat the same definition and then runs the
 * same module again. Arguments are positional and keyword, as the constructors take them: ints, floats
 * ({@code 1e-05}), tuples, {@code True}/{@code False}, strings and {@code None}. A line of {@code print(model)}
 * works as well ({@code (conv1): Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))}, unquoted
 * {@code padding_mode=reflect} included), and so does a header line {@code SimpleCNN(} naming the model (the name
 * load errors report) and its closing {@code )}. {@code #} starts a comment. A bad line is one
 * {@link IllegalArgumentException} naming its line number.
 */
public final class ModelSpec {
    private ModelSpec() {}

    /** Reads and builds the network in {@code file}; errors name the file and the line. */
    public static Sequential read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Builds the network {@code text} describes; {@code source} names it in errors. */
    public static Sequential parse(String text, String source) {
        String[] lines = text.split("\r?\n", -1);
        String modelName = "Sequential";
        Map<String, String> definitions = new HashMap<>();
        Map<String, Integer> definedOn = new HashMap<>();
        Map<String, Module> built = new LinkedHashMap<>();
        List<Map.Entry<String, Module>> order = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = stripComment(lines[i]).strip();
            if (line.isEmpty() || line.equals(")")) {
                continue;
            }
            try {
                if (line.matches("[A-Za-z_][A-Za-z0-9_]*\\(") && order.isEmpty()) {
                    modelName = line.substring(0, line.length() - 1);
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("expected 'name: Module(arguments)'");
                }
                String name = line.substring(0, colon).strip();
                if (name.startsWith("(") && name.endsWith(")")) {
                    name = name.substring(1, name.length() - 1).strip();
                }
                if (!name.matches("[A-Za-z0-9_]+")) {
                    throw new IllegalArgumentException("module name '" + name
                            + "' must be letters, digits and underscores (it is the state_dict prefix)");
                }
                Call call = new CallParser(line.substring(colon + 1).strip()).call();
                String definition = call.toString();
                Module module = built.get(name);
                if (module != null) {
                    if (!definitions.get(name).equals(definition)) {
                        throw new IllegalArgumentException("'" + name + "' was defined on line " + definedOn.get(name)
                                + " as " + definitions.get(name) + "; a name used again must repeat that definition"
                                + " (it runs the same module again)");
                    }
                } else {
                    module = build(call);
                    built.put(name, module);
                    definitions.put(name, definition);
                    definedOn.put(name, lineNo);
                }
                order.add(Map.entry(name, module));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": " + e.getMessage(), e);
            }
        }
        if (order.isEmpty()) {
            throw new IllegalArgumentException(source + ": no modules (expected lines like 'conv1: Conv2d(3, 32, 3)')");
        }
        Sequential model = new Sequential(modelName);
        order.forEach(e -> model.add(e.getKey(), e.getValue()));
        return model;
    }

    private static String stripComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#') {
                return line.substring(0, i);
            }
        }
        return line;
    }

    // ---- the modules, with the constructors' signatures ----

    private static Module build(Call call) {
        return switch (call.function) {
            case "Conv2d" -> conv2d(call.bind("in_channels", "out_channels", "kernel_size", "stride=1", "padding=0",
                    "dilation=1", "groups=1", "bias=True", "padding_mode='zeros'", "device=None", "dtype=None"));
            case "Conv1d" -> conv1d(call.bind("in_channels", "out_channels", "kernel_size", "stride=1", "padding=0",
                    "dilation=1", "groups=1", "bias=True", "padding_mode='zeros'", "device=None", "dtype=None"));
            case "ReLU" -> new ReLU(call.bind("inplace=False").bool("inplace"));
            case "MaxPool2d" -> maxPool2d(call.bind("kernel_size", "stride=None", "padding=0", "dilation=1",
                    "return_indices=False", "ceil_mode=False"));
            case "Linear" -> {
                Args a = call.bind("in_features", "out_features", "bias=True", "device=None", "dtype=None");
                a.noDevice();
                yield new Linear(a.integer("in_features"), a.integer("out_features"), a.bool("bias"));
            }
            case "Flatten" -> {
                Args a = call.bind("start_dim=1", "end_dim=-1");
                yield new Flatten(a.integer("start_dim"), a.integer("end_dim"));
            }
            case "BatchNorm2d" -> {
                Args a = call.bind("num_features", "eps=1e-05", "momentum=0.1", "affine=True",
                        "track_running_stats=True", "device=None", "dtype=None");
                a.noDevice();
                Object momentum = a.get("momentum");
                yield new BatchNorm2d(a.integer("num_features"), a.real("eps"),
                        momentum == Args.NONE ? null : a.real("momentum"), a.bool("affine"),
                        a.bool("track_running_stats"));
            }
            default -> throw new IllegalArgumentException("unknown module '" + call.function
                    + "' (jconv has Conv2d, Conv1d, ReLU, MaxPool2d, Linear, Flatten, BatchNorm2d)");
        };
    }

    private static Conv2d conv2d(Args a) {
        a.noDevice();
        int[] k = a.pair("kernel_size", 2);
        Conv2d.Builder b = Conv2d.builder(a.integer("in_channels"), a.integer("out_channels"), k[0], k[1]);
        int[] s = a.pair("stride", 2);
        b.stride(s[0], s[1]);
        Object padding = a.get("padding");
        if (padding instanceof String text) {
            b.padding(Padding.parse(paddingString(text)));
        } else {
            int[] p = a.pair("padding", 2);
            b.padding(p[0], p[1]);
        }
        int[] d = a.pair("dilation", 2);
        return b.dilation(d[0], d[1]).groups(a.integer("groups")).bias(a.bool("bias"))
                .paddingMode(a.string("padding_mode")).build();
    }

    private static Conv1d conv1d(Args a) {
        a.noDevice();
        Conv1d.Builder b = Conv1d.builder(a.integer("in_channels"), a.integer("out_channels"),
                a.pair("kernel_size", 1)[0]);
        b.stride(a.pair("stride", 1)[0]);
        Object padding = a.get("padding");
        if (padding instanceof String text) {
            b.padding(paddingString(text));
        } else {
            b.padding(a.pair("padding", 1)[0]);
        }
        return b.dilation(a.pair("dilation", 1)[0]).groups(a.integer("groups")).bias(a.bool("bias"))
                .paddingMode(a.string("padding_mode")).build();
    }

    /** Only {@code same} and {@code valid} are padding strings; anything else gets PyTorch's message. */
    private static String paddingString(String text) {
        if (!text.equals("same") && !text.equals("valid")) {
            throw new IllegalArgumentException(ConvValidator.invalidPaddingString(text));
        }
        return text;
    }

    private static MaxPool2d maxPool2d(Args a) {
        if (a.bool("return_indices")) {
            throw new IllegalArgumentException("MaxPool2d(return_indices=True) returns a tuple; jconv networks pass one tensor");
        }
        for (String arg : new String[] {"kernel_size", "stride", "padding", "dilation"}) {
            Object v = a.get(arg);
            if (v instanceof List<?> list) {
                NnValidator.checkPoolArgumentArity(arg, list.size());
            }
        }
        int[] k = a.pair("kernel_size", 2);
        MaxPool2d.Builder b = a.get("kernel_size") instanceof List ? MaxPool2d.builder(k[0], k[1])
                : MaxPool2d.builder(k[0]);
        if (a.get("stride") != Args.NONE) {
            int[] s = a.pair("stride", 2);
            if (a.get("stride") instanceof List) {
                b.stride(s[0], s[1]);
            } else {
                b.stride(s[0]);
            }
        }
        int[] p = a.pair("padding", 2);
        if (a.get("padding") instanceof List) {
            b.padding(p[0], p[1]);
        } else {
            b.padding(p[0]);
        }
        int[] d = a.pair("dilation", 2);
        if (a.get("dilation") instanceof List) {
            b.dilation(d[0], d[1]);
        } else {
            b.dilation(d[0]);
        }
        return b.ceilMode(a.bool("ceil_mode")).build();
    }

    // ---- parsing a call ----

    /** {@code Function(positional..., keyword=value...)} with its values parsed. */
    private record Call(String function, List<Object> positional, Map<String, Object> keywords) {

        /**
         * The arguments bound to a signature written as Python's ({@code "stride=1"} has a default, {@code
         * "in_channels"} none), with Python's errors for missing, repeated and unknown arguments.
         */
        Args bind(String... signature) {
            Map<String, Object> values = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            Map<String, Object> defaults = new HashMap<>();
            for (String p : signature) {
                int eq = p.indexOf('=');
                String n = eq < 0 ? p : p.substring(0, eq);
                names.add(n);
                if (eq >= 0) {
                    defaults.put(n, new CallParser(p.substring(eq + 1)).value());
                }
            }
            if (positional.size() > names.size()) {
                throw new IllegalArgumentException(function + "() takes at most " + names.size()
                        + " positional arguments but " + positional.size() + " were given");
            }
            for (int i = 0; i < positional.size(); i++) {
                values.put(names.get(i), positional.get(i));
            }
            for (Map.Entry<String, Object> k : keywords.entrySet()) {
                if (!names.contains(k.getKey())) {
                    throw new IllegalArgumentException(function + "() got an unexpected keyword argument '"
                            + k.getKey() + "'");
                }
                if (values.containsKey(k.getKey())) {
                    throw new IllegalArgumentException(function + "() got multiple values for argument '"
                            + k.getKey() + "'");
                }
                values.put(k.getKey(), k.getValue());
            }
            List<String> missing = new ArrayList<>();
            for (String n : names) {
                if (!values.containsKey(n)) {
                    if (defaults.containsKey(n)) {
                        values.put(n, defaults.get(n));
                    } else {
                        missing.add("'" + n + "'");
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(function + "() missing " + missing.size() + " required positional"
                        + " argument" + (missing.size() == 1 ? "" : "s") + ": " + String.join(" and ", missing));
            }
            return new Args(function, values);
        }

        @Override
        public String toString() {
            return function + positional + keywords;
        }
    }

    /** Bound arguments, read with the type each parameter takes. */
    private record Args(String function, Map<String, Object> values) {
        static final Object NONE = new Object() {
            @Override
            public String toString() {
                return "None";
            }
        };

        Object get(String name) {
            return values.get(name);
        }

        int integer(String name) {
            if (get(name) instanceof Long l && l == l.intValue()) {
                return l.intValue();
            }
            throw typeError(name, "an int");
        }

        double real(String name) {
            if (get(name) instanceof Number n) {
                return n.doubleValue();
            }
            throw typeError(name, "a float");
        }

        boolean bool(String name) {
            if (get(name) instanceof Boolean b) {
                return b;
            }
            throw typeError(name, "True or False");
        }

        String string(String name) {
            if (get(name) instanceof String s) {
                return s;
            }
            throw typeError(name, "a string");
        }

        /** An int (both values) or a tuple of {@code arity} ints (1 or 2). */
        int[] pair(String name, int arity) {
            Object v = get(name);
            if (v instanceof Long) {
                int i = integer(name);
                return new int[] {i, i};
            }
            if (v instanceof List<?> list && (list.size() == arity || (arity == 2 && list.size() == 1))
                    && list.stream().allMatch(x -> x instanceof Long l && l == l.intValue())) {
                int h = ((Long) list.get(0)).intValue();
                int w = ((Long) list.get(list.size() - 1)).intValue();
                return new int[] {h, w};
            }
            throw typeError(name, arity == 1 ? "an int or a tuple of one int" : "an int or a tuple of two ints");
        }

        void noDevice() {
            if (get("device") != NONE || get("dtype") != NONE) {
                throw new IllegalArgumentException(function + ": device and dtype are not supported (jconv computes"
                        + " in float32 and picks the device with --backend)");
            }
        }

        private IllegalArgumentException typeError(String name, String expected) {
            Object v = get(name);
            return new IllegalArgumentException(function + "(): " + name + " must be " + expected + ", got "
                    + (v instanceof String s ? "'" + s + "'" : v));
        }
    }

    /** A small recursive-descent reader of Python call syntax and literals. */
    private static final class CallParser {
        private final String text;
        private int pos;

        CallParser(String text) {
            this.text = text;
        }

        Call call() {
            skip();
            String function = identifier();
            if (function.isEmpty()) {
                throw error("expected a module name like Conv2d");
            }
            skip();
            expect('(');
            List<Object> positional = new ArrayList<>();
            Map<String, Object> keywords = new LinkedHashMap<>();
            skip();
            while (peek() != ')') {
                int start = pos;
                String id = identifier();
                skip();
                if (!id.isEmpty() && peek() == '=') {
                    pos++;
                    if (keywords.containsKey(id)) {
                        throw error("keyword argument repeated: " + id);
                    }
                    keywords.put(id, value());
                } else {
                    pos = start;
                    if (!keywords.isEmpty()) {
                        throw error("positional argument follows keyword argument");
                    }
                    positional.add(value());
                }
                skip();
                if (peek() == ',') {
                    pos++;
                    skip();
                } else if (peek() != ')') {
                    throw error("expected ',' or ')'");
                }
            }
            pos++;
            skip();
            if (pos != text.length()) {
                throw error("unexpected text after the closing parenthesis");
            }
            return new Call(function, positional, keywords);
        }

        /** int, float, tuple, True/False/None, quoted or bare string. */
        Object value() {
            skip();
            char c = peek();
            if (c == '(') {
                pos++;
                List<Object> items = new ArrayList<>();
                skip();
                while (peek() != ')') {
                    items.add(value());
                    skip();
                    if (peek() == ',') {
                        pos++;
                        skip();
                    } else if (peek() != ')') {
                        throw error("expected ',' or ')' in a tuple");
                    }
                }
                pos++;
                return items;
            }
            if (c == '\'' || c == '"') {
                int end = text.indexOf(c, pos + 1);
                if (end < 0) {
                    throw error("unterminated string");
                }
                String s = text.substring(pos + 1, end);
                pos = end + 1;
                return s;
            }
            if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
                int start = pos;
                pos++;
                while (pos < text.length() && numberContinues(text.charAt(pos), text.charAt(pos - 1))) {
                    pos++;
                }
                String number = text.substring(start, pos).replace("_", "");
                try {
                    return number.matches("[-+]?\\d+") ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
                } catch (NumberFormatException e) {
                    throw error("bad number '" + number + "'");
                }
            }
            String id = identifier();
            if (id.isEmpty()) {
                throw error(pos < text.length() ? "unexpected '" + c + "'" : "unexpected end of line");
            }
            return switch (id) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> Args.NONE;
                default -> id;  // print(model) writes padding_mode=reflect and padding=same without quotes
            };
        }

        /** Digits, '.', '_', exponent letters, and a sign right after an exponent ({@code 1e-05}). */
        private static boolean numberContinues(char c, char previous) {
            if (c == '+' || c == '-') {
                return previous == 'e' || previous == 'E';
            }
            return Character.isLetterOrDigit(c) || c == '.' || c == '_';
        }

        private String identifier() {
            int start = pos;
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() {
            if (pos >= text.length()) {
                throw error("unexpected end of line (missing ')'?)");
            }
            return text.charAt(pos);
        }

        private void skip() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at column " + (pos + 1) + " of '" + text + "'");
        }
    }
}
