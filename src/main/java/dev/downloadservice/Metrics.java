package dev.downloadservice;

import dev.downloadservice.config.BuildInfo;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Folders;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.internal.PlatformDependent;

/**
 * The registry behind /metrics: the build, the JVM and the process, the CRC cache, the source's own, Netty's direct
 * memory.
 */
final class Metrics {

    private Metrics() {
    }

    static PrometheusMeterRegistry registry(ChecksumCache checksums, Folders folders) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry); // lives as long as the registry: the process
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        BuildInfo build = BuildInfo.current();
        // Always 1: the labels are the information (Prometheus's *_info convention), so build_info can be joined
        // to any other series of the same instance, and an upgrade shows as a new commit.
        Gauge.builder("build.info", () -> 1).tags("version", build.version(), "commit", build.commit())
                .description("The build that runs: its version and the git commit it was built from")
                .register(registry);
        FunctionCounter.builder("crc.cache.hits", checksums, ChecksumCache::hits)
                .description("CRC-32s found in the cache").register(registry);
        FunctionCounter.builder("crc.cache.misses", checksums, ChecksumCache::misses)
                .description("CRC-32s computed by reading a file").register(registry);
        FunctionCounter.builder("crc.read", checksums, ChecksumCache::bytesRead).baseUnit("bytes")
                .description("Bytes read to compute CRC-32s").register(registry);
        folders.bindTo(registry);
        Gauge.builder("netty.direct.memory.used", PlatformDependent::usedDirectMemory).baseUnit("bytes")
                .description("Direct memory Netty holds (buffers and their pools)").register(registry);
        return registry;
    }
}
