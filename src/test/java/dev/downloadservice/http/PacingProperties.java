package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The arithmetic of --rate-limit and --delay, over any sequence of chunks. */
class PacingProperties {

    /** Chunks sent as soon as allowed: the last may not go before the rate allows for all before it, nor much later. */
    @Property
    void rate_chunksSentAsSoonAsAllowed_neverFasterThanTheRate(
            @ForAll @LongRange(min = 1024, max = 1L << 30) long rate,
            @ForAll @Size(min = 1, max = 50) List<@IntRange(min = 1, max = 65_536) Integer> chunks) {
        Pacing pacing = Pacing.of(Duration.ZERO, rate);
        long start = 1_000_000_000L;
        long now = start;
        long next = now;
        long bytes = 0;
        for (int chunk : chunks) {
            now = Math.max(now, next);
            next = pacing.nextChunkNanos(next, now, chunk);
            bytes += chunk;
        }
        double allowedSeconds = bytes / (double) rate;
        assertThat((next - start) / 1e9).isBetween(allowedSeconds - 1e-6 * chunks.size(), allowedSeconds + 1e-6);
    }

    /** A client that paused for a long time gets no burst: the next chunk still waits its share. */
    @Property
    void rate_afterAPause_noBurst(@ForAll @LongRange(min = 1024, max = 1L << 30) long rate,
                                  @ForAll @IntRange(min = 1, max = 65_536) int chunk) {
        Pacing pacing = Pacing.of(Duration.ZERO, rate);
        long longAfter = 3_600_000_000_000L;

        assertThat(pacing.nextChunkNanos(0, longAfter, chunk)).isEqualTo(longAfter + chunk * 1_000_000_000L / rate);
    }

    @Property
    void delay_pausesAfterEveryChunk_andTheSlowerOfDelayAndRateWins(
            @ForAll @LongRange(min = 0, max = 10_000_000_000L) long delayNanos,
            @ForAll @LongRange(min = 0, max = 1L << 30) long rate, @ForAll @IntRange(min = 1, max = 65_536) int chunk) {
        Pacing pacing = new Pacing(delayNanos, rate == 0 || rate >= 1024 ? rate : 1024);
        long now = 5_000_000_000L;

        long next = pacing.nextChunkNanos(now, now, chunk);

        assertThat(next).isGreaterThanOrEqualTo(now + delayNanos);
        if (pacing.bytesPerSecond() > 0) {
            assertThat(next).isGreaterThanOrEqualTo(now + chunk * 1_000_000_000L / pacing.bytesPerSecond());
        }
        assertThat(pacing.paced()).isEqualTo(delayNanos > 0 || pacing.bytesPerSecond() > 0);
        if (pacing.paced()) {
            assertThat(pacing.chunkSize()).isBetween(4 * 1024, 64 * 1024);
        } else {
            assertThat(pacing.chunkSize()).as("not paced: sendfile").isZero();
        }
    }
}
