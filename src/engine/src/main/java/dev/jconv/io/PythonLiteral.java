package dev.jconv.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of Python's {@code ast.literal_eval} that a {@code .npy} header can exercise, because numpy reads the
 * header with exactly that function: dicts (the last of duplicate keys wins), tuples, lists, sets, strings in
 * either quote style (prefixes {@code r u b}, triple quotes, escapes, adjacent literals concatenated), ints in
 * every base with underscores and one sign, floats, {@code True False None}, comments and line continuations.
 * Anything else literal_eval rejects is a {@link Malformed} here: names, calls, operators, f-strings, a second
 * sign, a leading-zero decimal, trailing tokens. (A {@code num + numj} complex literal, which literal_eval
 * allows, is rejected too: no valid header can contain one, so the verdict on a file is the same.)
 *
 * <p>With {@code dropLongSuffix} (format versions 1.0 and 2.0) an {@code L} name right after a number is dropped
 * first, as numpy's {@code _filter_header} does for headers written by Python 2.
 */
final class PythonLiteral {
    /** Python's {@code None}. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** A tuple (a {@link List} is a Python list). */
    record Tuple(List<Object> items) {
        @Override
        public String toString() {
            return items.stream().map(PythonLiteral::repr)
                    .collect(java.util.stream.Collectors.joining(", ", "(", items.size() == 1 ? ",)" : ")"));
        }
    }

    /** A {@code bytes} value (never equal to a str). */
    record Bytes(String latin1) {}

    /** A float. */
    record Real(double value) {}

    /** An imaginary number such as {@code 2j}: valid Python, never a valid header value. */
    record Imaginary(double value) {}

    /** Roughly Python's {@code repr}, for messages. */
    static String repr(Object value) {
        if (value instanceof String str) {
            return "'" + str + "'";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof Bytes b) {
            return "b'" + b.latin1() + "'";
        }
        if (value instanceof List<?> list) {
            return list.stream().map(PythonLiteral::repr).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        }
        return String.valueOf(value);
    }

    /** Text that is not a literal Python would evaluate. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    private final String s;
    private final boolean dropLongSuffix;
    private int pos;
    private int depth;

    private PythonLiteral(String s, boolean dropLongSuffix) {
        this.s = s;
        this.dropLongSuffix = dropLongSuffix;
    }

    /** Evaluates {@code text} as {@code ast.literal_eval} does (after stripping leading spaces and tabs). */
    static Object eval(String text, boolean dropLongSuffix) throws Malformed {
        if (text.indexOf('\0') >= 0) {
            throw new Malformed("source code string cannot contain null bytes");
        }
        // Python's compile() reads \r\n and \r as \n, inside string literals too.
        PythonLiteral p = new PythonLiteral(text.replace("\r\n", "\n").replace('\r', '\n'), dropLongSuffix);
        p.skipSpace(true);
        Object v = p.expression();
        p.skipSpace(false);
        if (p.peek(',')) { // a bare tuple: 1, 2
            List<Object> items = new ArrayList<>();
            items.add(v);
            while (p.peek(',')) {
                p.pos++;
                p.skipSpace(false);
                if (p.pos >= p.s.length() || p.peek('\n')) {
                    break;
                }
                items.add(p.expression());
                p.skipSpace(false);
            }
            v = new Tuple(items);
        }
        p.skipSpace(true);
        if (p.pos < p.s.length()) {
            throw p.malformed("unexpected text after the literal");
        }
        return v;
    }

    private Object expression() throws Malformed {
        skipSpace(depth > 0);
        if (pos >= s.length()) {
            throw malformed("unexpected end");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{':
                return braces();
            case '(':
                return parentheses();
            case '[':
                return new ArrayList<>(sequence(']'));
            case '+':
            case '-': {
                pos++;
                skipSpace(depth > 0);
                if (startsNumber()) {
                    Object n = number();
                    if (c == '+') {
                        return n;
                    }
                    if (n instanceof BigInteger b) {
                        return b.negate();
                    }
                    return n instanceof Real r ? new Real(-r.value()) : new Imaginary(-((Imaginary) n).value());
                }
                throw malformed("a sign must be followed by a number");
            }
            default:
                break;
        }
        if (startsNumber()) {
            return number();
        }
        if (c == '\'' || c == '"' || isIdentifierStart(c)) {
            return stringsOrName();
        }
        throw malformed("unexpected character");
    }

    /** A dict or a set; a repeated dict key keeps its first place and its last value, as in Python. */
    private Object braces() throws Malformed {
        pos++;
        depth++;
        Map<Object, Map.Entry<Object, Object>> dict = new LinkedHashMap<>();
        Map<Object, Object> set = new LinkedHashMap<>();
        Boolean isDict = null;
        skipSpace(true);
        while (!peek('}')) {
            Object key = hashable(expression());
            skipSpace(true);
            if (isDict == null) {
                isDict = peek(':');
            }
            if (isDict) {
                expect(':');
                Object value = expression();
                Map.Entry<Object, Object> old = dict.get(equality(key));
                dict.put(equality(key), Map.entry(old == null ? key : old.getKey(), value));
            } else {
                set.putIfAbsent(equality(key), key);
            }
            skipSpace(true);
            if (peek(',')) {
                pos++;
                skipSpace(true);
            } else if (!peek('}')) {
                throw malformed("expected ',' or '}'");
            }
        }
        pos++;
        depth--;
        if (isDict == null || isDict) {
            Map<Object, Object> result = new LinkedHashMap<>();
            dict.values().forEach(e -> result.put(e.getKey(), e.getValue()));
            return result;
        }
        return new LinkedHashSet<>(set.values());
    }

    /** What Python compares keys by: {@code True == 1 == 1.0}. */
    private static Object equality(Object key) {
        if (key instanceof Boolean b) {
            return b ? BigInteger.ONE : BigInteger.ZERO;
        }
        if (key instanceof Real r && r.value() == Math.rint(r.value()) && !Double.isInfinite(r.value())) {
            return new java.math.BigDecimal(r.value()).toBigInteger();
        }
        if (key instanceof Tuple t) {
            return t.items().stream().map(PythonLiteral::equality).toList();
        }
        return key;
    }

    private Object parentheses() throws Malformed {
        pos++;
        depth++;
        skipSpace(true);
        if (peek(')')) {
            pos++;
            depth--;
            return new Tuple(List.of());
        }
        Object first = expression();
        skipSpace(true);
        if (peek(')')) {
            pos++;
            depth--;
            return first; // a parenthesized value, not a tuple
        }
        expect(',');
        List<Object> items = new ArrayList<>();
        items.add(first);
        items.addAll(sequenceRest(')'));
        depth--;
        return new Tuple(items);
    }

    /** {@code [a, b, ...]} after the opening bracket at {@code pos}. */
    private List<Object> sequence(char close) throws Malformed {
        pos++;
        depth++;
        List<Object> items = sequenceRest(close);
        depth--;
        return items;
    }

    /** Items up to and including {@code close}, a trailing comma allowed. */
    private List<Object> sequenceRest(char close) throws Malformed {
        List<Object> items = new ArrayList<>();
        while (true) {
            skipSpace(true);
            if (peek(close)) {
                pos++;
                    return items;
            }
            items.add(expression());
            skipSpace(true);
            if (peek(',')) {
                pos++;
            } else if (!peek(close)) {
                throw malformed("expected ',' or '" + close + "'");
            }
        }
    }

    private static Object hashable(Object key) throws Malformed {
        if (key instanceof List || key instanceof Map || key instanceof Set) {
            throw new Malformed("unhashable type as a dict key or set item");
        }
        return key;
    }

    // ---- numbers ----

    private boolean startsNumber() {
        return pos < s.length() && (isDigit(s.charAt(pos))
                || s.charAt(pos) == '.' && pos + 1 < s.length() && isDigit(s.charAt(pos + 1)));
    }

    private Object number() throws Malformed {
        int start = pos;
        Object value;
        if (s.startsWith("0x", pos) || s.startsWith("0X", pos)) {
            value = radix(16, "[0-9a-fA-F]");
        } else if (s.startsWith("0o", pos) || s.startsWith("0O", pos)) {
            value = radix(8, "[0-7]");
        } else if (s.startsWith("0b", pos) || s.startsWith("0B", pos)) {
            value = radix(2, "[01]");
        } else {
            String digits = digits();
            boolean real = false;
            if (peek('.')) {
                pos++;
                real = true;
                if (pos < s.length() && isDigit(s.charAt(pos))) {
                    digits();
                }
            }
            if (peek('e') || peek('E')) {
                pos++;
                if (peek('+') || peek('-')) {
                    pos++;
                }
                if (pos >= s.length() || !isDigit(s.charAt(pos))) {
                    throw malformed("invalid decimal literal");
                }
                digits();
                real = true;
            }
            boolean imaginary = peek('j') || peek('J');
            String text = s.substring(start, pos).replace("_", "");
            if (imaginary) {
                pos++;
                value = new Imaginary(Double.parseDouble(text));
            } else if (real) {
                value = new Real(Double.parseDouble(text));
            } else {
                if (digits.length() > 1 && digits.charAt(0) == '0' && !digits.replace("_", "").matches("0+")) {
                    throw malformed("leading zeros in decimal integer literals are not permitted");
                }
                value = new BigInteger(text);
            }
        }
        if (pos < s.length() && isIdentifierPart(s.charAt(pos)) && !(dropLongSuffix && isLongSuffix(pos))) {
            throw malformed("invalid decimal literal");
        }
        skipLongSuffix();
        return value;
    }

    private boolean isLongSuffix(int at) {
        return s.charAt(at) == 'L' && (at + 1 >= s.length() || !isIdentifierPart(s.charAt(at + 1)));
    }

    /** Numpy's {@code _filter_header}: an {@code L} name token right after a number token is dropped. */
    private void skipLongSuffix() {
        if (!dropLongSuffix) {
            return;
        }
        int save = pos;
        try {
            skipSpace(depth > 0);
        } catch (Malformed e) {
            pos = save;
            return;
        }
        if (pos < s.length() && isLongSuffix(pos)) {
            pos++;
        } else {
            pos = save;
        }
    }

    /** Decimal digits with single underscores between them. */
    private String digits() throws Malformed {
        int start = pos;
        while (pos < s.length() && (isDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
            if (s.charAt(pos) == '_' && (pos + 1 >= s.length() || !isDigit(s.charAt(pos + 1)))) {
                throw malformed("invalid decimal literal");
            }
            pos++;
        }
        return s.substring(start, pos);
    }

    private BigInteger radix(int radix, String digitClass) throws Malformed {
        pos += 2;
        int start = pos;
        while (pos < s.length() && (String.valueOf(s.charAt(pos)).matches(digitClass)
                || s.charAt(pos) == '_' && pos + 1 < s.length() && String.valueOf(s.charAt(pos + 1)).matches(digitClass))) {
            pos++;
        }
        String text = s.substring(start, pos).replace("_", "");
        if (text.isEmpty()) {
            throw malformed("invalid literal for base " + radix);
        }
        return new BigInteger(text, radix);
    }

    // ---- strings and names ----

    private Object stringsOrName() throws Malformed {
        StringBuilder str = null;
        Boolean bytes = null;
        while (true) {
            int start = pos;
            while (pos < s.length() && isIdentifierPart(s.charAt(pos))) {
                pos++;
            }
            String prefix = s.substring(start, pos);
            boolean quote = pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"');
            if (!quote) {
                if (str != null) {
                    if (!prefix.isEmpty()) {
                        throw malformed("unexpected name after a string");
                    }
                    break;
                }
                    return switch (prefix) {
                    case "True" -> Boolean.TRUE;
                    case "False" -> Boolean.FALSE;
                    case "None" -> NONE;
                    default -> throw malformed("names are not literals: " + prefix);
                };
            }
            String p = prefix.toLowerCase(java.util.Locale.ROOT);
            boolean isBytes = p.equals("b") || p.equals("br") || p.equals("rb");
            boolean raw = p.contains("r");
            if (!(p.isEmpty() || p.equals("r") || p.equals("u") || isBytes)) {
                throw malformed("string prefix " + prefix + " is not a literal");
            }
            if (bytes != null && bytes != isBytes) {
                throw malformed("cannot mix bytes and nonbytes literals");
            }
            bytes = isBytes;
            if (str == null) {
                str = new StringBuilder();
            }
            str.append(quoted(raw, isBytes));
            int save = pos;
            skipSpace(depth > 0);
            if (!(pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"' || isIdentifierStart(s.charAt(pos))))) {
                pos = save;
                break;
            }
        }
        return bytes ? new Bytes(str.toString()) : str.toString();
    }

    private String quoted(boolean raw, boolean bytes) throws Malformed {
        char q = s.charAt(pos);
        boolean triple = s.startsWith(String.valueOf(q).repeat(3), pos);
        pos += triple ? 3 : 1;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw malformed("unterminated string literal");
            }
            char c = s.charAt(pos);
            if (triple ? s.startsWith(String.valueOf(q).repeat(3), pos) : c == q) {
                pos += triple ? 3 : 1;
                return out.toString();
            }
            if (!triple && (c == '\n' || c == '\r')) {
                throw malformed("unterminated string literal");
            }
            if (bytes && c > 127) {
                throw malformed("bytes can only contain ASCII literal characters");
            }
            if (c != '\\') {
                out.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= s.length()) {
                throw malformed("unterminated string literal");
            }
            char e = s.charAt(pos + 1);
            if (raw) {
                out.append(c).append(e); // a raw string keeps the backslash, which still protects a quote
                pos += 2;
                continue;
            }
            pos += 2;
            escape(e, bytes, out);
        }
    }

    private void escape(char e, boolean bytes, StringBuilder out) throws Malformed {
        switch (e) {
            case '\n' -> { }
            case '\r' -> {
                if (peek('\n')) {
                    pos++;
                }
            }
            case '\\', '\'', '"' -> out.append(e);
            case 'a' -> out.append('\u0007');
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'v' -> out.append('\u000b');
            case 'x' -> out.appendCodePoint((int) hexEscape(2));
            case 'u', 'U' -> {
                if (bytes) {
                    out.append('\\').append(e);
                } else {
                    long cp = hexEscape(e == 'u' ? 4 : 8);
                    if (cp > Character.MAX_CODE_POINT) {
                        throw malformed("illegal Unicode character");
                    }
                    out.appendCodePoint((int) cp);
                }
            }
            case 'N' -> {
                if (bytes) {
                    out.append("\\N");
                } else {
                    int close = s.indexOf('}', pos);
                    if (!peek('{') || close < 0) {
                        throw malformed("malformed \\N character escape");
                    }
                    String name = s.substring(pos + 1, close);
                    if (!name.matches("[A-Za-z0-9]+([ -][A-Za-z0-9]+)*")) {
                        throw malformed("unknown Unicode character name");
                    }
                    try {
                        out.appendCodePoint(Character.codePointOf(name));
                    } catch (IllegalArgumentException ex) {
                        throw malformed("unknown Unicode character name");
                    }
                    pos = close + 1;
                }
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int i = 0; i < 2 && pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '7'; i++) {
                        v = v * 8 + s.charAt(pos++) - '0';
                    }
                    out.appendCodePoint(bytes ? v & 0xff : v);
                } else {
                    out.append('\\').append(e); // an unknown escape keeps its backslash
                }
            }
        }
    }

    private long hexEscape(int length) throws Malformed {
        if (pos + length > s.length()) {
            throw malformed("truncated \\x escape");
        }
        String hex = s.substring(pos, pos + length);
        if (!hex.matches("[0-9a-fA-F]+")) {
            throw malformed("truncated escape");
        }
        pos += length;
        return Long.parseLong(hex, 16);
    }

    // ---- whitespace ----

    /**
     * Skips spaces, tabs, form feeds, comments and backslash continuations, and line ends inside brackets
     * (or, with {@code newlines}, anywhere: before and after the whole literal).
     */
    private void skipSpace(boolean newlines) throws Malformed {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\f') {
                pos++;
            } else if (c == '#') {
                while (pos < s.length() && s.charAt(pos) != '\n' && s.charAt(pos) != '\r') {
                    pos++;
                }
            } else if (c == '\\') {
                if (s.startsWith("\\\n", pos) && pos + 2 < s.length()) {
                    pos += 2;
                } else {
                    throw malformed("unexpected character after line continuation character");
                }
            } else if ((c == '\n' || c == '\r') && (newlines || depth > 0)) {
                pos++;
            } else {
                return;
            }
        }
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private void expect(char c) throws Malformed {
        skipSpace(depth > 0);
        if (!peek(c)) {
            throw malformed("expected '" + c + "'");
        }
        pos++;
    }

    /** Python's number literals take ASCII digits only. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private Malformed malformed(String what) {
        return new Malformed(what + " at character " + pos);
    }
}
