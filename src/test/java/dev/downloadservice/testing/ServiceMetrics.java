package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;

/**
 * A service's {@code /metrics} (Prometheus text) as a scraper reads it. Tests learn how a
 * download ended from {@code downloads_ended_total{outcome="..."}}, not from the wording
 * of a log line, which is free to change.
 */
public final class ServiceMetrics {

    /** A download's end is counted when the server sees it end, a moment after the client does. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private ServiceMetrics() {
    }

    public static String scrape(int port) throws IOException {
        return RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").text();
    }

    /** The value of one series, such as {@code downloads_sent_bytes_total}; fails if the metrics lack it. */
    public static double value(String metrics, String series) {
        return Double.parseDouble(metrics.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("expected the metric " + series + " in " + metrics))
                .substring(series.length() + 1));
    }

    /** The metrics once one of their lines is {@code line}, waiting up to {@code timeout} for it. */
    public static String awaitLine(int port, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String metrics = scrape(port);
        while (metrics.lines().noneMatch(line::equals) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            metrics = scrape(port);
        }
        assertThat(metrics.lines()).as("metrics").contains(line);
        return metrics;
    }

    /** How many downloads have ended so far with this outcome: complete, client_gone, file_changed, timeout or error. */
    public static double downloadsEnded(int port, String outcome) throws IOException {
        return value(scrape(port), endedSeries(outcome));
    }

    /** The metrics once {@code count} downloads have ended with this outcome. */
    public static String awaitDownloadsEnded(int port, String outcome, double count) throws Exception {
        return awaitLine(port, endedSeries(outcome) + " " + count, WAIT);
    }

    private static String endedSeries(String outcome) {
        return "downloads_ended_total{outcome=\"" + outcome + "\"}";
    }
}
