package minitron.transformer.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;
import minitron.transformer.io.AtomicFile;

/**
 * Draws the loss curve of a {@link TrainLog} as a PNG with java.awt (headless, no dependency): training loss per
 * step (blue), validation loss at each evaluation (orange dots joined), axes with ticks, a legend.
 */
public final class LossCurve {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color VALIDATION = new Color(255, 127, 14);

    private LossCurve() {
    }

    /** Reads the log and writes the PNG atomically. */
    public static void write(Path log, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<double[]> train = TrainLog.series(log, "loss");
        List<double[]> val = TrainLog.series(log, "val_loss");
        BufferedImage image = draw(train, val, title);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        AtomicFile.write(png, bytes.toByteArray());
    }

    static BufferedImage draw(List<double[]> train, List<double[]> val, String title) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();

        double xMax = 1, yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (List<double[]> s : List.of(train, val)) {
            for (double[] p : s) {
                xMax = Math.max(xMax, p[0]);
                yMin = Math.min(yMin, p[1]);
                yMax = Math.max(yMax, p[1]);
            }
        }
        if (!(yMin <= yMax)) {
            yMin = 0;
            yMax = 1;
        }
        if (yMax - yMin < 1e-6) yMax = yMin + 1;
        double pad = 0.05 * (yMax - yMin);
        yMin = Math.max(0, yMin - pad);
        yMax = yMax + pad;
        int plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        final double x1 = xMax, y0 = yMin, y1 = yMax;
        DoubleUnaryOperator px = x -> LEFT + x / x1 * plotW;
        DoubleUnaryOperator py = y -> TOP + (1 - (y - y0) / (y1 - y0)) * plotH;

        // Grid, ticks and labels.
        g.setColor(new Color(225, 225, 225));
        for (int i = 0; i <= 5; i++) {
            int y = (int) Math.round(TOP + i * plotH / 5.0);
            g.drawLine(LEFT, y, LEFT + plotW, y);
            int x = (int) Math.round(LEFT + i * plotW / 5.0);
            g.drawLine(x, TOP, x, TOP + plotH);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(LEFT, TOP, plotW, plotH);
        for (int i = 0; i <= 5; i++) {
            double yv = y1 - i * (y1 - y0) / 5;
            String label = String.format("%.2f", yv);
            int y = (int) Math.round(TOP + i * plotH / 5.0);
            g.drawString(label, LEFT - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
            String xl = String.valueOf(Math.round(i * x1 / 5));
            int x = (int) Math.round(LEFT + i * plotW / 5.0);
            g.drawString(xl, x - fm.stringWidth(xl) / 2, TOP + plotH + fm.getHeight() + 2);
        }
        g.drawString("step", LEFT + plotW / 2 - fm.stringWidth("step") / 2, HEIGHT - 15);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("cross-entropy (nats/token)", -(TOP + plotH / 2) - 80, 20);
        rotated.dispose();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, TOP - 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));

        // Curves.
        g.setStroke(new BasicStroke(1.5f));
        drawSeries(g, train, px, py, TRAIN, false);
        g.setStroke(new BasicStroke(2f));
        drawSeries(g, val, px, py, VALIDATION, true);

        // Legend.
        int lx = LEFT + plotW - 170, ly = TOP + 15;
        g.setColor(TRAIN);
        g.fillRect(lx, ly - 8, 18, 4);
        g.setColor(Color.DARK_GRAY);
        g.drawString("training loss", lx + 26, ly - 2);
        if (!val.isEmpty()) {
            g.setColor(VALIDATION);
            g.fillRect(lx, ly + 10, 18, 4);
            g.setColor(Color.DARK_GRAY);
            g.drawString("validation loss", lx + 26, ly + 16);
        }
        g.dispose();
        return image;
    }

    private static void drawSeries(Graphics2D g, List<double[]> s, DoubleUnaryOperator px,
                                   DoubleUnaryOperator py, Color color, boolean dots) {
        g.setColor(color);
        for (int i = 0; i < s.size(); i++) {
            int x = (int) Math.round(px.applyAsDouble(s.get(i)[0]));
            int y = (int) Math.round(py.applyAsDouble(s.get(i)[1]));
            if (i > 0) {
                int xp = (int) Math.round(px.applyAsDouble(s.get(i - 1)[0]));
                int yp = (int) Math.round(py.applyAsDouble(s.get(i - 1)[1]));
                g.drawLine(xp, yp, x, y);
            }
            if (dots) g.fillOval(x - 3, y - 3, 7, 7);
        }
    }
}
