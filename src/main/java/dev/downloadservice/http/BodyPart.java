package dev.downloadservice.http;

import dev.downloadservice.source.FilePart;
import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.util.ReferenceCountUtil;

/** One message of an archive body, as {@link ArchiveBody} makes it and a {@link Download} writes it. */
sealed interface BodyPart {

    /** What is written to the channel; whoever writes it hands its ownership on. */
    Object message();

    /** Bytes of the archive it carries. */
    long size();

    /** Frees it when it will not be written. */
    default void release() {
        ReferenceCountUtil.release(message());
    }

    /** Headers and bodies read through memory, in one buffer. */
    record Bytes(ByteBuf buffer) implements BodyPart {
        @Override
        public Object message() {
            return buffer;
        }

        @Override
        public long size() {
            return buffer.readableBytes();
        }
    }

    /**
     * A piece of a file the kernel sends (sendfile), unseen: {@link FilePart#checkUnchanged()}
     * once sent. The region owns the file's channel and closes it when released.
     */
    record FileBytes(FileRegion region, FilePart file) implements BodyPart {
        static FileBytes of(FilePart file) {
            return new FileBytes(new DefaultFileRegion(file.channel(), file.position(), file.length()), file);
        }

        @Override
        public Object message() {
            return region;
        }

        @Override
        public long size() {
            return region.count();
        }
    }
}
