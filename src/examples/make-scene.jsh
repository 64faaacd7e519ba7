// Draws scene.png, the small synthetic picture used by the README's feature-map example:
// vertical fence posts, horizontal roof and window lines, a round sun and a diagonal roof, so each
// built-in filter has something of its own to find. Run: jshell src/examples/make-scene.jsh
import java.awt.*;
import java.awt.geom.*;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

int w = 192, h = 128;
BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
Graphics2D g = img.createGraphics();
g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
g.setPaint(new GradientPaint(0, 0, new Color(110, 160, 230), 0, 80, new Color(200, 225, 250)));
g.fillRect(0, 0, w, 90);
g.setColor(new Color(90, 150, 70));
g.fillRect(0, 90, w, h - 90);
g.setColor(new Color(250, 210, 60));
g.fill(new Ellipse2D.Double(140, 12, 34, 34));
g.setColor(new Color(200, 90, 60));
g.fillRect(30, 55, 70, 50);
g.setColor(new Color(120, 50, 40));
g.fill(new Polygon(new int[] {22, 65, 108}, new int[] {57, 25, 57}, 3));
g.setColor(new Color(240, 240, 200));
g.fillRect(42, 65, 18, 14);
g.fillRect(72, 65, 18, 14);
g.setColor(new Color(80, 50, 30));
g.fillRect(58, 82, 14, 23);
g.setColor(new Color(245, 245, 245));
for (int x = 112; x < 188; x += 10) {
    g.fillRect(x, 78, 5, 30);
}
g.fillRect(110, 84, 80, 3);
g.fillRect(110, 98, 80, 3);
g.dispose();
ImageIO.write(img, "png", new java.io.File("src/examples/scene.png"));
/exit
