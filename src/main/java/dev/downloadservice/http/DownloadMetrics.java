package dev.downloadservice.http;

import dev.downloadservice.access.SignedLinks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the HTTP side counts, for {@code /metrics}: downloads started and how each ended,
 * downloads under way, bytes sent, how long downloads take, requests refused by status, and
 * requests refused for their signed link by why.
 */
public final class DownloadMetrics {

    /** How a download ended; a tag of the {@code downloads.ended} counter. */
    enum Outcome {
        COMPLETE, CLIENT_GONE, FILE_CHANGED, TIMEOUT, DRAIN_CUT, ERROR;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The statuses the service refuses with, counted from 0 at start: a counter born at 1 with
     * its first refusal has no sample before it, so an alert on its increase would miss it.
     */
    private static final List<Integer> REFUSALS = List.of(400, 403, 404, 405, 410, 412, 413, 414, 416, 431, 500, 503,
            505);

    private final MeterRegistry registry;
    private final Counter started;
    private final Map<Outcome, Counter> ended = new EnumMap<>(Outcome.class);
    private final AtomicInteger active = new AtomicInteger();
    private final Counter bytesSent;
    private final Timer duration;
    private final DistributionSummary size;
    private final Counter listingsAbandoned;
    private final Map<SignedLinks.Reason, Counter> linksRefused = new EnumMap<>(SignedLinks.Reason.class);

    public DownloadMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.started = Counter.builder("downloads.started").description("Archive downloads (GET, 200 or 206) begun")
                .register(registry);
        for (Outcome outcome : Outcome.values()) {
            ended.put(outcome, Counter.builder("downloads.ended").tag("outcome", outcome.tag())
                    .description("Archive downloads ended, by how: complete, or aborted because the client went away,"
                            + " a file changed, a timeout, the drain's end (drain_cut), or an error")
                    .register(registry));
        }
        registry.gauge("downloads.active", active);
        this.bytesSent = Counter.builder("downloads.sent").baseUnit("bytes").description("Archive bytes sent")
                .register(registry);
        this.duration = Timer.builder("downloads.duration").description("How long archive downloads took, however they ended")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(2)).register(registry);
        this.size = DistributionSummary.builder("downloads.size").baseUnit("bytes")
                .description("Bytes asked for per download (Content-Length)").register(registry);
        for (int status : REFUSALS) {
            registry.counter("requests.refused", "status", Integer.toString(status));
        }
        for (SignedLinks.Reason reason : SignedLinks.Reason.values()) {
            linksRefused.put(reason, Counter.builder("signed.links.refused").tag("reason", reason.tag())
                    .description("Requests for an archive refused for their link: a signature missing (403),"
                            + " wrong (403), or expired (410)")
                    .register(registry));
        }
        this.listingsAbandoned = Counter.builder("listings.abandoned")
                .description("Folder listings stopped because their client went away before they were done")
                .register(registry);
    }

    void started(long length) {
        started.increment();
        active.incrementAndGet();
        size.record(length);
    }

    void ended(Outcome outcome, long bytes, long nanos) {
        active.decrementAndGet();
        ended.get(outcome).increment();
        bytesSent.increment(bytes);
        duration.record(Duration.ofNanos(nanos));
    }

    /** A listing nobody waited for any more: its client went away before it was done. */
    void listingAbandoned() {
        listingsAbandoned.increment();
    }

    /** A request for an archive refused for its link; it is counted by its status too. */
    void linkRefused(SignedLinks.Reason reason) {
        linksRefused.get(reason).increment();
    }

    /** A request answered with a 4xx or 5xx status. */
    void refused(int status) {
        registry.counter("requests.refused", "status", Integer.toString(status)).increment();
    }

    /** Downloads under way now. */
    public int active() {
        return active.get();
    }
}
