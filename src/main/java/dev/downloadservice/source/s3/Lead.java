package dev.downloadservice.source.s3;

/**
 * How far an {@link ObjectStream} may read ahead of the targets it was given: the
 * read-ahead window it belongs to ({@link ReadAhead}), or none. Called under the stream's
 * lock, so it never calls into a stream.
 */
interface Lead {

    /** A stream that asks the store only for bytes a target waits for. */
    Lead NONE = new Lead() {
        @Override
        public boolean mayHoldMore() {
            return false;
        }

        @Override
        public void held(long change) {
        }

        @Override
        public void getEnded() {
        }
    };

    /** Whether a stream no target waits on may ask the store for one more piece, to hold it. */
    boolean mayHoldMore();

    /** The bytes a stream holds, received and not yet taken, changed by this much. */
    void held(long change);

    /** The stream's GET is over: every byte came, or the stream failed or was closed. Told once. */
    void getEnded();
}
