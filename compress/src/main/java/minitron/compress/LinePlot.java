package minitron.compress;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import minitron.transformer.io.AtomicFile;

/**
 * A small line chart written as PNG with java.awt (headless): axes with min/max labels, one coloured line per
 * series and a legend. Enough for importance profiles and the paper's Figures 7 and 8 (metric vs block start).
 */
public final class LinePlot {
    /** One line: its legend name and its points (x[i], y[i]); NaN y values are skipped. */
    public record Series(String name, double[] x, double[] y) {
    }

    private static final int WIDTH = 900, HEIGHT = 520;
    private static final int LEFT = 80, RIGHT = 180, TOP = 40, BOTTOM = 60;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private LinePlot() {
    }

    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isNaN(s.y()[i])) continue;
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        }
        if (!(xMin <= xMax)) {
            xMin = 0;
            xMax = 1;
            yMin = 0;
            yMax = 1;
        }
        if (xMax == xMin) xMax = xMin + 1;
        if (yMax == yMin) yMax = yMin + Math.max(1e-12, Math.abs(yMin) * 1e-3);

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, plotW, plotH);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, TOP - 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(xLabel, LEFT + plotW / 2 - 4 * xLabel.length(), HEIGHT - 18);
        g.drawString(label(xMin), LEFT, TOP + plotH + 16);
        g.drawString(label(xMax), LEFT + plotW - 40, TOP + plotH + 16);
        g.drawString(label(yMax), 4, TOP + 10);
        g.drawString(label(yMin), 4, TOP + plotH);
        g.drawString(yLabel, 4, TOP + plotH / 2);
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            g.setColor(COLORS[s % COLORS.length]);
            g.setStroke(new BasicStroke(line.x().length > 200 ? 1f : 2f));
            int prevX = -1, prevY = -1;
            for (int i = 0; i < line.x().length; i++) {
                if (Double.isNaN(line.y()[i])) {
                    prevX = -1;
                    continue;
                }
                int px = LEFT + (int) Math.round((line.x()[i] - xMin) / (xMax - xMin) * plotW);
                int py = TOP + plotH - (int) Math.round((line.y()[i] - yMin) / (yMax - yMin) * plotH);
                if (prevX >= 0) g.drawLine(prevX, prevY, px, py);
                if (line.x().length <= 64) g.fillOval(px - 3, py - 3, 6, 6);
                prevX = px;
                prevY = py;
            }
            g.fillRect(WIDTH - RIGHT + 12, TOP + 8 + 18 * s, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(line.name(), WIDTH - RIGHT + 32, TOP + 14 + 18 * s);
        }
        g.dispose();
        // encoded in memory, then written atomically: ImageIO.write(File) deletes the old file and writes in place
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        try {
            AtomicFile.write(file, png.toByteArray());
        } catch (IOException e) {
            throw new IOException(file + ": cannot write the plot: " + e.getMessage(), e);
        }
    }

    private static String label(double v) {
        return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v != 0) ? String.format("%.3g", v) : String.format("%.4g", v);
    }
}
