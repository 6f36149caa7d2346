package dev.downloadservice.source.s3;

import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.ZeroCopy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One download's reads of objects. Small bodies are ranged GETs of their own, several at
 * once (an object store answers many requests in parallel, each after a round trip), at
 * most {@link #MAX_GETS} of them, so one folder of many small files cannot take every
 * connection of the pool. Large bodies are read through the download's {@link ReadAhead},
 * which fetches the next parts while one is sent. Reads complete on the store's request
 * executor, so what follows them (headers, CRC-32s) never runs on the SDK's event loops.
 */
final class ObjectReads implements Reads {

    /** GETs of small bodies under way at once for one download. */
    static final int MAX_GETS = 16;

    private record Queued(Read read, CompletableFuture<Void> done) {
    }

    private final ObjectStore store;
    /** Small-body reads that wait for one of the {@link #MAX_GETS}. */
    private final ArrayDeque<Queued> waiting = new ArrayDeque<>();
    /** Small-body streams under way. */
    private final Set<ObjectStream> singles = new HashSet<>();
    /** Large bodies, read ahead in order across objects. */
    private final ReadAhead readAhead;
    private int running;
    private boolean closed;

    ObjectReads(ObjectStore store, ReadAheadBudget budget) {
        this.store = store;
        this.readAhead = new ReadAhead(store, budget, ReadAhead.Limits.DEFAULT);
    }

    @Override
    public CompletableFuture<Void> read(List<Read> reads) {
        CompletableFuture<?>[] all = new CompletableFuture<?>[reads.size()];
        List<Queued> now = new ArrayList<>();
        boolean isClosed;
        synchronized (this) {
            isClosed = closed;
            for (int i = 0; i < all.length; i++) {
                Queued queued = new Queued(reads.get(i), new CompletableFuture<>());
                all[i] = queued.done();
                if (!queued.read().target().hasRemaining()) {
                    queued.done().complete(null);
                } else if (!closed && running < MAX_GETS) {
                    running++;
                    now.add(queued);
                } else if (!closed) {
                    waiting.add(queued);
                }
            }
        }
        if (isClosed) {
            return CompletableFuture.failedFuture(new IOException("the download was closed"));
        }
        now.forEach(this::start);
        // allOf completes only when every read has ended, failed or not: the caller may then free the targets.
        return store.onRequestPool(CompletableFuture.allOf(all));
    }

    private void start(Queued queued) {
        Read read = queued.read();
        ObjectStream single = new ObjectStream(store, read.file(), read.position(),
                read.position() + read.target().remaining());
        boolean late;
        synchronized (this) {
            late = closed;
            if (!late) {
                singles.add(single);
            }
        }
        if (late) {
            single.close(); // closed meanwhile: the read fails at once and its place is given back
        }
        single.fill(read.target()).whenComplete((ignored, error) -> {
            synchronized (this) {
                singles.remove(single);
            }
            if (error != null) {
                queued.done().completeExceptionally(error);
            } else {
                queued.done().complete(null);
            }
            startNext();
        });
    }

    /** A GET ended: the next waiting read takes its place, unless the download is closed. */
    private void startNext() {
        Queued next;
        synchronized (this) {
            next = closed ? null : waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        start(next);
    }

    @Override
    public void planInOrder(List<Span> spans) {
        readAhead.plan(spans);
    }

    @Override
    public CompletableFuture<Void> readInOrder(SourceFile file, long position, long end, ByteBuffer target) {
        return store.onRequestPool(readAhead.read(file, position, end, target));
    }

    /** Objects a store keeps no CRC-32 of are read once, held whole until their header is sent. */
    @Override
    public boolean holdsWholeBodies() {
        return true;
    }

    @Override
    public Optional<CompletableFuture<Integer>> crc32OfWholeBody(SourceFile file) {
        return readAhead.crc32(file);
    }

    /** An object's bytes always pass through a buffer: nothing here can be sent by sendfile. */
    @Override
    public Optional<ZeroCopy> zeroCopy() {
        return Optional.empty();
    }

    /** Fails reads that wait, ends streams under way and drops what was read ahead: connections are let go at once. */
    @Override
    public void close() {
        List<Queued> notStarted;
        List<ObjectStream> open;
        synchronized (this) {
            closed = true;
            notStarted = new ArrayList<>(waiting);
            waiting.clear();
            open = new ArrayList<>(singles);
            singles.clear();
        }
        readAhead.close();
        IOException closedError = new IOException("the download was closed");
        for (Queued queued : notStarted) {
            queued.done().completeExceptionally(closedError);
        }
        for (ObjectStream stream : open) {
            stream.close();
        }
    }
}
