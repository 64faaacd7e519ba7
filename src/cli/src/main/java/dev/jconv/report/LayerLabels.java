package dev.jconv.report;

/**
 * Short names for layers on chart axes: {@code 1,64,56,56,128,3,2,1,1,1} becomes {@code 64→128 3x3/2 56²}.
 * Stride follows a slash, dilation a {@code d}, groups a {@code g} ({@code dw} when depthwise), a batch other
 * than 1 an {@code N}. Anything that is not ten integers is returned unchanged.
 */
public final class LayerLabels {
    private LayerLabels() {}

    public static String shortLabel(String layer) {
        String[] p = layer.split(",");
        if (p.length != 10) {
            return layer;
        }
        int[] v = new int[10];
        try {
            for (int i = 0; i < 10; i++) {
                v[i] = Integer.parseInt(p[i].trim());
            }
        } catch (NumberFormatException e) {
            return layer;
        }
        int n = v[0];
        int c = v[1];
        int h = v[2];
        int w = v[3];
        int k = v[4];
        int r = v[5];
        int s = v[6];
        int d = v[8];
        int g = v[9];
        StringBuilder b = new StringBuilder().append(c).append('\u2192').append(k).append(' ').append(r).append('x')
                .append(r);
        if (s != 1) {
            b.append('/').append(s);
        }
        if (d != 1) {
            b.append(" d").append(d);
        }
        if (g != 1) {
            b.append(g == c && g == k ? " dw" : " g" + g);
        }
        b.append(' ').append(h == w ? h + "\u00b2" : h + "x" + w);
        if (n != 1) {
            b.append(" N").append(n);
        }
        return b.toString();
    }
}
