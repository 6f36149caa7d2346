package dev.downloadservice.bench;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CRC-32 throughput over the buffers the service sums: direct (what file reads and
 * batches use) and heap. Bytes per second = size / time.
 *
 * <p>Run: {@code ./mvnw -Pjmh test-compile exec:exec -Djmh.args="Crc32Benchmark -f 1 -wi 3 -i 5"}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class Crc32Benchmark {

    @Param({"10240", "262144"})
    public int size;

    private ByteBuffer direct;
    private ByteBuffer heap;

    @Setup
    public void bytes() {
        byte[] bytes = new byte[size];
        new Random(1).nextBytes(bytes);
        direct = ByteBuffer.allocateDirect(size).put(bytes).flip();
        heap = ByteBuffer.wrap(bytes);
    }

    @Benchmark
    public long directBuffer() {
        CRC32 crc = new CRC32();
        crc.update(direct.duplicate());
        return crc.getValue();
    }

    @Benchmark
    public long heapBuffer() {
        CRC32 crc = new CRC32();
        crc.update(heap.duplicate());
        return crc.getValue();
    }
}
