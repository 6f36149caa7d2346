package dev.downloadservice.source.s3;

import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One download's reads of objects. Small bodies are ranged GETs of their own, several at
 * once (an object store answers many requests in parallel, each after a round trip), at
 * most {@link #MAX_GETS} of them, so one folder of many small files cannot take every
 * connection of the pool. A large body is one stream ({@link ObjectStream}).
 */
final class ObjectReads implements Reads {

    /** GETs of small bodies under way at once for one download. */
    static final int MAX_GETS = 16;

    private final ObjectStore store;
    /** Reads that wait for one of the {@link #MAX_GETS}. */
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int running;
    /** Streams of large bodies, the last one current; an earlier one may still be filling reads planned for it. */
    private final List<ObjectStream> streams = new ArrayList<>();
    private boolean closed;

    ObjectReads(ObjectStore store) {
        this.store = store;
    }

    @Override
    public CompletableFuture<Void> read(List<Read> reads) {
        CompletableFuture<?>[] all = new CompletableFuture<?>[reads.size()];
        for (int i = 0; i < all.length; i++) {
            Read read = reads.get(i);
            CompletableFuture<Void> done = new CompletableFuture<>();
            all[i] = done;
            startOrQueue(() -> get(read).whenComplete((ignored, error) -> {
                finished();
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(null);
                }
            }));
        }
        // allOf completes only when every read has ended, failed or not: the caller may then free the targets.
        return CompletableFuture.allOf(all);
    }

    private CompletableFuture<Void> get(Read read) {
        ByteBuffer target = read.target();
        if (!target.hasRemaining()) {
            return CompletableFuture.completedFuture(null);
        }
        ObjectStream single;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException("the download was closed"));
            }
            single = new ObjectStream(store, read.file(), read.position(), read.position() + target.remaining());
        }
        return single.fill(target);
    }

    private void startOrQueue(Runnable start) {
        synchronized (this) {
            if (running >= MAX_GETS) {
                waiting.add(start);
                return;
            }
            running++;
        }
        start.run();
    }

    private void finished() {
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        next.run(); // keeps the slot
    }

    @Override
    public CompletableFuture<Void> readInOrder(SourceFile file, long position, long end, ByteBuffer target) {
        ObjectStream current;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException("the download was closed"));
            }
            current = streams.isEmpty() ? null : streams.get(streams.size() - 1);
            if (current == null || !current.continues(file, position)) {
                // The last body's stream may still fill reads planned before this one: it ends on its own.
                streams.removeIf(ObjectStream::isOver);
                current = new ObjectStream(store, file, position, end);
                streams.add(current);
            }
        }
        return current.fill(target);
    }

    @Override
    public void close() {
        List<ObjectStream> open;
        synchronized (this) {
            closed = true;
            open = new ArrayList<>(streams);
            streams.clear();
        }
        for (ObjectStream stream : open) {
            stream.close();
        }
    }
}
